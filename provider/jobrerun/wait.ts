/**
 * Following a rescheduled job until it is dispatched or finished: polling with backoff, progress lines a person
 * can read in CI logs, and an end that is always one of reached, timed out or cancelled. The job keeps running
 * on Narrative whatever happens here: a wait only decides what the deployment records.
 */
import { formatDuration } from "../common/duration";
import type { WaitFor } from "./inputs";
import { isTerminalJobState, type JobSnapshot } from "../api/types";

/** Every default in one place; the tests shorten them. */
export interface PollOptions {
  /** The first wait between two reads of the job. */
  initialIntervalMs: number;
  /** The longest wait between two reads. */
  maxIntervalMs: number;
  /** How much each wait grows. */
  growth: number;
  /** At most one progress line this often while the job does not change. */
  progressEveryMs: number;
}

export const DEFAULT_POLL_OPTIONS: Readonly<PollOptions> = {
  initialIntervalMs: 2_000,
  maxIntervalMs: 30_000,
  growth: 1.5,
  progressEveryMs: 30_000,
};

/** The job has gone as far as the resource waits for. A job that finished without being seen running counts. */
export function jobReached(state: string, waitFor: Exclude<WaitFor, "none">): boolean {
  if (isTerminalJobState(state)) {
    return true;
  }
  return waitFor === "running" && state !== "pending";
}

/** The wait before read number `poll` (from 0): growing, capped, with ±20% jitter so many jobs spread out. */
export function pollDelay(poll: number, options: PollOptions, random: () => number): number {
  const base = Math.min(options.maxIntervalMs, options.initialIntervalMs * options.growth ** poll);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** `2a5b9ad7-dc8f-…` → `2a5b9ad7…`: enough to tell jobs apart in a log line. */
export function shortId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}

/** `job 2a5b9ad7…: running for 4m10s on job-executor-98e1…` */
export function progressLine(snapshot: JobSnapshot, forMs: number): string {
  const { job } = snapshot;
  const executor =
    typeof job.executor === "string" && job.executor !== "" ? ` on ${shortExecutor(job.executor)}` : "";
  return `job ${shortId(job.job_id)}: ${job.state} for ${formatDuration(forMs)}${executor}`;
}

function shortExecutor(executor: string): string {
  const match = /^(job-executor-)(.+)$/.exec(executor);
  return match?.[1] !== undefined && match[2] !== undefined ? `${match[1]}${shortId(match[2])}` : executor;
}

export type WaitEnd = "reached" | "timed-out" | "cancelled";

export interface WaitResult {
  end: WaitEnd;
  /** The job as last seen. */
  last: JobSnapshot;
  /** Reads of the job made while waiting. */
  polls: number;
  waitedMs: number;
}

export interface WaitDependencies {
  getJob(jobId: string): Promise<JobSnapshot>;
  report(line: string): void;
  sleep(ms: number, signal: AbortSignal | undefined): Promise<void>;
  now(): number;
  random(): number;
}

/**
 * Reads the job until it reaches `waitFor`, the timeout passes, or `signal` aborts (the deployment was
 * cancelled). Errors reading the job (after the client's own retries) end the wait by throwing.
 */
export async function waitForJob(
  start: JobSnapshot,
  waitFor: Exclude<WaitFor, "none">,
  timeoutMs: number,
  deps: WaitDependencies,
  signal?: AbortSignal,
  options: PollOptions = DEFAULT_POLL_OPTIONS,
): Promise<WaitResult> {
  const startedAt = deps.now();
  let last = start;
  let polls = 0;
  let stateSince = startedAt;
  let lastProgressAt = startedAt;
  const finish = (end: WaitEnd): WaitResult => {
    const waitedMs = deps.now() - startedAt;
    const id = shortId(last.job.job_id);
    const state = last.job.state;
    deps.report(
      end === "reached"
        ? `job ${id}: ${state} after ${formatDuration(waitedMs)}`
        : end === "timed-out"
          ? `job ${id}: still ${state} after ${formatDuration(waitedMs)}; stopped waiting (timeout), the job goes on`
          : `job ${id}: still ${state}; stopped waiting because the deployment was cancelled, the job goes on`,
    );
    return { end, last, polls, waitedMs };
  };

  while (!jobReached(last.job.state, waitFor)) {
    if (signal?.aborted) {
      return finish("cancelled");
    }
    const remaining = startedAt + timeoutMs - deps.now();
    if (remaining <= 0) {
      return finish("timed-out");
    }
    await deps.sleep(Math.min(remaining, pollDelay(polls, options, deps.random)), signal);
    if (signal?.aborted) {
      return finish("cancelled");
    }
    const previousState = last.job.state;
    last = await deps.getJob(start.job.job_id);
    polls += 1;
    const now = deps.now();
    if (last.job.state !== previousState) {
      stateSince = now;
      lastProgressAt = now;
      deps.report(progressLine(last, 0));
    } else if (now - lastProgressAt >= options.progressEveryMs) {
      lastProgressAt = now;
      deps.report(progressLine(last, now - stateSince));
    }
  }
  return finish("reached");
}
