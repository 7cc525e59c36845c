/**
 * What a successful answer must be for the client to believe it: a job, a page of jobs, or a reschedule result.
 * Anything else (a proxy's login page, a body cut short) is undefined here, and the caller decides what that
 * means for its call.
 */
import { rawJsonMember, tryParseJson } from "./json";
import type { Job, JobPage, JobSnapshot, RescheduleOutcome } from "./types";

/** The body of a reschedule POST, as the client returns it. */
export interface RescheduleAnswer extends JobSnapshot {
  outcome: RescheduleOutcome;
}

/** A job as GET /jobs/{id} answers it; `jobJson` is the whole response text. */
export function parseJob(body: string): Job | undefined {
  const value = tryParseJson(body);
  return isJob(value) ? value : undefined;
}

export function parseJobPage(body: string): JobPage | undefined {
  const value = tryParseJson(body);
  if (!isObject(value)) {
    return undefined;
  }
  const records = value["records"];
  return Array.isArray(records) && records.every(isJob) ? (value as JobPage) : undefined;
}

/** `{"outcome": ..., "job": {...}}`, the job kept as its exact text. */
export function parseRescheduleAnswer(body: string): RescheduleAnswer | undefined {
  const value = tryParseJson(body);
  if (!isObject(value)) {
    return undefined;
  }
  const { outcome, job } = value;
  if ((outcome !== "rescheduled" && outcome !== "skipped_terminal") || !isJob(job)) {
    return undefined;
  }
  const jobJson = rawJsonMember(body, "job");
  return jobJson === undefined ? undefined : { outcome, job, jobJson };
}

/** Only `job_id` and `state` are relied upon; every other field is kept as it came. */
function isJob(value: unknown): value is Job {
  return isObject(value) && typeof value["job_id"] === "string" && typeof value["state"] === "string";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
