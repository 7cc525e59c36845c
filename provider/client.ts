/**
 * The Narrative Jobs API client: GET /jobs/{id}, GET /jobs and POST /jobs/{id}/reschedule over node-fetch v2
 * with one keep-alive agent per client, a timeout per attempt under a budget per call, and the retry policy of
 * retry.ts. It prints nothing: progress goes through `onRetry`, failures are thrown as the errors of errors.ts,
 * and the API token appears in neither.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import fetch from "node-fetch";
import {
  NarrativeApiError,
  NarrativeConfigError,
  NarrativeError,
  NarrativeNetworkError,
  NarrativeTimeoutError,
  bodyPreview,
  redact,
  statusHint,
  summarizeErrorBody,
  withUnknownOutcome,
} from "./errors";
import { rawJsonMember } from "./json";
import {
  ATTEMPT_TIMEOUT_RULE,
  BAD_BODY_RETRIES,
  DEFAULT_RETRY_OPTIONS,
  MAX_ATTEMPTS_PER_CALL,
  backoffDelay,
  isRetriedStatus,
  networkRule,
  parseRetryAfter,
  type ReachedServer,
  type RetryOptions,
} from "./retry";
import {
  isTerminalJobState,
  type Job,
  type JobOrder,
  type JobPage,
  type ListJobsFilters,
  type RescheduleOutcome,
} from "./types";

export interface NarrativeClientOptions {
  /** Absolute http(s) base URL, e.g. "https://api.narrative.io"; may carry a path prefix. */
  apiUrl: string;
  /** The API key, sent as `Authorization: Bearer <token>` and nowhere else. */
  token: string;
  /** Default 30 000 (DEFAULT_RETRY_OPTIONS). */
  attemptTimeoutMs?: number;
  /** Default 120 000 (DEFAULT_RETRY_OPTIONS). */
  totalTimeoutMs?: number;
  /** Default 500 (DEFAULT_RETRY_OPTIONS). */
  baseDelayMs?: number;
  /** Default 10 000 (DEFAULT_RETRY_OPTIONS). */
  maxDelayMs?: number;
  /** Default "pulumi-narrative-jobs/<package version>". */
  userAgent?: string;
  /** Told before every wait between attempts; the provider prints these as progress lines. */
  onRetry?: (event: RetryEvent) => void;
  /** For tests: the wait between attempts (default setTimeout), the clock (Date.now) and jitter (Math.random). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
  /** When aborted (the deployment was cancelled), waits between attempts end and no further attempt is made. */
  cancellation?: AbortSignal;
}

export interface RetryEvent {
  call: string;
  jobId?: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  delayMs: number;
  /** Why, e.g. "429 Too Many Requests (Retry-After 2s)". */
  reason: string;
}

export interface FetchedJob {
  job: Job;
  /** The exact response text of the job: integers beyond 2^53 survive only here. */
  jobJson: string;
}

export interface RescheduleResult {
  outcome: RescheduleOutcome;
  job: Job;
  jobJson: string;
  /** POSTs sent. */
  attempts: number;
  /** True when the outcome was read from GET /jobs/{id} because the POST's own answer was lost. */
  verifiedByGet: boolean;
}

/** What a reschedule did, judged from the job as a GET shows it after the POST's answer was lost. */
export type RescheduleEvidence = "applied" | "not-applied" | "skipped-terminal";

/**
 * Whether a reschedule whose answer was lost took effect. A reschedule resets the job to pending, clears its
 * executor and moves `updated_at`; the job may already have been picked up again (running) by the time of the
 * GET. Without a baseline only a pending job with no executor is proof. A terminal job that did not change was
 * skipped when `force` is false; with `force` it simply was not rescheduled.
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

/** `GET /jobs` returns at most this many jobs a page. */
export const MAX_PER_PAGE = 500;
/** Page size `listAllJobs` uses when none is given. */
export const DEFAULT_LIST_ALL_PER_PAGE = 100;
/** Pages `listAllJobs` reads at most (5 million jobs at 500 a page): a bound against a page count that lies. */
const MAX_PAGES = 10_000;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JOB_ORDERS: readonly JobOrder[] = [
  "created_at_asc",
  "created_at_desc",
  "updated_at_asc",
  "updated_at_desc",
];
/** In the order they are written into the query string. */
const FILTER_NAMES = [
  "data_plane_id",
  "dataset_id",
  "state",
  "type",
  "order_by",
  "per_page",
  "offset",
] as const;

/** Idle keep-alive sockets are closed after this, or sooner when the server announces a shorter Keep-Alive. */
const IDLE_SOCKET_TIMEOUT_MS = 30_000;

interface Budget {
  startMs: number;
  deadlineMs: number;
}

/** One request in a client call: what the errors and retry events name. */
interface CallContext {
  call: string;
  method: "GET" | "POST";
  jobId?: string;
  budget: Budget;
}

/** Why one attempt failed, kept until the call retries or gives up. */
type Failure =
  | {
      kind: "status";
      status: number;
      statusText: string;
      detail?: string;
      logId?: string;
      retryAfterMs?: number;
      location?: string;
    }
  | { kind: "bad-body"; status: number; statusText: string; problem: string; preview: string }
  | {
      kind: "network";
      code?: string;
      reason: string;
      retried: boolean;
      reachedServer: ReachedServer;
      cause: Error;
    }
  | { kind: "timeout"; timeoutMs: number; byBudget: boolean };

/** One HTTP exchange as it happened. */
type Exchange =
  | {
      kind: "response";
      status: number;
      statusText: string;
      retryAfter: string | null;
      location: string | null;
      /** Undefined when the body could not be read to its end (connection dropped, attempt timed out). */
      body: string | undefined;
    }
  | { kind: "failed"; failure: Failure };

interface AttemptTimeout {
  ms: number;
  /** The budget, not attemptTimeoutMs, set this attempt's limit. */
  byBudget: boolean;
}

export class NarrativeJobsClient {
  /** Host (and port) of the API, for messages. */
  readonly apiHost: string;
  private readonly baseUrl: string;
  private readonly retryOptions: Readonly<RetryOptions>;
  private readonly agent: http.Agent;
  private readonly onRetry: ((event: RetryEvent) => void) | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly cancellation: AbortSignal | undefined;
  private readonly now: () => number;
  private readonly random: () => number;
  // ES private fields: util.inspect(client) and JSON.stringify(client) do not show them.
  readonly #token: string;
  readonly #headers: Readonly<Record<string, string>>;

  constructor(options: NarrativeClientOptions) {
    const token: unknown = options.token;
    if (typeof token !== "string" || token.trim() === "") {
      throw new NarrativeConfigError(
        "No Narrative API token: set it with `pulumi config set --secret narrative:token <key>` " +
          "or the NARRATIVE_API_TOKEN environment variable.",
        { property: "narrative:token" },
      );
    }
    if (
      [...token].some(
        (char) => char.trim() === "" || char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f,
      )
    ) {
      throw new NarrativeConfigError(
        "The Narrative API token contains whitespace or control characters, which a header cannot carry: " +
          "set it again with `pulumi config set --secret narrative:token <key>` or NARRATIVE_API_TOKEN.",
        { property: "narrative:token" },
      );
    }
    this.#token = token;
    const base = parseApiUrl(options.apiUrl, token);
    this.apiHost = base.host;
    this.baseUrl = `${base.origin}${base.pathname.replace(/\/+$/, "")}`;
    this.retryOptions = resolveRetryOptions(options);
    this.#headers = {
      Authorization: `Bearer ${token}`,
      Accept: "application/json",
      "User-Agent": options.userAgent ?? defaultUserAgent(),
    };
    const agentOptions: http.AgentOptions = { keepAlive: true, timeout: IDLE_SOCKET_TIMEOUT_MS };
    this.agent = base.protocol === "https:" ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.onRetry = options.onRetry;
    // Looked up at call time, so that sinon fake timers installed after construction still apply.
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.cancellation = options.cancellation;
    this.now = options.now ?? (() => Date.now());
    this.random = options.random ?? Math.random;
  }

  /** The job exactly as the API returns it; `jobJson` is the response text itself. */
  async getJob(jobId: string): Promise<FetchedJob> {
    this.checkJobId(jobId);
    return this.fetchJob(jobId, this.startBudget());
  }

  /** One page of the company's jobs. */
  async listJobs(filters: ListJobsFilters = {}): Promise<JobPage> {
    const query = filterQuery(filters).toString();
    const pathAndQuery = query === "" ? "/jobs" : `/jobs?${query}`;
    const context: CallContext = { call: `GET ${pathAndQuery}`, method: "GET", budget: this.startBudget() };
    const { value } = await this.getWithRetry(context, pathAndQuery, parseJobPage, "not a page of jobs");
    return value;
  }

  /** One page as `listJobs` reads it, with the exact response text: integers beyond 2^53 survive only there. */
  async listJobsPage(filters: ListJobsFilters = {}): Promise<{ page: JobPage; pageJson: string }> {
    const query = filterQuery(filters).toString();
    const pathAndQuery = query === "" ? "/jobs" : `/jobs?${query}`;
    const context: CallContext = { call: `GET ${pathAndQuery}`, method: "GET", budget: this.startBudget() };
    const { value, body } = await this.getWithRetry(
      context,
      pathAndQuery,
      parseJobPage,
      "not a page of jobs",
    );
    return { page: value, pageJson: body };
  }

  /**
   * Every job matching `filters`, page after page by offset. Jobs created while walking shift later pages, so a
   * job already yielded is not yielded again.
   */
  async *listAllJobs(filters: Omit<ListJobsFilters, "offset"> = {}): AsyncIterable<Job> {
    if ((filters as ListJobsFilters).offset !== undefined) {
      throw new NarrativeConfigError("listAllJobs walks every page itself: leave out offset.", {
        property: "offset",
      });
    }
    const perPage = filters.per_page ?? DEFAULT_LIST_ALL_PER_PAGE;
    filterQuery({ ...filters, per_page: perPage });
    const yielded = new Set<string>();
    for (let pageIndex = 0; pageIndex < MAX_PAGES; pageIndex++) {
      const page = await this.listJobs({ ...filters, per_page: perPage, offset: pageIndex * perPage });
      for (const job of page.records) {
        if (!yielded.has(job.job_id)) {
          yielded.add(job.job_id);
          yield job;
        }
      }
      const lastPage = typeof page.total_pages === "number" && pageIndex + 1 >= page.total_pages;
      if (page.records.length < perPage || lastPage) {
        return;
      }
    }
  }

  /** Puts the job back on the queue (`force` also re-runs a finished job). See THE POST RULE below. */
  async reschedule(jobId: string, options: { force: boolean; baseline?: Job }): Promise<RescheduleResult> {
    this.checkJobId(jobId);
    const force: unknown = options.force;
    if (typeof force !== "boolean") {
      throw new NarrativeConfigError(`force must be true or false to reschedule job ${jobId}.`, {
        property: "force",
        jobId,
        apiHost: this.apiHost,
      });
    }
    const budget = this.startBudget();
    const pathname = `/jobs/${encodeURIComponent(jobId)}/reschedule`;
    const context: CallContext = { call: `POST ${pathname}`, method: "POST", jobId, budget };
    const body = force ? '{"force":true}' : '{"force":false}';
    let posts = 0;
    let last: { failure: Failure; note?: string; settled: boolean } | undefined;
    while (posts < MAX_ATTEMPTS_PER_CALL) {
      const timeout = this.attemptTimeout(budget);
      if (timeout === undefined) {
        break;
      }
      posts++;
      const exchange = await this.exchange("POST", pathname, body, timeout);

      if (exchange.kind === "response" && isSuccess(exchange.status)) {
        const answer = exchange.body === undefined ? undefined : parseRescheduleBody(exchange.body);
        if (answer !== undefined) {
          return { ...answer, attempts: posts, verifiedByGet: false };
        }
        // A 2xx means the API acted on this POST: it is never sent again. Only its answer is missing (cut off,
        // not JSON, no outcome or job), so the job is read to learn what the reschedule did.
        const seen = await this.verifyReschedule(context, {
          accepted: true,
          postFailure: answerProblem(exchange),
        });
        const evidence = rescheduleAppliedByEvidence(options.baseline, seen.job, force);
        if (evidence === "not-applied" && exchange.body !== undefined) {
          // A complete 2xx that is not a reschedule result, and a job that shows none: something other than the
          // API (a proxy, a login page) answered. Nothing was rescheduled, so the deployment may simply try again.
          // (A body cut off mid-way did come from the API, which acted: that case is trusted below.)
          const answer: Failure = {
            kind: "bad-body",
            status: exchange.status,
            statusText: exchange.statusText,
            problem:
              exchange.body === undefined ? "the body was cut off" : "the body is not a reschedule result",
            preview: bodyPreview(exchange.body, this.#token),
          };
          throw this.toError(context, answer, posts, {
            gaveUp: false,
            note: `and GET /jobs/${jobId} shows the job was not rescheduled`,
            next:
              "Something other than the Narrative API may be answering (a proxy or a login page): check " +
              "narrative:apiUrl (or NARRATIVE_API_URL). Nothing was rescheduled.",
          });
        }
        const outcome: RescheduleOutcome =
          evidence === "skipped-terminal" ? "skipped_terminal" : "rescheduled";
        return { outcome, job: seen.job, jobJson: seen.jobJson, attempts: posts, verifiedByGet: true };
      }

      const failure: Failure = exchange.kind === "failed" ? exchange.failure : this.statusFailure(exchange);
      // THE POST RULE. A reschedule POST is sent again only when it cannot have reached the API (connection
      // refused, DNS failure, an error while connecting) or was refused before the API acted (429), or after
      // GET /jobs/{id} shows the job was not rescheduled. Every ambiguous failure (reset or timeout after the
      // request left, 502, 503, 504) is settled by that GET first, so a job is never re-run twice by accident.
      const handling = postFailureHandling(failure);
      if (handling === "fail") {
        // A 500, say, is not retried; but the API may have acted before failing, so the outcome is unknown.
        throw withUnknownOutcome(
          this.toError(context, failure, posts, { gaveUp: false }),
          mayHaveActed(failure),
        );
      }
      let note: string | undefined;
      let settled = true;
      if (handling === "verify") {
        let seen = await this.verifyReschedule(context, {
          accepted: false,
          postFailure: failureReason(failure),
        });
        let evidence = rescheduleAppliedByEvidence(options.baseline, seen.job, force);
        // A POST that the client stopped waiting for (its own timeout) or a gateway gave up on (504) may still
        // be running inside the API, so a job that shows no reschedule yet is read again, later, before the
        // POST is sent a second time.
        for (
          let check = 0;
          evidence === "not-applied" && mayStillBeInProgress(failure) && check < SETTLE_CHECKS;
          check++
        ) {
          const waitMs = Math.min(this.retryOptions.attemptTimeoutMs, budget.deadlineMs - this.now());
          if (waitMs <= 0) {
            settled = false;
            break;
          }
          await this.sleep(waitMs);
          seen = await this.verifyReschedule(context, {
            accepted: false,
            postFailure: failureReason(failure),
          });
          evidence = rescheduleAppliedByEvidence(options.baseline, seen.job, force);
        }
        if (evidence !== "not-applied") {
          const outcome: RescheduleOutcome = evidence === "applied" ? "rescheduled" : "skipped_terminal";
          return { outcome, job: seen.job, jobJson: seen.jobJson, attempts: posts, verifiedByGet: true };
        }
        note = `GET /jobs/${jobId} shows the job was not rescheduled`;
      }
      last = note === undefined ? { failure, settled } : { failure, note, settled };
      if (!settled) {
        // Still nothing to see, but the first POST may yet land: sending another could run the job twice.
        break;
      }
      await this.pauseBeforeRetry(context, posts, failure, note);
    }
    // The budget ran out. If the last POST's fate was never settled by a GET, the reschedule may have happened.
    throw withUnknownOutcome(
      this.giveUp(context, posts, last),
      last !== undefined &&
        (!last.settled || (last.note === undefined && postFailureHandling(last.failure) !== "resend")),
    );
  }

  /** Destroys the keep-alive agent and its sockets. */
  close(): void {
    this.agent.destroy();
  }

  private async fetchJob(jobId: string, budget: Budget): Promise<FetchedJob> {
    const pathname = `/jobs/${encodeURIComponent(jobId)}`;
    const context: CallContext = { call: `GET ${pathname}`, method: "GET", jobId, budget };
    const { value, body } = await this.getWithRetry(context, pathname, parseJob, "not a job");
    return { job: value, jobJson: body };
  }

  /**
   * Reads the job after a reschedule POST whose answer was lost, inside the same budget. When even that fails,
   * the message says what is known: the API accepted the POST (2xx), or nobody knows whether it acted.
   */
  private async verifyReschedule(
    post: CallContext,
    lost: { accepted: boolean; postFailure: string },
  ): Promise<FetchedJob> {
    const jobId = post.jobId ?? "";
    try {
      return await this.fetchJob(jobId, post.budget);
    } catch (error) {
      if (!(error instanceof NarrativeError)) {
        throw error;
      }
      const known = lost.accepted
        ? `The API accepted the reschedule of job ${jobId}; run \`pulumi refresh\` to record the job's state.`
        : `Job ${jobId} may or may not have been rescheduled: check its state (pulumi refresh) before running again.`;
      const message =
        `${post.call} on ${this.apiHost} ${lost.accepted ? "answered" : "failed"} (${lost.postFailure}) and ` +
        `reading the job afterwards failed too: ${error.message} ${known}`;
      // Whether the API acted is not known (or, after a 2xx, known but not recorded): the provider records the
      // reschedule for the next deployment to check, instead of forgetting it.
      throw withUnknownOutcome(rewrapError(error, message));
    }
  }

  /** A GET under the GET retry policy: retried statuses, network errors and timeouts, and a few bad bodies. */
  private async getWithRetry<T>(
    context: CallContext,
    pathAndQuery: string,
    parse: (body: string) => T | undefined,
    notWhatWasAsked: string,
  ): Promise<{ value: T; body: string }> {
    let attempt = 0;
    let badBodies = 0;
    let last: Failure | undefined;
    while (attempt < MAX_ATTEMPTS_PER_CALL) {
      const timeout = this.attemptTimeout(context.budget);
      if (timeout === undefined) {
        break;
      }
      attempt++;
      const exchange = await this.exchange("GET", pathAndQuery, undefined, timeout);
      let failure: Failure;
      if (exchange.kind === "failed") {
        failure = exchange.failure;
      } else if (isSuccess(exchange.status)) {
        const value = exchange.body === undefined ? undefined : parse(exchange.body);
        if (value !== undefined && exchange.body !== undefined) {
          return { value, body: exchange.body };
        }
        failure = {
          kind: "bad-body",
          status: exchange.status,
          statusText: exchange.statusText,
          problem: exchange.body === undefined ? "the body was cut off" : `the body is ${notWhatWasAsked}`,
          preview: bodyPreview(exchange.body, this.#token),
        };
        // Retried like a 502, a few times: a gateway hiccup passes, a wrong apiUrl does not.
        badBodies++;
        if (badBodies > BAD_BODY_RETRIES) {
          throw this.toError(context, failure, attempt, { gaveUp: false });
        }
      } else {
        failure = this.statusFailure(exchange);
      }
      if (!isRetried(failure)) {
        throw this.toError(context, failure, attempt, { gaveUp: false });
      }
      if (failure.kind === "timeout" && failure.byBudget && last !== undefined) {
        // The budget cut the last attempt short; the failure before it is what kept the call from succeeding.
        throw this.giveUp(context, attempt, {
          failure: last,
          note: `attempt ${attempt} was cut off when the budget ran out`,
        });
      }
      last = failure;
      await this.pauseBeforeRetry(context, attempt, failure, undefined);
    }
    throw this.giveUp(context, attempt, last === undefined ? undefined : { failure: last });
  }

  /** One HTTP exchange under one attempt timeout; the whole body is read within it. Never throws. */
  private async exchange(
    method: "GET" | "POST",
    pathAndQuery: string,
    body: string | undefined,
    timeout: AttemptTimeout,
  ): Promise<Exchange> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout.ms);
    const timedOut = (): Exchange => ({
      kind: "failed",
      failure: { kind: "timeout", timeoutMs: timeout.ms, byBudget: timeout.byBudget },
    });
    try {
      let response: Awaited<ReturnType<typeof fetch>>;
      try {
        response = await fetch(`${this.baseUrl}${pathAndQuery}`, {
          method,
          headers:
            body === undefined ? this.#headers : { ...this.#headers, "Content-Type": "application/json" },
          ...(body === undefined ? {} : { body }),
          agent: this.agent,
          // The global AbortSignal is what node-fetch checks for; its bundled type is a structural stand-in.
          signal: controller.signal as unknown as NonNullable<Parameters<typeof fetch>[1]>["signal"],
          // A redirect is reported, not followed: following one could re-send a POST or carry the token elsewhere.
          redirect: "manual",
        });
      } catch (error) {
        return controller.signal.aborted
          ? timedOut()
          : { kind: "failed", failure: this.networkFailure(error) };
      }
      const head = {
        status: response.status,
        // A standard reason phrase cannot hold the token; anything else is redacted before it can be quoted.
        statusText:
          response.statusText === http.STATUS_CODES[response.status]
            ? response.statusText
            : redact(response.statusText, this.#token),
        retryAfter: response.headers.get("retry-after"),
        location: response.headers.get("location"),
      };
      try {
        return { kind: "response", ...head, body: await response.text() };
      } catch {
        // The status arrived but the body did not: for a 2xx POST that still means the API acted.
        return { kind: "response", ...head, body: undefined };
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private statusFailure(
    exchange: Extract<Exchange, { kind: "response" }>,
  ): Extract<Failure, { kind: "status" }> {
    const status = exchange.status;
    const summary = summarizeErrorBody(exchange.body, this.#token);
    const failure: Extract<Failure, { kind: "status" }> = {
      kind: "status",
      status,
      statusText: exchange.statusText,
    };
    if (summary.detail !== undefined) {
      failure.detail = summary.detail;
    }
    if (summary.logId !== undefined) {
      failure.logId = summary.logId;
    }
    // RFC 9110 gives Retry-After to 503 as well as 429; either way the budget still bounds the wait.
    const retryAfterMs =
      status === 429 || status === 503 ? parseRetryAfter(exchange.retryAfter, this.now()) : undefined;
    if (retryAfterMs !== undefined) {
      failure.retryAfterMs = retryAfterMs;
    }
    if (exchange.location !== null) {
      failure.location = redact(exchange.location, this.#token);
    }
    return failure;
  }

  private networkFailure(error: unknown): Extract<Failure, { kind: "network" }> {
    const cause = sanitizedCause(error, this.#token);
    const code = (cause as { code?: unknown }).code;
    // node-fetch writes "request to <url> failed, reason: <system error>"; the URL is already in the message.
    const reason = cause.message.replace(/^request to \S+ failed, reason: /, "");
    const rule = networkRule(typeof code === "string" ? code : undefined, cause.message);
    const failure: Extract<Failure, { kind: "network" }> = {
      kind: "network",
      reason: reason === "" ? cause.name : reason,
      retried: rule?.retried ?? false,
      reachedServer: rule?.reachedServer ?? "maybe",
      cause,
    };
    if (typeof code === "string") {
      failure.code = code;
    }
    return failure;
  }

  /** Waits before the next attempt, unless the wait or Retry-After would overrun the budget. */
  private async pauseBeforeRetry(
    context: CallContext,
    attempt: number,
    failure: Failure,
    note: string | undefined,
  ): Promise<void> {
    const remainingMs = context.budget.deadlineMs - this.now();
    const retryAfterMs = failure.kind === "status" ? failure.retryAfterMs : undefined;
    if (retryAfterMs !== undefined && retryAfterMs >= remainingMs) {
      throw this.toError(context, failure, attempt, {
        gaveUp: false,
        note:
          `the API asks to wait ${formatMs(retryAfterMs)} (Retry-After) but only ` +
          `${formatMs(Math.max(0, remainingMs))} of the ${formatMs(this.retryOptions.totalTimeoutMs)} budget ` +
          "(totalTimeoutMs) remain",
        next: "Try again later, or raise narrative:totalTimeout (totalTimeoutMs) to wait it out.",
      });
    }
    const delayMs = retryAfterMs ?? backoffDelay(attempt, this.retryOptions, this.random);
    if (delayMs >= remainingMs) {
      throw this.giveUp(context, attempt, note === undefined ? { failure } : { failure, note });
    }
    const reason = note === undefined ? failureReason(failure) : `${failureReason(failure)}; ${note}`;
    const event: RetryEvent = { call: context.call, attempt, delayMs, reason };
    if (context.jobId !== undefined) {
      event.jobId = context.jobId;
    }
    try {
      this.onRetry?.(event);
    } catch {
      // A progress printer that fails must not change what a reschedule does.
    }
    await this.sleepUnlessCancelled(delayMs);
    if (this.cancellation?.aborted === true) {
      // Ctrl+C or a cancelled CI job: no further attempt. What the failures so far established still holds.
      throw this.toError(context, failure, attempt, {
        gaveUp: true,
        ...(note === undefined ? {} : { note }),
        next: "Stopped retrying because the deployment was cancelled.",
      });
    }
  }

  private async sleepUnlessCancelled(ms: number): Promise<void> {
    const signal = this.cancellation;
    if (signal === undefined) {
      await this.sleep(ms);
      return;
    }
    let stop: (() => void) | undefined;
    const cancelled = new Promise<void>((resolve) => {
      stop = () => resolve();
      signal.addEventListener("abort", stop, { once: true });
    });
    try {
      await Promise.race([this.sleep(ms), cancelled]);
    } finally {
      if (stop !== undefined) {
        signal.removeEventListener("abort", stop);
      }
    }
  }

  /** The limit of the next attempt, or undefined when the budget is spent. */
  private attemptTimeout(budget: Budget): AttemptTimeout | undefined {
    const remainingMs = budget.deadlineMs - this.now();
    if (remainingMs <= 0) {
      return undefined;
    }
    const { attemptTimeoutMs } = this.retryOptions;
    return { ms: Math.min(attemptTimeoutMs, remainingMs), byBudget: remainingMs < attemptTimeoutMs };
  }

  private startBudget(): Budget {
    const startMs = this.now();
    return { startMs, deadlineMs: startMs + this.retryOptions.totalTimeoutMs };
  }

  /** The error when the budget ends the call: the last failure's kind, saying how many attempts over how long. */
  private giveUp(
    context: CallContext,
    attempts: number,
    last: { failure: Failure; note?: string } | undefined,
  ): NarrativeError {
    const totalMs = this.retryOptions.totalTimeoutMs;
    const next =
      last?.failure.kind === "status" && last.failure.status === 429
        ? "Rate limited by the API: wait a while and try again, or raise narrative:totalTimeout (totalTimeoutMs)."
        : "Raise narrative:totalTimeout (totalTimeoutMs) or check the API status.";
    if (last === undefined) {
      const elapsedMs = Math.max(0, this.now() - context.budget.startMs);
      return new NarrativeTimeoutError(
        `${context.call} on ${this.apiHost} was not sent: the ${formatMs(totalMs)} budget (totalTimeoutMs) was ` +
          `spent after ${plural(attempts, "attempt")} over ${formatMs(elapsedMs)}. ${next}`,
        { ...this.errorContext(context), timeoutMs: totalMs, kind: "total" },
      );
    }
    return this.toError(context, last.failure, attempts, {
      gaveUp: true,
      ...(last.note === undefined ? {} : { note: last.note }),
      next: `Stopped: the ${formatMs(totalMs)} budget (totalTimeoutMs) leaves no time for another attempt. ${next}`,
    });
  }

  /** The error for `failure`, its message naming the call, job, host, status and what to do next. */
  private toError(
    context: CallContext,
    failure: Failure,
    attempts: number,
    extra: { gaveUp: boolean; note?: string; next?: string },
  ): NarrativeError {
    const where = `${context.call} on ${this.apiHost}`;
    const elapsedMs = Math.max(0, this.now() - context.budget.startMs);
    const tries =
      attempts > 1 || extra.gaveUp ? ` after ${plural(attempts, "attempt")} over ${formatMs(elapsedMs)}` : "";
    const note = extra.note === undefined ? "" : `; ${extra.note}`;
    const base = this.errorContext(context);
    switch (failure.kind) {
      case "status": {
        const detail = failure.detail === undefined ? "" : `: ${failure.detail}`;
        const logId = failure.logId === undefined ? "" : ` (logId ${failure.logId})`;
        const location = failure.location === undefined ? "" : ` (Location: ${failure.location})`;
        const hint =
          extra.next ??
          statusHint(failure.status, {
            method: context.method,
            apiHost: this.apiHost,
            jobId: context.jobId,
            logId: failure.logId,
          });
        return new NarrativeApiError(
          `${where} failed with ${failure.status} ${failure.statusText}${detail}${logId}${location}${tries}${note}. ${hint}`,
          {
            ...base,
            status: failure.status,
            statusText: failure.statusText,
            detail: failure.detail,
            logId: failure.logId,
            retryable: isRetriedStatus(failure.status),
          },
        );
      }
      case "bad-body": {
        const hint =
          extra.next ??
          "A proxy or gateway may be answering in place of the API: check apiUrl and try again later.";
        return new NarrativeApiError(
          `${where} answered ${failure.status} ${failure.statusText} but ${failure.problem}${tries}${note}; ` +
            `it starts ${failure.preview}. ${hint}`,
          {
            ...base,
            status: failure.status,
            statusText: failure.statusText,
            detail: failure.preview,
            retryable: true,
          },
        );
      }
      case "network": {
        const unsure =
          context.method === "POST" &&
          failure.reachedServer === "maybe" &&
          !extra.gaveUp &&
          extra.note === undefined
            ? ` Job ${context.jobId ?? ""} may or may not have been rescheduled: check its state (pulumi refresh) before running again.`
            : "";
        const hint =
          extra.next ??
          "Check apiUrl (narrative:apiUrl or NARRATIVE_API_URL), DNS, proxies and firewalls, and that the API is up.";
        return new NarrativeNetworkError(
          `${where} failed: could not talk to the API (${failure.reason})${tries}${note}. ${hint}${unsure}`,
          { ...base, code: failure.code, cause: failure.cause },
        );
      }
      case "timeout": {
        // When the budget ends the call, it is the budget that ran out, whatever cut the last attempt.
        const total = failure.byBudget || extra.gaveUp;
        const hint =
          extra.next ??
          (total
            ? "Raise narrative:totalTimeout (totalTimeoutMs) or check the API status."
            : "Raise narrative:attemptTimeout (attemptTimeoutMs) or check the API status.");
        return new NarrativeTimeoutError(
          `${where} got no answer within ${formatMs(failure.timeoutMs)}${tries}${note}. ${hint}`,
          total
            ? { ...base, timeoutMs: this.retryOptions.totalTimeoutMs, kind: "total" }
            : { ...base, timeoutMs: failure.timeoutMs, kind: "attempt" },
        );
      }
    }
  }

  private errorContext(context: CallContext): { call: string; jobId?: string; apiHost: string } {
    return context.jobId === undefined
      ? { call: context.call, apiHost: this.apiHost }
      : { call: context.call, jobId: context.jobId, apiHost: this.apiHost };
  }

  private checkJobId(jobId: unknown): asserts jobId is string {
    if (typeof jobId !== "string" || !UUID_PATTERN.test(jobId)) {
      const shown =
        typeof jobId === "string" ? JSON.stringify(redact(jobId, this.#token).slice(0, 80)) : typeof jobId;
      throw new NarrativeConfigError(
        `jobId must be a job's UUID, such as 2a5b9ad7-dc8f-47bb-8e62-843a38f8054c; got ${shown}. ` +
          `Nothing was sent to ${this.apiHost}.`,
        { property: "jobId", apiHost: this.apiHost },
      );
    }
  }
}

/** How many more times a reschedule that may still be running inside the API is looked for before giving up. */
const SETTLE_CHECKS = 2;

/** The API may still be working on a POST the client stopped waiting for, or that a gateway gave up on. */
function mayStillBeInProgress(failure: Failure): boolean {
  return failure.kind === "timeout" || (failure.kind === "status" && failure.status === 504);
}

/** Whether the API may have acted on a POST that failed this way. */
function mayHaveActed(failure: Failure): boolean {
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
 * What a failed reschedule POST allows; see THE POST RULE in `reschedule`. "resend": the API cannot have acted;
 * "verify": it may have, so GET the job first; "fail": not retried at all.
 */
function postFailureHandling(failure: Failure): "resend" | "verify" | "fail" {
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

function isRetried(failure: Failure): boolean {
  switch (failure.kind) {
    case "status":
      return isRetriedStatus(failure.status);
    case "network":
      return failure.retried;
    case "timeout":
      return ATTEMPT_TIMEOUT_RULE.retried;
    case "bad-body":
      return true;
  }
}

/** A short reason for a retry event, e.g. "429 Too Many Requests (Retry-After 2s)". */
function failureReason(failure: Failure): string {
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

/** What was wrong with a 2xx answer to a reschedule POST. */
function answerProblem(exchange: Extract<Exchange, { kind: "response" }>): string {
  const what = exchange.body === undefined ? "with a body cut off" : "with a body lacking outcome or job";
  return `${exchange.status} ${exchange.statusText} ${what}`;
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function isJob(value: unknown): value is Job {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return false;
  }
  const fields = value as Record<string, unknown>;
  return typeof fields["job_id"] === "string" && typeof fields["state"] === "string";
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function parseJob(body: string): Job | undefined {
  const value = parseJson(body);
  return isJob(value) ? value : undefined;
}

function parseJobPage(body: string): JobPage | undefined {
  const value = parseJson(body);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return undefined;
  }
  const records = (value as Record<string, unknown>)["records"];
  return Array.isArray(records) && records.every(isJob) ? (value as JobPage) : undefined;
}

function parseRescheduleBody(
  body: string,
): { outcome: RescheduleOutcome; job: Job; jobJson: string } | undefined {
  const value = parseJson(body);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return undefined;
  }
  const { outcome, job } = value as Record<string, unknown>;
  if ((outcome !== "rescheduled" && outcome !== "skipped_terminal") || !isJob(job)) {
    return undefined;
  }
  const jobJson = rawJsonMember(body, "job");
  return jobJson === undefined ? undefined : { outcome, job, jobJson };
}

/** Checks the filters and writes them as a query string, in a fixed order. */
function filterQuery(filters: ListJobsFilters): URLSearchParams {
  const fail = (property: string, problem: string): never => {
    throw new NarrativeConfigError(`listJobs filter ${property} ${problem}. Nothing was sent.`, { property });
  };
  for (const name of Object.keys(filters)) {
    if (!(FILTER_NAMES as readonly string[]).includes(name)) {
      fail(name, `is not a GET /jobs filter (known: ${FILTER_NAMES.join(", ")})`);
    }
  }
  const { data_plane_id, dataset_id, state, type, order_by, per_page, offset } = filters;
  if (
    data_plane_id !== undefined &&
    (typeof data_plane_id !== "string" || !UUID_PATTERN.test(data_plane_id))
  ) {
    fail("data_plane_id", "must be a UUID");
  }
  if (dataset_id !== undefined && !(Number.isSafeInteger(dataset_id) && dataset_id >= 0)) {
    fail("dataset_id", "must be a non-negative integer");
  }
  for (const [name, value] of [
    ["state", state],
    ["type", type],
  ] as const) {
    if (value !== undefined && (typeof value !== "string" || value.trim() === "")) {
      fail(name, "must be a non-empty string");
    }
  }
  if (order_by !== undefined && !JOB_ORDERS.includes(order_by)) {
    fail("order_by", `must be one of ${JOB_ORDERS.join(", ")}`);
  }
  if (
    per_page !== undefined &&
    !(Number.isSafeInteger(per_page) && per_page >= 1 && per_page <= MAX_PER_PAGE)
  ) {
    fail("per_page", `must be an integer from 1 to ${MAX_PER_PAGE}`);
  }
  if (offset !== undefined) {
    if (!(Number.isSafeInteger(offset) && offset >= 0)) {
      fail("offset", "must be a non-negative integer (page index × per_page)");
    }
    if (offset !== 0 && per_page === undefined) {
      fail("offset", "is page index × per_page, so per_page must be given with it");
    }
    if (per_page !== undefined && offset % per_page !== 0) {
      fail("offset", `must be a multiple of per_page (${per_page}): it is page index × per_page`);
    }
  }
  const query = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const value = filters[name];
    if (value !== undefined) {
      query.set(name, String(value));
    }
  }
  return query;
}

function parseApiUrl(apiUrl: unknown, token: string): URL {
  const fail = (problem: string): never => {
    const shown =
      typeof apiUrl === "string" ? JSON.stringify(redact(apiUrl, token).slice(0, 200)) : typeof apiUrl;
    throw new NarrativeConfigError(
      `apiUrl ${problem}, such as https://api.narrative.io; got ${shown}. Set narrative:apiUrl or NARRATIVE_API_URL.`,
      { property: "apiUrl" },
    );
  };
  if (typeof apiUrl !== "string") {
    return fail("must be an absolute http(s) URL");
  }
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    return fail("must be an absolute http(s) URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    fail("must be an absolute http(s) URL");
  }
  if (url.username !== "" || url.password !== "") {
    fail("must not carry credentials (the token is sent as a header)");
  }
  if (url.search !== "" || url.hash !== "") {
    fail("must not have a query or fragment");
  }
  return url;
}

function resolveRetryOptions(options: NarrativeClientOptions): Readonly<RetryOptions> {
  const resolved: RetryOptions = { ...DEFAULT_RETRY_OPTIONS };
  for (const name of Object.keys(DEFAULT_RETRY_OPTIONS) as (keyof RetryOptions)[]) {
    const value: unknown = options[name];
    if (value === undefined) {
      continue;
    }
    const allowsZero = name === "baseDelayMs" || name === "maxDelayMs";
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!allowsZero && value === 0)) {
      throw new NarrativeConfigError(
        `${name} must be a ${allowsZero ? "non-negative" : "positive"} number of milliseconds; got ${String(value)}.`,
        { property: name },
      );
    }
    resolved[name] = value;
  }
  return resolved;
}

/**
 * A copy of a network error that keeps its name, code and stack, redacted. node-fetch's errors hold no request
 * today, but an error from below could carry headers; the copy guarantees the token never rides along.
 */
function sanitizedCause(error: unknown, token: string): Error {
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

/** The same kind of error with a new message, the original kept as its cause. */
function rewrapError(error: NarrativeError, message: string): NarrativeError {
  const context = { call: error.call, jobId: error.jobId, apiHost: error.apiHost, cause: error };
  if (error instanceof NarrativeApiError) {
    return new NarrativeApiError(message, {
      ...context,
      status: error.status,
      statusText: error.statusText,
      detail: error.detail,
      logId: error.logId,
      retryable: error.retryable,
    });
  }
  if (error instanceof NarrativeTimeoutError) {
    return new NarrativeTimeoutError(message, { ...context, timeoutMs: error.timeoutMs, kind: error.kind });
  }
  if (error instanceof NarrativeNetworkError) {
    return new NarrativeNetworkError(message, { ...context, code: error.code });
  }
  if (error instanceof NarrativeConfigError) {
    return new NarrativeConfigError(message, { ...context, property: error.property });
  }
  return new NarrativeError(message, context);
}

function formatMs(ms: number): string {
  if (ms < 1_000) {
    return `${Math.round(ms)}ms`;
  }
  const seconds = ms / 1_000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)}s`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

let userAgent: string | undefined;

/** "pulumi-narrative-jobs/<version>", read from the package's own package.json (one level above provider/ and lib/). */
function defaultUserAgent(): string {
  if (userAgent === undefined) {
    let version = "unknown";
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (manifest.name === "pulumi-narrative-jobs" && typeof manifest.version === "string") {
        version = manifest.version;
      }
    } catch {
      // A bundler may have moved the file; the User-Agent is informative only.
    }
    userAgent = `pulumi-narrative-jobs/${version}`;
  }
  return userAgent;
}
