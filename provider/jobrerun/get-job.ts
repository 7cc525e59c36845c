/**
 * Reading a job without rerunning it: what the `narrative:index:getJob` function returns, from any host. The
 * plugin checks the arguments with `getJobFailures` (the engine shows each failure by its field) and reads with
 * `getJobSnapshot` on the client it keeps; a program's `getJob` and `getJobOutput` (functions.ts) go through
 * `getJobResult`, which runs the same two steps on settings it resolved. No Pulumi code here.
 */
import { apiUrlProblem } from "../api/api-url";
import type { NarrativeJobsClient } from "../api/client";
import { newClient, type ClientTuning } from "./clients";
import { NarrativeConfigError } from "../api/errors";
import { parseExact } from "../common/json";
import { redact } from "../common/redact";
import type { ProviderSettings } from "./settings";
import { jobIdProblem, type Job } from "../api/types";

export interface GetJobArgs {
  /** The Narrative job to read, a UUID. */
  jobId: string;
  /**
   * The API base URL for this read. Default: the stack's `narrative:apiUrl`, then `NARRATIVE_API_URL`, then
   * https://api.narrative.io.
   */
  apiUrl?: string;
}

export interface GetJobResult {
  /** The job's id, as the API returned it. */
  jobId: string;
  /**
   * The job exactly as the API returned it, unknown fields included. An integer beyond ±(2^53−1), which a
   * JavaScript number cannot hold, is its exact decimal string.
   */
  job: Job;
  /** The same job as the exact JSON text the API sent. */
  jobJson: string;
  /** The job's state: pending, running, completed, failed... */
  state: string;
}

/** Why the arguments cannot be read, each naming its field; empty when they can. */
export function getJobFailures(args: Record<string, unknown>): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  const { jobId, apiUrl } = args;
  const jobIdRefused = jobIdProblem(jobId);
  if (jobIdRefused !== undefined) {
    failures.push({ property: "jobId", reason: jobIdRefused });
  }
  const problem = apiUrl === undefined ? undefined : apiUrlProblem(apiUrl);
  if (problem !== undefined) {
    failures.push({ property: "apiUrl", reason: `apiUrl ${problem}` });
  }
  return failures;
}

/**
 * Reads a Narrative job by its id and changes nothing: the job exactly as the API returned it, as data and as
 * its exact text, and its state. It reads in `pulumi preview` too.
 */
export async function getJobSnapshot(client: NarrativeJobsClient, jobId: string): Promise<GetJobResult> {
  const { job, jobJson } = await client.getJob(jobId);
  // The client's `job` is JSON.parse's reading, which rounds integers beyond 2^53; the exact text is parsed again.
  return { jobId: job.job_id, job: parseExact(jobJson) as Job, jobJson, state: job.state };
}

export async function getJobResult(
  settings: ProviderSettings,
  args: GetJobArgs,
  tuning: ClientTuning = {},
): Promise<GetJobResult> {
  const failures = getJobFailures({ ...args });
  const [first] = failures;
  if (first !== undefined) {
    const reasons = failures.map((failure) => failure.reason).join("; ");
    throw new NarrativeConfigError(`${redact(`getJob: ${reasons}`, settings.token)}. Nothing was sent.`, {
      property: first.property,
    });
  }
  return getJobSnapshot(newClient(settings, args.apiUrl, tuning).client, args.jobId);
}
