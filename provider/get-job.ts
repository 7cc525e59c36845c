/**
 * Reading a job without rerunning it: the one implementation behind `getJob` and `getJobOutput` in a program
 * (functions.ts) and the provider plugin's `narrative:index:getJob`. It holds no Pulumi code, so each host hands
 * it what it knows (the settings it resolved, or a client it keeps) and gets back the job as the API sent it.
 */
import { NarrativeJobsClient, type NarrativeClientOptions } from "./client";
import { NarrativeConfigError } from "./errors";
import { parseExact } from "./json";
import { redact } from "./redact";
import type { ProviderSettings } from "./settings";
import { EXAMPLE_JOB_ID, isJobId, type Job, type JobSnapshot } from "./types";

/** What to read: the schema's `narrative:index:getJob` inputs. */
export interface GetJobArgs {
  /** The job's UUID, as JobRerun's `jobId`. */
  jobId: string;
  /** Another API base URL than the configuration's, as JobRerun's `apiUrl`: https, or http on loopback. */
  apiUrl?: string | undefined;
}

/** The job as one `GET /jobs/{job_id}` returned it: the schema's `narrative:index:getJob` outputs. */
export interface GetJobResult {
  jobId: string;
  /**
   * The job exactly as the API returned it, unknown fields included. An integer beyond ±(2^53−1) (a materialized
   * view's `result.snapshot_id`, say) is its exact decimal string, as in JobRerun's `job`.
   */
  job: Job;
  /** The same job as the exact JSON text the API sent, every number digit for digit. */
  jobJson: string;
  /** The job's state when it was read: pending, running, completed, failed… */
  state: string;
}

/** Client options a host may set beyond what settings hold: progress lines, cancellation, shorter timeouts. */
export type ReadTuning = Partial<Omit<NarrativeClientOptions, "apiUrl" | "apiUrlSetting" | "token">>;

/**
 * Reads job `args.jobId` with one `GET /jobs/{job_id}` (retried as every GET is) and changes nothing. From
 * `settings`, the job id is checked first, then the token and the API URL, each failing before any request
 * with a NarrativeConfigError that names it; the API's own failures are the client's errors. A `client` is
 * bound to its API URL, so `args.apiUrl` is refused with one; its own check refuses a bad job id.
 */
export async function getJobResult(
  source: ProviderSettings | NarrativeJobsClient,
  args: GetJobArgs,
  tuning: ReadTuning = {},
): Promise<GetJobResult> {
  if (source instanceof NarrativeJobsClient) {
    if (args.apiUrl !== undefined) {
      throw new NarrativeConfigError(
        `getJob: apiUrl cannot be given with a client, which reads from ${source.apiHost}. Nothing was sent.`,
        { property: "apiUrl" },
      );
    }
    return resultOf(await source.getJob(args.jobId));
  }
  checkGetJobId(args.jobId, source.token);
  return resultOf(await clientFromSettings(source, args.apiUrl, tuning).getJob(args.jobId));
}

/** The result as a host returns it, from the job's exact text. */
export function resultOf(snapshot: JobSnapshot): GetJobResult {
  const job = parseExact(snapshot.jobJson) as Job;
  return { jobId: job.job_id, job, jobJson: snapshot.jobJson, state: job.state };
}

/**
 * JobRerun's job id rule (types.ts), with a message naming `jobId`. The value is quoted so that a typo is easy
 * to spot, and a token pasted into it shows as [REDACTED].
 */
function checkGetJobId(jobId: unknown, token: string | undefined): asserts jobId is string {
  if (isJobId(jobId)) {
    return;
  }
  const shown =
    typeof jobId === "string"
      ? JSON.stringify(jobId.length > 80 ? `${jobId.slice(0, 80)}…` : jobId)
      : jobId === undefined
        ? "nothing"
        : typeof jobId;
  throw new NarrativeConfigError(
    redact(`getJob: jobId must be a Narrative job UUID such as ${EXAMPLE_JOB_ID}; got ${shown}. `, token) +
      "Nothing was sent.",
    { property: "jobId" },
  );
}

/**
 * A client for the API URL given, else the settings' one, named in messages by where it came from. Without a
 * token the client refuses to be made, naming narrative:token and NARRATIVE_API_TOKEN.
 */
function clientFromSettings(
  settings: ProviderSettings,
  apiUrl: string | undefined,
  tuning: ReadTuning,
): NarrativeJobsClient {
  return new NarrativeJobsClient({
    ...(settings.attemptTimeoutMs !== undefined ? { attemptTimeoutMs: settings.attemptTimeoutMs } : {}),
    ...(settings.totalTimeoutMs !== undefined ? { totalTimeoutMs: settings.totalTimeoutMs } : {}),
    ...tuning,
    apiUrl: apiUrl ?? settings.apiUrl,
    apiUrlSetting:
      apiUrl !== undefined
        ? "apiUrl"
        : settings.apiUrlSetting === "default"
          ? "narrative:apiUrl"
          : settings.apiUrlSetting,
    // The client checks it (checkToken): a missing, blank or unusable token fails there, before any request.
    token: settings.token ?? "",
  });
}
