/**
 * Why one attempt of a client call failed, and the error that tells the user. Every message names the call, the
 * job, the API host, the status where there is one, how many attempts over how long, and what to do next,
 * because the Pulumi CLI shows the message and nothing else.
 */
import { formatMs } from "../common/duration";
import { NarrativeApiError, NarrativeError, NarrativeNetworkError, NarrativeTimeoutError } from "./errors";
import { redact } from "../common/redact";
import { isRetriedStatus, parseRetryAfter, type ReachedServer } from "./retry-policy";
import { shownLocation, summarizeErrorBody } from "./body-excerpt";
import { CONFIG_KEYS, ENV_KEYS } from "../common/setting-names";

/** The time one client call may take, all its attempts and waits included. */
export interface Budget {
  startMs: number;
  deadlineMs: number;
  /** totalTimeoutMs, which messages name. */
  totalMs: number;
}

/** One client call: what its errors and retry events name. */
export interface CallContext {
  /** "GET /jobs/{id}" with the real id: how messages name the call. */
  call: string;
  method: "GET" | "POST";
  pathAndQuery: string;
  jobId?: string;
  /** Host (and port) of the API: never the URL, which could carry credentials. */
  apiHost: string;
  /** Where the API URL came from, for hints that say what to check: "narrative:apiUrl", "apiUrl"... */
  apiUrlSetting: string;
  /** The most a successful answer to this call may hold. */
  answerLimit: AnswerLimit;
  budget: Budget;
}

/** Why one attempt failed, kept until the call retries or gives up. */
export type Failure =
  | {
      kind: "status";
      status: number;
      statusText: string;
      detail?: string;
      logId?: string;
      retryAfterMs?: number;
      location?: string;
    }
  | {
      kind: "bad-body";
      status: number;
      statusText: string;
      problem: string;
      /** The start of the body, redacted; undefined when no body was read. */
      preview?: string;
      /** False when the same request would get the same answer (a body over the size limit). */
      retried: boolean;
    }
  | {
      kind: "network";
      code?: string;
      reason: string;
      retried: boolean;
      reachedServer: ReachedServer;
      cause: Error;
    }
  | { kind: "timeout"; timeoutMs: number; byBudget: boolean };

/** The most an answer's body may hold, and what it should be, for the message when it holds more. */
export interface AnswerLimit {
  bytes: number;
  what: string;
}

/** An answer of the API: its status line, the headers the client reads, and its body. */
export interface Answer {
  status: number;
  statusText: string;
  /** Read only for a status other than 2xx, which is all that uses them: null on a 2xx. */
  retryAfter: string | null;
  location: string | null;
  /** Undefined when the body could not be read to its end (connection dropped, attempt timed out, too large). */
  body: string | undefined;
  /** Set when reading stopped because the body went over this limit. */
  overLimit?: AnswerLimit;
}

/** What an answer with a status the call does not accept says: detail, logId, the wait it asks for, redirect. */
export function statusFailure(
  answer: Answer,
  token: string,
  nowMs: number,
): Extract<Failure, { kind: "status" }> {
  const { status, statusText } = answer;
  const failure: Extract<Failure, { kind: "status" }> = { kind: "status", status, statusText };
  const summary = summarizeErrorBody(answer.body, token);
  if (summary.detail !== undefined) {
    failure.detail = summary.detail;
  }
  if (summary.logId !== undefined) {
    failure.logId = summary.logId;
  }
  // RFC 9110 gives Retry-After to 503 as well as 429; either way the budget still bounds the wait.
  const retryAfterMs =
    status === 429 || status === 503 ? parseRetryAfter(answer.retryAfter, nowMs) : undefined;
  if (retryAfterMs !== undefined) {
    failure.retryAfterMs = retryAfterMs;
  }
  if (answer.location !== null) {
    failure.location = shownLocation(answer.location, token);
  }
  return failure;
}

/** A short reason for a retry event, e.g. "429 Too Many Requests (Retry-After 2s)". */
export function failureReason(failure: Failure): string {
  switch (failure.kind) {
    case "status":
      return (
        `${failure.status} ${failure.statusText}` +
        (failure.retryAfterMs === undefined ? "" : ` (Retry-After ${formatMs(failure.retryAfterMs)})`)
      );
    case "bad-body":
      return `${failure.status} ${failure.statusText} but ${failure.problem}`;
    case "network":
      return failure.reason;
    case "timeout":
      return `no answer within ${formatMs(failure.timeoutMs)}`;
  }
}

/** How an error ends: whether the call gave up, what was learnt on the way, what to do next. */
export interface ErrorExtra {
  gaveUp: boolean;
  note?: string;
  next?: string;
}

/** The error for `failure`, its message naming the call, job, host, status and what to do next. */
export function toError(
  context: CallContext,
  failure: Failure,
  attempts: number,
  extra: ErrorExtra,
  nowMs: number,
): NarrativeError {
  const elapsedMs = Math.max(0, nowMs - context.budget.startMs);
  const tries =
    attempts > 1 || extra.gaveUp ? ` after ${plural(attempts, "attempt")} over ${formatMs(elapsedMs)}` : "";
  const note = extra.note === undefined ? "" : `; ${extra.note}`;
  const told: Told = { where: `${context.call} on ${context.apiHost}`, history: `${tries}${note}` };
  switch (failure.kind) {
    case "status":
      return statusError(context, failure, told, extra);
    case "bad-body":
      return badBodyError(context, failure, told, extra);
    case "network":
      return networkError(context, failure, told, extra);
    case "timeout":
      return timeoutError(context, failure, told, extra);
  }
}

/** The parts every message shares: the call and host first, then how many attempts and what was learnt. */
interface Told {
  where: string;
  history: string;
}

/** Builds the error for one kind of failure. */
type ErrorFor<K extends Failure["kind"]> = (
  context: CallContext,
  failure: Extract<Failure, { kind: K }>,
  told: Told,
  extra: ErrorExtra,
) => NarrativeError;

const statusError: ErrorFor<"status"> = (context, failure, told, extra) => {
  const detail = failure.detail === undefined ? "" : `: ${failure.detail}`;
  const logId = failure.logId === undefined ? "" : ` (logId ${failure.logId})`;
  const location = failure.location === undefined ? "" : ` (Location: ${failure.location})`;
  const hint = extra.next ?? statusHint(failure.status, { ...context, logId: failure.logId });
  return new NarrativeApiError(
    `${told.where} failed with ${failure.status} ${failure.statusText}${detail}${logId}${location}${told.history}. ${hint}`,
    {
      ...errorContext(context),
      status: failure.status,
      statusText: failure.statusText,
      detail: failure.detail,
      logId: failure.logId,
      retryable: isRetriedStatus(failure.status),
    },
  );
};

const badBodyError: ErrorFor<"bad-body"> = (context, failure, told, extra) => {
  const hint =
    extra.next ??
    `A proxy or gateway may be answering in place of the API: check ${context.apiUrlSetting} and try again later.`;
  return new NarrativeApiError(
    `${told.where} answered ${failure.status} ${failure.statusText} but ${failure.problem}${told.history}` +
      `${failure.preview === undefined ? "" : `; it starts ${failure.preview}`}. ${hint}`,
    {
      ...errorContext(context),
      status: failure.status,
      statusText: failure.statusText,
      detail: failure.preview,
      retryable: failure.retried,
    },
  );
};

const networkError: ErrorFor<"network"> = (context, failure, told, extra) => {
  const unsure =
    context.method === "POST" &&
    failure.reachedServer === "maybe" &&
    !extra.gaveUp &&
    extra.note === undefined
      ? ` Job ${context.jobId ?? ""} may or may not have been rescheduled: check its state (pulumi refresh) before running again.`
      : "";
  const hint =
    extra.next ?? `Check ${context.apiUrlSetting}, DNS, proxies and firewalls, and that the API is up.`;
  return new NarrativeNetworkError(
    `${told.where} failed: could not talk to the API (${failure.reason})${told.history}. ${hint}${unsure}`,
    { ...errorContext(context), code: failure.code, cause: failure.cause },
  );
};

const timeoutError: ErrorFor<"timeout"> = (context, failure, told, extra) => {
  // When the budget ends the call, it is the budget that ran out, whatever cut the last attempt.
  const total = failure.byBudget || extra.gaveUp;
  const hint =
    extra.next ??
    (total
      ? `Raise ${CONFIG_KEYS.totalTimeout} (totalTimeoutMs) or check the API status.`
      : `Raise ${CONFIG_KEYS.attemptTimeout} (attemptTimeoutMs) or check the API status.`);
  return new NarrativeTimeoutError(
    `${told.where} got no answer within ${formatMs(failure.timeoutMs)}${told.history}. ${hint}`,
    total
      ? { ...errorContext(context), timeoutMs: context.budget.totalMs, kind: "total" }
      : { ...errorContext(context), timeoutMs: failure.timeoutMs, kind: "attempt" },
  );
};

/** The error when the budget ends the call: the last failure's kind, saying how many attempts over how long. */
export function giveUp(
  context: CallContext,
  attempts: number,
  last: { failure: Failure; note?: string } | undefined,
  nowMs: number,
): NarrativeError {
  const totalMs = context.budget.totalMs;
  const next =
    last?.failure.kind === "status" && last.failure.status === 429
      ? `Rate limited by the API: wait a while and try again, or raise ${CONFIG_KEYS.totalTimeout} (totalTimeoutMs).`
      : `Raise ${CONFIG_KEYS.totalTimeout} (totalTimeoutMs) or check the API status.`;
  if (last === undefined) {
    const elapsedMs = Math.max(0, nowMs - context.budget.startMs);
    return new NarrativeTimeoutError(
      `${context.call} on ${context.apiHost} was not sent: the ${formatMs(totalMs)} budget (totalTimeoutMs) was ` +
        `spent after ${plural(attempts, "attempt")} over ${formatMs(elapsedMs)}. ${next}`,
      { ...errorContext(context), timeoutMs: totalMs, kind: "total" },
    );
  }
  const extra: ErrorExtra = {
    gaveUp: true,
    next: `Stopped: the ${formatMs(totalMs)} budget (totalTimeoutMs) leaves no time for another attempt. ${next}`,
  };
  if (last.note !== undefined) {
    extra.note = last.note;
  }
  return toError(context, last.failure, attempts, extra, nowMs);
}

/** Where a status hint is about: enough to name the job, the permission involved and the URL setting. */
export interface HintContext {
  method: string;
  apiHost: string;
  jobId?: string | undefined;
  logId?: string | undefined;
  /** Default "apiUrl". */
  apiUrlSetting?: string | undefined;
}

/** What to do next after the API answered `status`, as a sentence for the end of a message. */
export function statusHint(status: number, context: HintContext): string {
  const logNote = context.logId === undefined ? "" : ` (quote logId ${context.logId} to Narrative support)`;
  const isWrite = context.method !== "GET";
  const apiUrl = context.apiUrlSetting ?? "apiUrl";
  switch (status) {
    case 400:
      return "The API rejected the request as invalid: check the job id and the filters.";
    case 401:
      return (
        `Check ${CONFIG_KEYS.token} (pulumi config set --secret ${CONFIG_KEYS.token} <key>) or ${ENV_KEYS.token}; ` +
        "the key may be expired."
      );
    case 403:
      return (
        "The API key needs the Jobs permission (read for GET, write for reschedule); " +
        `this call needs ${isWrite ? "write" : "read"}.`
      );
    case 404:
      return context.jobId === undefined
        ? `Check ${apiUrl}: ${context.apiHost} has no such endpoint.`
        : `No job ${context.jobId} on ${context.apiHost}: check jobId and that the token's company owns it.`;
    case 409:
      return "The request conflicts with the job's current state: read the job and try again once it has settled.";
    case 429:
      return `Rate limited by the API: wait a while and try again, or raise ${CONFIG_KEYS.totalTimeout}.`;
    case 500:
      return (
        `The API failed with an internal error${logNote}; it is not retried, since a server bug is not transient. ` +
        (isWrite
          ? "The job may or may not have been rescheduled: check its state (pulumi refresh) before running again."
          : "Try again later.")
      );
    default:
      if (status >= 502 && status <= 504) {
        return `The API or a gateway in front of it failed${logNote}: try again later.`;
      }
      if (status >= 300 && status < 400) {
        return `The API answered with a redirect: point ${apiUrl} at the final address (https, no extra path).`;
      }
      if (status >= 500) {
        return `The API failed${logNote}: try again later.`;
      }
      return "Check the request; it is not retried.";
  }
}

/**
 * A copy of a network error that keeps its name, code and stack, redacted. node-fetch's errors hold no request
 * today, but an error from below could carry headers; the copy guarantees the token never rides along.
 */
export function sanitizedCause(error: unknown, token: string): Error {
  const source = error instanceof Error ? error : new Error(String(error));
  const copy = new Error(redact(source.message, token));
  Object.defineProperty(copy, "name", {
    value: source.name,
    enumerable: false,
    writable: true,
    configurable: true,
  });
  const { code, errno, syscall } = source as { code?: unknown; errno?: unknown; syscall?: unknown };
  for (const [key, value] of Object.entries({ code, errno, syscall })) {
    if (typeof value === "string" || typeof value === "number") {
      Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  copy.stack = redact(source.stack ?? `${source.name}: ${source.message}`, token);
  return copy;
}

function errorContext(context: CallContext): { call: string; jobId?: string; apiHost: string } {
  return context.jobId === undefined
    ? { call: context.call, apiHost: context.apiHost }
    : { call: context.call, jobId: context.jobId, apiHost: context.apiHost };
}

/** What was wrong with a body that went over its limit, for "answered 200 OK but <problem>". */
export function overLimitProblem(limit: AnswerLimit): string {
  return `the body is over the ${formatBytes(limit.bytes)} limit for ${limit.what}, so reading stopped there`;
}

/** `1048576` → `"1 MiB"`, `65536` → `"64 KiB"`. */
function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) {
    return `${bytes / (1024 * 1024)} MiB`;
  }
  return bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
