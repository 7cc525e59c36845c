/**
 * When a failed attempt is tried again, and above all when a reschedule POST may be sent again. A reschedule
 * re-runs a job, so sending it twice by accident runs the job twice: a POST is sent again only when the API
 * cannot have acted on it, or after reading the job shows that it did not. The client (client.ts) applies these
 * rules; retry.ts holds the lists they are built on (which statuses and network errors are retried, and why).
 */
import type { Failure } from "./attempt-failure";
import { ATTEMPT_TIMEOUT_RULE, isRetriedStatus } from "./retry-policy";
import { isTerminalJobState, type Job } from "./types";

/**
 * What a failed reschedule POST allows. "resend": the API cannot have acted on it (connection refused, DNS
 * failure, an error while connecting) or refused it before acting (429), so it is sent again. "verify": the API
 * may have acted (a reset or timeout after the request left, 502, 503, 504, an answer that cannot be read), so
 * the job is read first and the POST is sent again only if the job shows no reschedule. "fail": not retried at
 * all (a 500, a 4xx).
 */
export function postFailureHandling(failure: Failure): "resend" | "verify" | "fail" {
  switch (failure.kind) {
    case "status":
      if (failure.status === 429) {
        return "resend";
      }
      return isRetriedStatus(failure.status) ? "verify" : "fail";
    case "network":
      if (!failure.retried) {
        return "fail";
      }
      return failure.reachedServer === "no" ? "resend" : "verify";
    case "timeout":
      return ATTEMPT_TIMEOUT_RULE.reachedServer === "no" ? "resend" : "verify";
    case "bad-body":
      return "verify";
  }
}

/**
 * Whether the API may have acted on a POST that failed this way: a 500 is not retried, but the server may have
 * failed after rescheduling, so the outcome of such a reschedule is unknown.
 */
export function mayHaveActed(failure: Failure): boolean {
  switch (failure.kind) {
    case "status":
      return failure.status >= 500;
    case "network":
      return failure.reachedServer !== "no";
    case "timeout":
    case "bad-body":
      return true;
  }
}

/**
 * The API may still be working on a POST the client stopped waiting for (its own attempt timeout), or that a
 * gateway gave up on (504): a job that shows no reschedule yet is read again, later, before the POST is sent a
 * second time.
 */
export function mayStillBeInProgress(failure: Failure): boolean {
  return failure.kind === "timeout" || (failure.kind === "status" && failure.status === 504);
}

/** How many more times such a reschedule is looked for, an attempt timeout apart, before giving up. */
export const SETTLE_CHECKS = 2;

/** Whether a failed GET (or a POST the rules above allow) is tried again within the budget. */
export function isRetried(failure: Failure): boolean {
  switch (failure.kind) {
    case "status":
      return isRetriedStatus(failure.status);
    case "network":
      return failure.retried;
    case "timeout":
      return ATTEMPT_TIMEOUT_RULE.retried;
    case "bad-body":
      return failure.retried;
  }
}

/** What a reschedule did, judged from the job as a GET shows it after the POST's answer was lost. */
export type RescheduleEvidence = "applied" | "not-applied" | "skipped-terminal";

/**
 * THE EVIDENCE RULE: whether a reschedule whose answer was lost took effect, judged from the job read moments
 * later, within the same call. A reschedule resets the job to pending, clears its executor and moves
 * `updated_at`; by the time of the GET the job may already have been picked up again (running). So:
 * - with the job as it was before (`baseline`): a new `updated_at` with the job pending or running is proof;
 * - without one: only a pending job with no executor is proof;
 * - a terminal job that did not change was skipped when `force` is false (what the API answers with
 *   skipped_terminal); with `force` it simply was not rescheduled.
 * Anything else is "not-applied", which allows the POST to be sent again. The rule demands positive proof because
 * it runs seconds after the POST: a job that changed but is terminal again ended a run that was already under way.
 *
 * A later deployment that finds a reschedule recorded as unfinished judges differently (decisions.ts,
 * `rescheduleTookEffect`): by then the rescheduled run may have finished, so any change since the baseline counts
 * as taken effect.
 */
export function rescheduleAppliedByEvidence(
  baseline: Job | undefined,
  current: Job,
  force: boolean,
): RescheduleEvidence {
  const changed = baseline === undefined ? undefined : current.updated_at !== baseline.updated_at;
  if (baseline === undefined) {
    const executorCleared =
      current.executor === undefined || current.executor === null || current.executor === "";
    if (current.state === "pending" && executorCleared) {
      return "applied";
    }
  } else if (changed === true && (current.state === "pending" || current.state === "running")) {
    return "applied";
  }
  if (!force && isTerminalJobState(current.state) && changed !== true) {
    return "skipped-terminal";
  }
  return "not-applied";
}
