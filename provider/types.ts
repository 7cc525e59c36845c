/**
 * The Narrative Jobs API's data, as documented in Narrative's API reference. The Job object is open: the API
 * adds fields over time and its examples omit some, so every type here keeps an index signature and the
 * package never drops, renames or rewrites a field it does not know.
 */

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

/** What `POST /jobs/{job_id}/reschedule` did. */
export type RescheduleOutcome = "rescheduled" | "skipped_terminal";

/** The body of a successful `POST /jobs/{job_id}/reschedule`. */
export interface RescheduleResponse {
  outcome: RescheduleOutcome;
  job: Job;
  [key: string]: unknown;
}

export type JobOrder = "created_at_asc" | "created_at_desc" | "updated_at_asc" | "updated_at_desc";

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
