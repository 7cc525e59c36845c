/**
 * The steps of a rerun that talk to the API: reading the job a JobRerun re-runs, sending the reschedule, and
 * following the run it started. The lifecycle (lifecycle.ts) strings them together; what each answer means is
 * decided by the plain functions of decisions.ts.
 */
import type { NarrativeJobsClient, RescheduleResult } from "../api/client";
import { NarrativeConfigError, NarrativeError } from "../api/errors";
import type { JobSnapshot } from "../api/types";
import { abortableSleep } from "../common/duration";
import {
  deployedJob,
  observedRescheduleWarning,
  rerunOutputs,
  runSince,
  runSinceWarning,
  skippedTerminalWarning,
  waitVerdict,
  type JobRerunOutputs,
  type RescheduleRecord,
  type ResolvedInputs,
  type UnfinishedRun,
} from "./decisions";
import { JobRerunIncompleteError } from "./incomplete";
import { waitTimeoutMs, type JobRerunInputs } from "./inputs";
import { triggersEqual } from "./triggers";
import { DEFAULT_POLL_OPTIONS, waitForJob, type PollOptions, type WaitResult } from "./wait";

/** Where the lifecycle's messages go: a host shows them as the resource's messages. */
export interface Reporter {
  info(message: string): void;
  warn(message: string): void;
}

/** What a rerun step needs besides the resource's inputs. */
export interface RerunContext {
  client: NarrativeJobsClient;
  /** The API URL the client talks to, as the state records it. */
  apiUrl: string;
  reporter: Reporter;
  now: () => Date;
  cancellation: AbortSignal;
  pollOptions: PollOptions | undefined;
}

/**
 * The job a JobRerun re-runs, read now: the `jobId` given, or the newest job of its `dataset`, saying which
 * one it picked when that is not the job it re-ran before (`previous`).
 */
export async function readJob(
  context: RerunContext,
  inputs: JobRerunInputs,
  previous: string | undefined,
): Promise<JobSnapshot> {
  const { client, reporter } = context;
  if (inputs.dataset === undefined) {
    return client.getJob(inputs.jobId ?? "");
  }
  const { id, jobType } = inputs.dataset;
  const which = `dataset ${id}${jobType === undefined ? "" : ` (type ${jobType})`}`;
  const newest = await client.newestJobOfDataset(id, jobType);
  if (newest === undefined) {
    throw new NarrativeConfigError(
      `No job on ${client.apiHost} has ${which} as its input: check dataset.id and dataset.jobType, and ` +
        "that the API key's company owns the dataset. Nothing was rescheduled.",
      { property: "dataset", apiHost: client.apiHost },
    );
  }
  if (newest.job.job_id !== previous) {
    reporter.info(
      previous === undefined
        ? `${which}: picked its newest job, ${newest.job.job_id}`
        : `${which}: its newest job is now ${newest.job.job_id} (was ${previous}); re-running the newest`,
    );
  }
  return newest;
}

/**
 * Reads the job before rescheduling it: when it shows a run started since this stack's last deployment (the
 * run-since rule), that run is followed instead of sending another reschedule, unless the resource says
 * otherwise. This is what keeps a job from being rescheduled twice, or restarted, after a deployment that was
 * killed after its reschedule reached the API, since such a deployment leaves nothing in the state.
 */
export async function rescheduleUnlessRunSince(
  context: RerunContext,
  given: ResolvedInputs,
  olds: JobRerunOutputs,
): Promise<{ reschedule: RescheduleRecord; news: ResolvedInputs }> {
  const { reporter } = context;
  const now = await readJob(context, given, olds.jobId);
  const news: ResolvedInputs = { ...given, jobId: now.job.job_id };
  if (news.jobId !== olds.jobId) {
    // Another job than last time: the run-since rule has no baseline for it, so it is simply rescheduled.
    return { reschedule: await reschedule(context, news, now, olds), news };
  }
  if (
    olds.unfinishedRun === "rerun" &&
    olds.rerunFailed === true &&
    triggersEqual(olds.triggers, news.triggers)
  ) {
    reporter.info(
      `job ${news.jobId}: the run this stack started ended ${now.job.state}; rescheduling it again (rerunFailed)`,
    );
  }
  const before = deployedJob(olds);
  if (runSince(before, now.job)) {
    if (news.onUnrecordedRun === "follow") {
      reporter.warn(runSinceWarning(before, now.job));
      return { reschedule: { outcome: "run_observed", ...now, at: context.now().toISOString() }, news };
    }
    reporter.info(
      `job ${news.jobId} shows a run since this stack last deployed; rescheduling anyway (onUnrecordedRun: "reschedule")`,
    );
  }
  return { reschedule: await reschedule(context, news, now, olds), news };
}

/**
 * Sends the reschedule. When it fails in a way that may have taken effect, the failure is recorded with the
 * new triggers and `unfinishedRun: verify` (a JobRerunIncompleteError), so that the next deployment reads
 * the job before sending it again instead of running the job twice; other failures keep the old state.
 * `seen` is the job as last read (at create) or stored (at update): the baseline a lost answer is judged by.
 */
export async function reschedule(
  context: RerunContext,
  inputs: ResolvedInputs,
  seen: JobSnapshot,
  previous: JobRerunOutputs | undefined,
): Promise<RescheduleRecord> {
  const { client, reporter } = context;
  let result: RescheduleResult;
  try {
    result = await client.reschedule(inputs.jobId, { force: inputs.force, baseline: seen.job });
  } catch (error) {
    if (error instanceof NarrativeError && error.outcomeUnknown === true) {
      throw new JobRerunIncompleteError(
        `${error.message} The next \`pulumi up\` reads job ${inputs.jobId} and reschedules it only if this ` +
          `reschedule did not take effect.`,
        inputs.jobId,
        rerunOutputs(inputs, context.apiUrl, seen, undefined, previous, "verify"),
      );
    }
    throw error;
  }
  if (result.outcome === "skipped_terminal") {
    reporter.warn(skippedTerminalWarning(result.job));
  }
  // A reschedule seen only by reading the job may be another stack's: it is recorded as observed, and not
  // counted as this stack's own.
  const observed = !result.confirmed && result.outcome === "rescheduled";
  if (observed) {
    reporter.warn(observedRescheduleWarning(result.job));
  }
  return {
    outcome: observed ? "run_observed" : result.outcome,
    job: result.job,
    jobJson: result.jobJson,
    at: context.now().toISOString(),
  };
}

/**
 * Waits for the job as the resource asks, after a reschedule or for a run the last deployment left
 * unfinished, and decides what the state records. From here on the reschedule has been applied, so every way
 * this can fail records the new triggers (a JobRerunIncompleteError): the next deployment follows or reruns
 * the job as the verdict says, and never sends the same reschedule twice.
 */
export async function followRun(
  context: RerunContext,
  news: ResolvedInputs,
  start: JobSnapshot,
  reschedule: RescheduleRecord | undefined,
  previous?: JobRerunOutputs,
): Promise<JobRerunOutputs> {
  const outputs = (seen: JobSnapshot, unfinished: UnfinishedRun | undefined): JobRerunOutputs =>
    rerunOutputs(news, context.apiUrl, seen, reschedule, previous, unfinished);
  // A reschedule that left a finished job alone (force: false) started no run to wait for.
  if (news.waitFor === "none" || reschedule?.outcome === "skipped_terminal") {
    return outputs(start, undefined);
  }
  let result: WaitResult;
  try {
    result = await waitForJob(
      start,
      news.waitFor,
      waitTimeoutMs(news),
      {
        getJob: (jobId) => context.client.getJob(jobId),
        report: (line) => context.reporter.info(line),
        sleep: abortableSleep,
        now: () => context.now().getTime(),
        random: Math.random,
      },
      context.cancellation,
      context.pollOptions ?? DEFAULT_POLL_OPTIONS,
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new JobRerunIncompleteError(
      `${reason}. Job ${news.jobId} was rescheduled and goes on running; the next \`pulumi up\` follows it`,
      news.jobId,
      outputs(start, "follow"),
    );
  }
  const verdict = waitVerdict(result.end, result.last.job, news);
  const outs = outputs(result.last, verdict.unfinishedRun);
  if (verdict.failure !== undefined) {
    throw new JobRerunIncompleteError(verdict.failure, news.jobId, outs);
  }
  return outs;
}
