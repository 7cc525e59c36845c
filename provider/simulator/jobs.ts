import { randomInt, randomUUID } from "node:crypto";
import { isJobId, isTerminalJobState, type JobOrder, type JobState } from "../api/types";
import type { LosslessObject, LosslessValue } from "../common/json";

/**
 * A job as the simulator keeps it: the Job object, open to any field, where integers beyond
 * Number.MAX_SAFE_INTEGER are bigint so that they are served digit for digit.
 */
export interface SimulatorJob extends LosslessObject {
  job_id: string;
  state: JobState;
  type?: string;
  data_plane_id?: string;
  executor?: string | null;
  created_at?: string;
  updated_at?: string;
  ended_at?: string | null;
}

/** How a job's runs end. `message` and `value` fill the entry appended to `failures` when it fails. */
export interface JobOutcome {
  state: "completed" | "failed";
  message?: string;
  value?: LosslessValue;
}

export interface RunDurations {
  pendingMs: number;
  runningMs: number;
}

/** The simulator's time: the wall clock (or a fixed start when frozen) plus whatever `advance` added. */
export class SimulatorClock {
  private offsetMs = 0;
  private readonly frozenAt: number | undefined;

  constructor(frozen: boolean) {
    this.frozenAt = frozen ? Date.now() : undefined;
  }

  now(): number {
    return (this.frozenAt ?? Date.now()) + this.offsetMs;
  }

  /** The time as ISO 8601 with Z, as the request log and the control routes report it. */
  isoNow(): string {
    return new Date(this.now()).toISOString();
  }

  advance(ms: number): void {
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`advance(ms): ms must be a finite number >= 0, got ${String(ms)}`);
    }
    this.offsetMs += ms;
  }

  reset(): void {
    this.offsetMs = 0;
  }
}

/** `2023-10-31T11:19:13.400000`: the API's style, ISO 8601 with microseconds and no zone (UTC). */
export function apiTimestamp(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, -1)}000`;
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Microseconds since the epoch, for ordering. A timestamp without a zone is read as UTC, as the API's are
 * taken to be; one that cannot be read sorts as the oldest.
 */
export function timestampMicros(value: LosslessValue | undefined): number {
  if (typeof value !== "string") {
    return Number.NEGATIVE_INFINITY;
  }
  const match = TIMESTAMP.exec(value);
  if (match === null) {
    return Number.NEGATIVE_INFINITY;
  }
  const [, seconds, fraction = "", zone = "Z"] = match;
  const epochMs = Date.parse(`${seconds}${zone}`);
  if (Number.isNaN(epochMs)) {
    return Number.NEGATIVE_INFINITY;
  }
  return epochMs * 1_000 + Number(fraction.padEnd(6, "0").slice(0, 6));
}

/** A run started by a reschedule, derived lazily from the clock: no timers. */
interface Run {
  stage: "pending" | "running";
  runningAt: number;
  endsAt: number;
}

interface JobRecord {
  job: SimulatorJob;
  run?: Run;
  outcome?: JobOutcome;
  appliedReschedules: number;
}

export interface RescheduleResult {
  outcome: "rescheduled" | "skipped_terminal";
  job: SimulatorJob;
}

export interface JobListQuery {
  data_plane_id?: string;
  /** Decimal digits, compared with `input.dataset_id`. */
  dataset_id?: string;
  state?: string;
  type?: string;
  order_by: JobOrder;
}

/** The jobs, their runs and outcomes, and the count of applied reschedules. */
export class JobStore {
  private readonly records = new Map<string, JobRecord>();

  constructor(
    private readonly clock: SimulatorClock,
    private readonly durations: RunDurations,
    private readonly initialJobs: readonly SimulatorJob[],
  ) {
    this.reset();
  }

  reset(): void {
    this.records.clear();
    this.initialJobs.forEach((job, index) => this.add(job, `jobs[${index}]`));
  }

  /** Adds a copy of the job, or replaces the job with the same id (forgetting its run, outcome and count). */
  add(job: SimulatorJob, name = "job"): SimulatorJob {
    const copy = validateJob(job, name);
    this.records.set(copy.job_id.toLowerCase(), { job: copy, appliedReschedules: 0 });
    return structuredClone(copy);
  }

  /** A copy of the job as it is now on the simulator's clock. */
  get(jobId: string): SimulatorJob | undefined {
    const record = this.settled(jobId);
    return record === undefined ? undefined : structuredClone(record.job);
  }

  /** Copies of every job as they are now, in the order they were added. */
  all(): SimulatorJob[] {
    return [...this.records.values()].map((record) => {
      this.settle(record);
      return structuredClone(record.job);
    });
  }

  /** The jobs that match the filters, sorted as asked (ties broken by job_id, so pages are stable). */
  list(query: JobListQuery): SimulatorJob[] {
    const dataPlaneId = query.data_plane_id?.toLowerCase();
    const matching = this.all().filter(
      (job) =>
        (dataPlaneId === undefined ||
          (typeof job.data_plane_id === "string" && job.data_plane_id.toLowerCase() === dataPlaneId)) &&
        (query.dataset_id === undefined || datasetIdOf(job) === query.dataset_id) &&
        (query.state === undefined || job.state === query.state) &&
        (query.type === undefined || job.type === query.type),
    );
    const field = query.order_by.startsWith("created_at") ? "created_at" : "updated_at";
    const direction = query.order_by.endsWith("_desc") ? -1 : 1;
    return matching
      .map((job) => ({ job, key: timestampMicros(job[field]) }))
      .sort((a, b) => {
        if (a.key !== b.key) {
          return a.key < b.key ? -direction : direction;
        }
        return a.job.job_id < b.job.job_id ? -1 : a.job.job_id > b.job.job_id ? 1 : 0;
      })
      .map(({ job }) => job);
  }

  /**
   * What `POST /jobs/{job_id}/reschedule` does: a terminal job is left untouched unless `force`; otherwise the
   * job goes back to pending, loses its executor and starts a new run. Undefined for an unknown job.
   */
  reschedule(jobId: string, force: boolean): RescheduleResult | undefined {
    const record = this.settled(jobId);
    if (record === undefined) {
      return undefined;
    }
    if (isTerminalJobState(record.job.state) && !force) {
      return { outcome: "skipped_terminal", job: structuredClone(record.job) };
    }
    const now = this.clock.now();
    record.job.state = "pending";
    delete record.job.executor;
    record.job.updated_at = apiTimestamp(now);
    const runningAt = now + this.durations.pendingMs;
    record.run = { stage: "pending", runningAt, endsAt: runningAt + this.durations.runningMs };
    record.appliedReschedules++;
    return { outcome: "rescheduled", job: structuredClone(record.job) };
  }

  setOutcome(jobId: string, outcome: JobOutcome): void {
    const record = this.records.get(jobId.toLowerCase());
    if (record === undefined) {
      throw new Error(`setJobOutcome: job ${jobId} is not in the simulator`);
    }
    this.settle(record);
    record.outcome = validateOutcome(outcome);
  }

  appliedReschedules(jobId?: string): number {
    if (jobId !== undefined) {
      return this.records.get(jobId.toLowerCase())?.appliedReschedules ?? 0;
    }
    let total = 0;
    for (const record of this.records.values()) {
      total += record.appliedReschedules;
    }
    return total;
  }

  private settled(jobId: string): JobRecord | undefined {
    const record = this.records.get(jobId.toLowerCase());
    if (record !== undefined) {
      this.settle(record);
    }
    return record;
  }

  /** Brings a job's run up to the clock; each change is stamped with the moment it happened, not now. */
  private settle(record: JobRecord): void {
    const run = record.run;
    if (run === undefined) {
      return;
    }
    const now = this.clock.now();
    const job = record.job;
    if (run.stage === "pending" && now >= run.runningAt) {
      job.state = "running";
      job.executor = `job-executor-${randomUUID()}`;
      job.updated_at = apiTimestamp(run.runningAt);
      run.stage = "running";
    }
    if (run.stage === "running" && now >= run.endsAt) {
      const endedAt = apiTimestamp(run.endsAt);
      const outcome = record.outcome ?? { state: "completed" };
      job.state = outcome.state;
      job.ended_at = endedAt;
      job.updated_at = endedAt;
      if (outcome.state === "completed") {
        if (job.type === "materialize-view") {
          job.result = freshViewResult(job, run.endsAt);
        }
      } else {
        const failure: LosslessObject = {
          message: outcome.message ?? "Job failed (simulated)",
          timestamp: endedAt,
          value: outcome.value ?? null,
        };
        job.failures = Array.isArray(job.failures) ? [...job.failures, failure] : [failure];
      }
      delete record.run;
    }
  }
}

function datasetIdOf(job: SimulatorJob): string | undefined {
  const input = job.input;
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return undefined;
  }
  const datasetId = input.dataset_id;
  return typeof datasetId === "number" || typeof datasetId === "bigint" || typeof datasetId === "string"
    ? String(datasetId)
    : undefined;
}

/** A new snapshot of the view: same dataset, new snapshot_id (beyond 2^53, like the API's) and recalculation. */
function freshViewResult(job: SimulatorJob, endedAtMs: number): LosslessObject {
  const previous = job.result !== null && typeof job.result === "object" && !Array.isArray(job.result);
  const result: LosslessObject = previous ? { ...(job.result as LosslessObject) } : {};
  const datasetId = isObject(job.input) ? job.input.dataset_id : undefined;
  if (datasetId !== undefined) {
    result.dataset_id = datasetId;
  }
  result.snapshot_id = BigInt(Math.trunc(endedAtMs)) * 1_000_000n + BigInt(randomInt(1_000_000));
  result.recalculation_id = randomUUID();
  return result;
}

function isObject(value: LosslessValue | undefined): value is LosslessObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Checks that a job is a JSON object with a UUID `job_id` and a string `state`; returns a deep copy. */
export function validateJob(job: unknown, name: string): SimulatorJob {
  if (job === null || typeof job !== "object" || Array.isArray(job)) {
    throw new TypeError(`${name} must be a job object`);
  }
  assertLossless(job, name);
  const candidate = job as LosslessObject;
  if (typeof candidate.job_id !== "string" || !isJobId(candidate.job_id)) {
    throw new TypeError(`${name}.job_id must be a UUID string`);
  }
  if (typeof candidate.state !== "string" || candidate.state === "") {
    throw new TypeError(`${name}.state must be a non-empty string`);
  }
  return structuredClone(candidate) as SimulatorJob;
}

function validateOutcome(outcome: unknown): JobOutcome {
  if (outcome === null || typeof outcome !== "object") {
    throw new TypeError("outcome must be an object such as {state: 'failed', message: '...'}");
  }
  const { state, message, value } = outcome as Record<string, unknown>;
  if (state !== "completed" && state !== "failed") {
    throw new TypeError(`outcome.state must be "completed" or "failed", got ${JSON.stringify(state)}`);
  }
  if (message !== undefined && typeof message !== "string") {
    throw new TypeError("outcome.message must be a string");
  }
  if (value !== undefined) {
    assertLossless(value, "outcome.value");
  }
  const checked: JobOutcome = { state };
  if (message !== undefined) {
    checked.message = message;
  }
  if (value !== undefined) {
    checked.value = structuredClone(value as LosslessValue);
  }
  return checked;
}

/** Rejects what JSON cannot carry (functions, dates, NaN...), which would otherwise be served mangled. */
function assertLossless(value: unknown, name: string, depth = 0): void {
  if (depth > 1_000) {
    throw new TypeError(`${name} is nested too deeply (or circular)`);
  }
  switch (typeof value) {
    case "string":
    case "boolean":
    case "bigint":
    case "undefined":
      return;
    case "number":
      if (!Number.isFinite(value)) {
        throw new TypeError(`${name} must be a finite number, got ${String(value)}`);
      }
      return;
    case "object":
      if (value === null) {
        return;
      }
      if (Array.isArray(value)) {
        value.forEach((item, index) => assertLossless(item, `${name}[${index}]`, depth + 1));
        return;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
        throw new TypeError(`${name} must be a plain JSON object`);
      }
      for (const [key, member] of Object.entries(value)) {
        assertLossless(member, `${name}.${key}`, depth + 1);
      }
      return;
    default:
      throw new TypeError(`${name} is a ${typeof value}, which JSON cannot carry`);
  }
}
