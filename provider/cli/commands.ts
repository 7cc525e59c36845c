/** What each `narrative-jobs` command does, on the package's own client and wait loop. */
import type { NarrativeJobsClient } from "../api/client";
import { MAX_PER_PAGE } from "../api/call-args";
import type { LosslessObject } from "../common/json";
import type { JobSnapshot } from "../api/types";
import { abortableSleep, formatDuration } from "../common/duration";
import { jobReached, shortId, waitForJob } from "../jobrerun/wait";
import type { Command, ListFilters } from "./args";
import { EXIT_CODES, type ExitCode } from "./exit-codes";
import { formatJob, formatJobTable, pageRecords } from "./format";
import type { Output } from "./output";

export interface CommandContext {
  client: Pick<NarrativeJobsClient, "getJob" | "listJobsPage" | "reschedule">;
  output: Output;
  json: boolean;
  /** Aborted on Ctrl+C: waits end and the client stops retrying. */
  interrupted: AbortSignal;
  /** The job as last read, for the message when the command is interrupted. */
  lastSeen?: JobSnapshot;
}

export function runCommand(command: Command, context: CommandContext): Promise<ExitCode> {
  switch (command.name) {
    case "get":
      return get(command.jobId, context);
    case "list":
      return list(command.filters, command.limit, context);
    case "reschedule":
      return reschedule(command.jobId, command.force, context);
    case "wait":
      return wait(command.jobId, command.waitFor, command.timeoutMs, context);
  }
}

/** What to say when Ctrl+C stops a command. Nothing the command started on Narrative is stopped. */
export function interruptedMessage(command: Command, lastSeen: JobSnapshot | undefined): string {
  switch (command.name) {
    case "wait":
      return (
        `stopped waiting (Ctrl+C); job ${command.jobId} goes on` +
        (lastSeen === undefined ? "" : ` (${lastSeen.job.state} when last read)`)
      );
    case "reschedule":
      return (
        `interrupted (Ctrl+C): job ${command.jobId} may or may not have been rescheduled; ` +
        `check it with \`narrative-jobs get ${command.jobId}\` before rescheduling again`
      );
    default:
      return "interrupted (Ctrl+C)";
  }
}

async function get(jobId: string, { client, output, json }: CommandContext): Promise<ExitCode> {
  const { jobJson } = await client.getJob(jobId);
  if (json) {
    output.json(jobJson);
  } else {
    output.result(formatJob(jobJson));
  }
  return EXIT_CODES.done;
}

/**
 * Up to 500 jobs are one request. Beyond that, pages of equal size, so that the last page overshoots the limit
 * by less than one job per page: --json prints pages whole, since cutting one would rewrite the API's text.
 */
export function listPageSize(limit: number): number {
  return Math.ceil(limit / Math.ceil(limit / MAX_PER_PAGE));
}

async function list(filters: ListFilters, limit: number, context: CommandContext): Promise<ExitCode> {
  const { client, output, json } = context;
  const perPage = listPageSize(limit);
  const jobs: LosslessObject[] = [];
  const shownIds = new Set<string>();
  let received = 0;
  let totalRecords: unknown;
  for (let pageIndex = 0; ; pageIndex++) {
    const { page, pageJson } = await client.listJobsPage({
      ...filters,
      per_page: perPage,
      ...(pageIndex === 0 ? {} : { offset: pageIndex * perPage }),
    });
    totalRecords ??= page.total_records;
    if (json) {
      output.json(pageJson);
    } else {
      // Jobs created while reading shift later pages: a job already shown is not shown again.
      for (const job of pageRecords(pageJson)) {
        const id = String(job["job_id"]);
        if (jobs.length < limit && !shownIds.has(id)) {
          shownIds.add(id);
          jobs.push(job);
        }
      }
    }
    received += page.records.length;
    const lastPage = typeof page.total_pages === "number" && pageIndex + 1 >= page.total_pages;
    if (received >= limit || page.records.length < perPage || lastPage) {
      break;
    }
  }
  if (!json) {
    if (jobs.length === 0) {
      output.result("No jobs match.");
    } else {
      const total = typeof totalRecords === "number" ? totalRecords : undefined;
      const more = total !== undefined && total > jobs.length ? `; raise --limit to see more` : "";
      output.result(formatJobTable(jobs));
      output.result(`${jobs.length} of ${total ?? "?"} jobs${more}`);
    }
  }
  return EXIT_CODES.done;
}

async function reschedule(jobId: string, force: boolean, context: CommandContext): Promise<ExitCode> {
  const { client, output, json } = context;
  const result = await client.reschedule(jobId, { force });
  if (result.verifiedByGet) {
    output.progress(
      `the answer to the reschedule was lost; reading job ${jobId} afterwards shows: ${result.outcome}`,
    );
  }
  if (json) {
    // The client keeps the job's exact text; outcome is one of two fixed words.
    output.json(`{"outcome":${JSON.stringify(result.outcome)},"job":${result.jobJson}}`);
  } else if (result.outcome === "rescheduled") {
    output.result(`Job ${jobId} rescheduled: it is ${result.job.state} now.`);
  } else {
    output.result(
      `Job ${jobId} is ${result.job.state}: left as it is (skipped_terminal), since --no-force does not ` +
        "re-run a finished job. Leave out --no-force to run it again.",
    );
  }
  return EXIT_CODES.done;
}

async function wait(
  jobId: string,
  waitFor: "running" | "terminal",
  timeoutMs: number,
  context: CommandContext,
): Promise<ExitCode> {
  const { client, output, json, interrupted } = context;
  const read = async (id: string): Promise<JobSnapshot> => {
    const seen = await client.getJob(id);
    context.lastSeen = seen;
    return seen;
  };
  const start = await read(jobId);
  if (!jobReached(start.job.state, waitFor)) {
    output.progress(
      `job ${shortId(jobId)}: ${start.job.state}; waiting until it is ${waitFor} ` +
        `(timeout ${formatDuration(timeoutMs)}; Ctrl+C stops the wait, not the job)`,
    );
  }
  const result = await waitForJob(
    start,
    waitFor,
    timeoutMs,
    {
      getJob: read,
      // Once interrupted, main says what happened; the loop's own closing line speaks of a deployment.
      report: (line) => {
        if (!interrupted.aborted) {
          output.progress(line);
        }
      },
      sleep: abortableSleep,
      now: () => Date.now(),
      random: Math.random,
    },
    interrupted,
  );
  if (result.end === "cancelled") {
    return EXIT_CODES.interrupted;
  }
  const { job, jobJson } = result.last;
  if (json) {
    output.json(jobJson);
  } else if (result.end === "reached") {
    output.result(formatJob(jobJson));
  }
  if (result.end === "timed-out") {
    // The loop has said so on stderr: "job …: still running after 30m; stopped waiting (timeout), the job goes on".
    return EXIT_CODES.timedOut;
  }
  return job.state === "failed" || job.state === "cancelled" ? EXIT_CODES.jobFailed : EXIT_CODES.done;
}
