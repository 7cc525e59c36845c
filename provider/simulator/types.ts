/**
 * The simulator's public types, apart from index.ts so that the modules index.ts exports from can use them
 * without an import cycle.
 */
import type { Fault, FaultRoute } from "./faults";
import type { JobOutcome, SimulatorJob } from "./jobs";

export interface SimulatorOptions {
  /** Address to listen on. Default "127.0.0.1". */
  host?: string;
  /** Port to listen on; 0 picks a free one (read it back from `url`). Default 0. */
  port?: number;
  /** The bearer token every API request must carry. Default "demo-token". */
  token?: string;
  /**
   * Jobs to serve instead of the built-in seed. Given with `seedFile`, both are served (the file's first).
   * Values may hold bigint for integers beyond Number.MAX_SAFE_INTEGER.
   */
  jobs?: readonly SimulatorJob[];
  /**
   * A JSON file of jobs to serve instead of the built-in seed: an array of jobs, a `GET /jobs` page
   * (`{records: [...]}`), `{jobs: [...]}`, a reschedule response (`{job: {...}}`) or a single job. Read
   * losslessly, so big integers are served digit for digit.
   */
  seedFile?: string;
  /** When true, the simulator's time moves only through `advance(ms)`. Default false (wall clock). */
  frozen?: boolean;
  /** How long a rescheduled job stays pending, then running. Defaults 2000 ms and 10000 ms. */
  durations?: { pendingMs?: number; runningMs?: number };
  /** Called with one line per API request served (never with the token). */
  log?: (line: string) => void;
}

/** One API request as the simulator received it. Headers are not kept, so the token never is. */
export interface RecordedRequest {
  method: string;
  /** The path without its query string. */
  path: string;
  /** Query parameters; for a repeated name, the last value. */
  query: Record<string, string>;
  /** The raw request body ("" when there was none). */
  body: string;
  /** When the response was sent (or the connection dropped), on the simulator's clock, ISO 8601 with Z. */
  time: string;
  status: number | "dropped";
  /** What fault the request met, e.g. "status 503, retry-after 2"; absent when served normally. */
  fault?: string;
  /** Whether the request carried the right bearer token. */
  authorized: boolean;
  /** For a reschedule served normally: what it did. */
  outcome?: "rescheduled" | "skipped_terminal";
}

/** The in-process handle on a running simulator. */
export interface Simulator {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  readonly url: string;
  readonly token: string;
  /** Every API request received so far, in the order they were answered (a copy). */
  readonly requests: RecordedRequest[];
  /** The requests that were not GETs: the ones that could have changed something. */
  writes(): RecordedRequest[];
  /** A copy of the job as the API would serve it now, or undefined for an unknown id. */
  job(jobId: string): SimulatorJob | undefined;
  /** Copies of every job, in the order they were added. */
  jobs(): SimulatorJob[];
  /** How many reschedules were applied to that job, or to all jobs when no id is given. */
  appliedReschedules(jobId?: string): number;
  /** Moves the simulator's clock forward. */
  advance(ms: number): void;
  /** How the job's runs end from now on (including a run in progress), until changed. Default completed. */
  setJobOutcome(jobId: string, outcome: JobOutcome): void;
  /** Adds a job, or replaces the one with the same id. Returns the stored copy. */
  addJob(job: SimulatorJob): SimulatorJob;
  /**
   * Queues faults for a route: each matching request takes the next one, and requests are served normally
   * once the queue is empty. `route` is a template ("POST /jobs/{job_id}/reschedule") or names one job
   * ("POST /jobs/2a5b9ad7-.../reschedule"); a job's own queue is used before the template's.
   */
  fault(route: FaultRoute, ...faults: Fault[]): void;
  clearFaults(): void;
  /** Back to the state at start: seed jobs, no requests, no faults, no outcomes, clock offset zero. */
  reset(): void;
  /** The simulator's current time, as epoch milliseconds. */
  now(): number;
  /** Stops listening and destroys open (keep-alive) connections. */
  close(): Promise<void>;
}
