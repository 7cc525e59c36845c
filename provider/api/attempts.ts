/**
 * A client call as a series of attempts under one budget: the limit of each attempt, the wait between two (the
 * backoff, or the server's Retry-After), the progress event before each wait, and the stop when the deployment
 * is cancelled. GETs are retried here by the rules of reschedule-rule.ts (`isRetried`); the reschedule POST,
 * whose rule is stricter, runs its own loop in client.ts on the same pieces.
 */
import type { Parsed } from "./answer-checks";
import { abortableSleep, formatMs } from "../common/duration";
import type { NarrativeError } from "./errors";
import {
  failureReason,
  giveUp,
  statusFailure,
  overLimitProblem,
  toError,
  type Answer,
  type AnswerLimit,
  type Budget,
  type CallContext,
  type ErrorExtra,
  type Failure,
} from "./attempt-failure";
import { redact } from "../common/redact";
import { isRetried } from "./resend-rule";
import { BAD_BODY_RETRIES, MAX_ATTEMPTS_PER_CALL, backoffDelay, type RetryOptions } from "./retry-policy";
import { bodyPreview } from "./body-excerpt";
import { CONFIG_KEYS } from "../common/setting-names";
import { isSuccess, type AttemptTimeout, type Exchange, type Transport } from "./transport";

export interface RetryEvent {
  call: string;
  jobId?: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  delayMs: number;
  /** Why, e.g. "429 Too Many Requests (Retry-After 2s)". */
  reason: string;
}

/** What the attempts of every call share; the client fills it from its options. */
export interface AttemptSettings {
  transport: Transport;
  token: string;
  apiHost: string;
  apiUrlSetting: string;
  retryOptions: Readonly<RetryOptions>;
  onRetry: ((event: RetryEvent) => void) | undefined;
  /** Injected by tests; by default a timer that the cancellation ends. */
  sleep: ((ms: number) => Promise<void>) | undefined;
  cancellation: AbortSignal | undefined;
  now: () => number;
  random: () => number;
}

export class Attempts {
  // An ES private field: util.inspect and JSON.stringify do not show it.
  readonly #settings: AttemptSettings;

  constructor(settings: AttemptSettings) {
    this.#settings = settings;
  }

  /**
   * A call starting now, whose successful answer may hold up to `answerLimit`, with a budget of its own unless it
   * runs inside another call's budget.
   */
  call(
    method: "GET" | "POST",
    pathAndQuery: string,
    answerLimit: AnswerLimit,
    jobId?: string,
    budget?: Budget,
  ): CallContext {
    const { apiHost, apiUrlSetting, retryOptions, now } = this.#settings;
    const startMs = now();
    const context: CallContext = {
      call: `${method} ${pathAndQuery}`,
      method,
      pathAndQuery,
      apiHost,
      apiUrlSetting,
      answerLimit,
      budget: budget ?? {
        startMs,
        deadlineMs: startMs + retryOptions.totalTimeoutMs,
        totalMs: retryOptions.totalTimeoutMs,
      },
    };
    if (jobId !== undefined) {
      context.jobId = jobId;
    }
    return context;
  }

  /** The limit of the next attempt, or undefined when the budget is spent. */
  nextTimeout(budget: Budget): AttemptTimeout | undefined {
    const remainingMs = budget.deadlineMs - this.#settings.now();
    if (remainingMs <= 0) {
      return undefined;
    }
    const { attemptTimeoutMs } = this.#settings.retryOptions;
    return { ms: Math.min(attemptTimeoutMs, remainingMs), byBudget: remainingMs < attemptTimeoutMs };
  }

  /** One attempt of the call. */
  exchange(context: CallContext, body: string | undefined, timeout: AttemptTimeout): Promise<Exchange> {
    const { method, pathAndQuery, answerLimit } = context;
    return this.#settings.transport.exchange(method, pathAndQuery, body, timeout, answerLimit);
  }

  /** A GET under the GET retry policy: retried statuses, network errors and timeouts, and a few bad bodies. */
  async get<T>(
    context: CallContext,
    parse: (body: string) => Parsed<T>,
  ): Promise<{ value: T; body: string }> {
    let attempt = 0;
    let badBodies = 0;
    let last: Failure | undefined;
    for (
      let timeout = this.nextTimeout(context.budget);
      timeout !== undefined && attempt < MAX_ATTEMPTS_PER_CALL;
      timeout = this.nextTimeout(context.budget)
    ) {
      attempt++;
      const exchange = await this.exchange(context, undefined, timeout);
      let failure: Failure;
      if (readable(exchange)) {
        const parsed = parse(exchange.body);
        if ("value" in parsed) {
          return { value: parsed.value, body: exchange.body };
        }
        failure = this.badBody(exchange, parsed);
      } else {
        failure = this.failureOf(exchange);
      }
      if (failure.kind === "bad-body" && ++badBodies > BAD_BODY_RETRIES) {
        // Retried like a 502, a few times: a gateway hiccup passes, a wrong apiUrl does not.
        throw this.error(context, failure, attempt, { gaveUp: false });
      }
      if (!isRetried(failure)) {
        throw this.error(context, failure, attempt, { gaveUp: false });
      }
      if (failure.kind === "timeout" && failure.byBudget && last !== undefined) {
        // The budget cut the last attempt short; the failure before it is what kept the call from succeeding.
        throw this.giveUp(context, attempt, {
          failure: last,
          note: `attempt ${attempt} was cut off when the budget ran out`,
        });
      }
      last = failure;
      await this.pause(context, attempt, failure, undefined);
    }
    throw this.giveUp(context, attempt, last === undefined ? undefined : { failure: last });
  }

  /** Why an exchange without a readable 2xx body failed: no answer, a status the call does not accept, a cut. */
  failureOf(exchange: Exchange): Failure {
    if (exchange.kind === "failed") {
      return exchange.failure;
    }
    if (!isSuccess(exchange.status)) {
      return statusFailure(exchange, this.#settings.token, this.#settings.now());
    }
    if (exchange.overLimit !== undefined) {
      // The same request would get the same answer: not retried.
      return this.badBody(exchange, { problem: overLimitProblem(exchange.overLimit), retried: false });
    }
    return this.badBody(exchange, { problem: "the body was cut off", retried: true });
  }

  /** A 2xx whose body is not what the call returns. */
  badBody(answer: Answer, wrong: { problem: string; retried: boolean }): Failure {
    const { token } = this.#settings;
    const failure: Failure = {
      kind: "bad-body",
      status: answer.status,
      statusText: answer.statusText,
      problem: redact(wrong.problem, token),
      retried: wrong.retried,
    };
    if (answer.body !== undefined) {
      failure.preview = bodyPreview(answer.body, token);
    }
    return failure;
  }

  /** Waits before the next attempt, unless the wait or Retry-After would overrun the budget. */
  async pause(
    context: CallContext,
    attempt: number,
    failure: Failure,
    note: string | undefined,
  ): Promise<void> {
    const { now, retryOptions, random, onRetry, cancellation } = this.#settings;
    const remainingMs = context.budget.deadlineMs - now();
    const retryAfterMs = failure.kind === "status" ? failure.retryAfterMs : undefined;
    if (retryAfterMs !== undefined && retryAfterMs >= remainingMs) {
      throw this.error(context, failure, attempt, {
        gaveUp: false,
        note:
          `the API asks to wait ${formatMs(retryAfterMs)} (Retry-After) but only ` +
          `${formatMs(Math.max(0, remainingMs))} of the ${formatMs(context.budget.totalMs)} budget ` +
          "(totalTimeoutMs) remain",
        next: `Try again later, or raise ${CONFIG_KEYS.totalTimeout} (totalTimeoutMs) to wait it out.`,
      });
    }
    const delayMs = retryAfterMs ?? backoffDelay(attempt, retryOptions, random);
    if (delayMs >= remainingMs) {
      throw this.giveUp(context, attempt, note === undefined ? { failure } : { failure, note });
    }
    const reason = note === undefined ? failureReason(failure) : `${failureReason(failure)}; ${note}`;
    const event: RetryEvent = { call: context.call, attempt, delayMs, reason };
    if (context.jobId !== undefined) {
      event.jobId = context.jobId;
    }
    try {
      onRetry?.(event);
    } catch {
      // A progress printer that fails must not change what a reschedule does.
    }
    await this.wait(delayMs);
    if (cancellation?.aborted === true) {
      // Ctrl+C or a cancelled CI job: no further attempt. What the failures so far established still holds.
      throw this.error(context, failure, attempt, {
        gaveUp: true,
        ...(note === undefined ? {} : { note }),
        next: "Stopped retrying because the deployment was cancelled.",
      });
    }
  }

  /** Waits `ms`, or less when the deployment is cancelled. An injected `sleep` (tests) is raced against it. */
  async wait(ms: number): Promise<void> {
    const { sleep, cancellation: signal } = this.#settings;
    if (sleep === undefined) {
      return abortableSleep(ms, signal);
    }
    if (signal === undefined) {
      return sleep(ms);
    }
    let stop: (() => void) | undefined;
    const cancelled = new Promise<void>((resolve) => {
      stop = () => resolve();
      signal.addEventListener("abort", stop, { once: true });
    });
    try {
      await Promise.race([sleep(ms), cancelled]);
    } finally {
      if (stop !== undefined) {
        signal.removeEventListener("abort", stop);
      }
    }
  }

  /** Milliseconds left of `budget`. */
  remainingMs(budget: Budget): number {
    return budget.deadlineMs - this.#settings.now();
  }

  error(context: CallContext, failure: Failure, attempts: number, extra: ErrorExtra): NarrativeError {
    return toError(context, failure, attempts, extra, this.#settings.now());
  }

  giveUp(
    context: CallContext,
    attempts: number,
    last: { failure: Failure; note?: string } | undefined,
  ): NarrativeError {
    return giveUp(context, attempts, last, this.#settings.now());
  }
}

/** A 2xx answer whose body was read to its end. */
function readable(
  exchange: Exchange,
): exchange is Extract<Exchange, { kind: "response" }> & { body: string } {
  return exchange.kind === "response" && isSuccess(exchange.status) && exchange.body !== undefined;
}
