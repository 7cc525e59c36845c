/**
 * What a successful answer must be for the client to believe it: a job (the one asked for), a page of jobs, or a
 * reschedule result about that job. Anything else (a proxy's login page, a body cut short, another job) comes
 * back as the problem a message states, and the caller decides what that means for its call.
 */
import { rawJsonMember, tryParseJson } from "../common/json";
import { isJobId, type Job, type JobPage, type JobSnapshot, type RescheduleOutcome } from "./types";

/** An answer read as what the call returns, or what is wrong with it. */
export type Parsed<T> =
  | { value: T }
  | {
      /** E.g. "the body is not a job", for "answered 200 OK but <problem>". */
      problem: string;
      /** Whether asking again may help: a gateway's hiccup passes, an answer about another job does not. */
      retried: boolean;
    };

/** The body of a reschedule POST, as the client returns it. */
export interface RescheduleAnswer extends JobSnapshot {
  outcome: RescheduleOutcome;
}

/** The job `jobId` as GET /jobs/{id} answers it. */
export function parseJob(body: string, jobId: string): Parsed<Job> {
  const value = tryParseJson(body);
  if (!isJob(value)) {
    return { problem: "the body is not a job", retried: true };
  }
  return otherJob(value, jobId) ?? { value };
}

export function parseJobPage(body: string): Parsed<JobPage> {
  const value = tryParseJson(body);
  const records = isObject(value) ? value["records"] : undefined;
  return Array.isArray(records) && records.every(isJob)
    ? { value: value as JobPage }
    : { problem: "the body is not a page of jobs", retried: true };
}

/** `{"outcome": ..., "job": {...}}` about job `jobId`, the job kept as its exact text. */
export function parseRescheduleAnswer(body: string, jobId: string): Parsed<RescheduleAnswer> {
  const value = tryParseJson(body);
  const notAResult = { problem: "the body is not a reschedule result", retried: false };
  if (!isObject(value)) {
    return notAResult;
  }
  const { outcome, job } = value;
  if ((outcome !== "rescheduled" && outcome !== "skipped_terminal") || !isJob(job)) {
    return notAResult;
  }
  const other = otherJob(job, jobId);
  if (other !== undefined) {
    return other;
  }
  const jobJson = rawJsonMember(body, "job");
  return jobJson === undefined ? notAResult : { value: { outcome, job, jobJson } };
}

/**
 * The problem with a job that is not the one asked for: following it would report another job's run as this
 * one's. A UUID is compared whatever its case. The other id is quoted only when it is a job id, since anything
 * else is untrusted text; the message's preview of the body shows it, redacted.
 */
function otherJob(job: Job, jobId: string): { problem: string; retried: boolean } | undefined {
  if (job.job_id.toLowerCase() === jobId.toLowerCase()) {
    return undefined;
  }
  const other = isJobId(job.job_id) ? `job ${job.job_id}` : "a job whose job_id is not a job id";
  return { problem: `the body is about ${other}, not job ${jobId}`, retried: false };
}

/** Only `job_id` and `state` are relied upon; every other field is kept as it came. */
function isJob(value: unknown): value is Job {
  return isObject(value) && typeof value["job_id"] === "string" && typeof value["state"] === "string";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
