/**
 * The Narrative Jobs API's data, as documented in Narrative's API reference. The Job object is open: the API
 * adds fields over time and its examples omit some, so every type here keeps an index signature and the
 * package never drops, renames or rewrites a field it does not know.
 */
import { redact } from "../common/redact";

/** A JSON value, as the API sends it and as a `triggers` input must be. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Documented job states. The API may add more, so code must accept any string. */
export type KnownJobState =
  "pending" | "running" | "completed" | "failed" | "cancelled" | "pending_cancellation";
export type JobState = KnownJobState | (string & {});

/** States a job does not leave on its own; a reschedule without `force` leaves them untouched. */
export const TERMINAL_JOB_STATES: readonly string[] = ["completed", "failed", "cancelled"];

export function isTerminalJobState(state: string | undefined): boolean {
  return state !== undefined && TERMINAL_JOB_STATES.includes(state);
}

export interface JobFailure {
  message?: string;
  timestamp?: string;
  value?: JsonValue;
  [key: string]: unknown;
}

/** A job's id: a UUID, as the API documents `job_id`. The one pattern the package checks ids with. */
const JOB_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isJobId(value: unknown): value is string {
  return typeof value === "string" && JOB_ID_PATTERN.test(value);
}

/** An example job id, for messages that say what a job id looks like. */
export const EXAMPLE_JOB_ID = "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c";

/**
 * The job-id rule's one message, for every place a job id is given (a JobRerun's `jobId`, getJob's, a client
 * call's), or undefined for a job id. The refused value is quoted, cut short, and redacted: a token pasted in
 * the wrong place is shown as [REDACTED].
 */
export function jobIdProblem(value: unknown, token?: string): string | undefined {
  if (isJobId(value)) {
    return undefined;
  }
  const shown =
    typeof value === "string"
      ? JSON.stringify(cut(token === undefined ? value : redact(value, token)))
      : value === undefined
        ? "nothing"
        : typeof value;
  return `jobId must be a Narrative job UUID such as ${EXAMPLE_JOB_ID}; got ${shown}`;
}

function cut(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** A Narrative job exactly as the API returned it. Only `job_id` and `state` are relied upon. */
export interface Job {
  job_id: string;
  state: JobState;
  data_plane_id?: string;
  request_source?: { [key: string]: JsonValue };
  type?: string;
  input?: { [key: string]: JsonValue };
  executor?: string | null;
  execution_cluster?: string;
  failures?: JobFailure[];
  idempotency_key?: string;
  result?: { [key: string]: JsonValue } | null;
  created_at?: string;
  updated_at?: string;
  ended_at?: string | null;
  [key: string]: unknown;
}

/**
 * A job as one answer of the API carried it: parsed, and as its exact JSON text (integers beyond 2^53 are exact
 * only there).
 */
export interface JobSnapshot {
  job: Job;
  jobJson: string;
}

/** What `POST /jobs/{job_id}/reschedule` did. */
export type RescheduleOutcome = "rescheduled" | "skipped_terminal";

/** The body of a successful `POST /jobs/{job_id}/reschedule`. */
export interface RescheduleResponse {
  outcome: RescheduleOutcome;
  job: Job;
  [key: string]: unknown;
}

/** The orders `GET /jobs` sorts by (`order_by`). */
export const JOB_ORDERS = ["created_at_asc", "created_at_desc", "updated_at_asc", "updated_at_desc"] as const;
export type JobOrder = (typeof JOB_ORDERS)[number];

/** Query filters of `GET /jobs`, as documented. */
export interface ListJobsFilters {
  data_plane_id?: string;
  dataset_id?: number;
  state?: JobState;
  type?: string;
  order_by?: JobOrder;
  /** At most 500. */
  per_page?: number;
  /** Page index × per_page. */
  offset?: number;
}

/** The body of `GET /jobs`. `current_page` is 1-based. */
export interface JobPage {
  current_page: number;
  total_pages: number;
  total_records: number;
  records: Job[];
  [key: string]: unknown;
}
