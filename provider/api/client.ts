/**
 * The Narrative Jobs API client: GET /jobs/{id}, GET /jobs and POST /jobs/{id}/reschedule, each call a series
 * of attempts (transport.ts) under a budget, retried by the rules of retry.ts and reschedule-rule.ts. It prints
 * nothing: progress goes through `onRetry`, failures are thrown as the errors of errors.ts (built in
 * failure.ts), and the API token appears in neither.
 */
import { parseJob, parseJobPage, parseRescheduleAnswer } from "./answer-checks";
import { Attempts, type RetryEvent } from "./attempts";
import {
  apiBaseUrl,
  checkForce,
  checkJobId,
  checkToken,
  filterQuery,
  resolveRetryOptions,
} from "./call-args";
import { NarrativeConfigError, NarrativeError, rewrapError, withUnknownOutcome } from "./errors";
import {
  failureReason,
  overLimitProblem,
  type Budget,
  type CallContext,
  type Failure,
} from "./attempt-failure";
import {
  mayHaveActed,
  mayStillBeInProgress,
  postFailureHandling,
  rescheduleAppliedByEvidence,
  SETTLE_CHECKS,
  type RescheduleEvidence,
} from "./resend-rule";
import { rawJsonAt } from "../common/json";
import { MAX_ATTEMPTS_PER_CALL } from "./retry-policy";
import { isSuccess, JOB_ANSWER_LIMIT, PAGE_ANSWER_LIMIT, Transport, type Exchange } from "./transport";
import type { Job, JobPage, JobSnapshot, ListJobsFilters, RescheduleOutcome } from "./types";

export type { RetryEvent } from "./attempts";

export interface NarrativeClientOptions {
  /** Absolute base URL, e.g. "https://api.narrative.io"; may carry a path prefix. https, or http on loopback. */
  apiUrl: string;
  /** Where `apiUrl` came from, named in messages: "narrative:apiUrl", "NARRATIVE_API_URL"... Default "apiUrl". */
  apiUrlSetting?: string;
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
  /**
   * For tests: the certificates to trust for an https apiUrl, in place of Node's own list. A deployment that
   * must trust a company's certificate authority sets NODE_EXTRA_CA_CERTS instead.
   */
  ca?: string;
  /** For tests: the wait between attempts (default a timer that `cancellation` ends), the clock and jitter. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
  /** When aborted (the deployment was cancelled), waits between attempts end and no further attempt is made. */
  cancellation?: AbortSignal;
}

/** @deprecated Use JobSnapshot: the same job and exact text, under the name the rest of the package uses. */
export type FetchedJob = JobSnapshot;

export interface RescheduleResult {
  outcome: RescheduleOutcome;
  job: Job;
  jobJson: string;
  /** POSTs sent. */
  attempts: number;
  /** True when the outcome was read from GET /jobs/{id} because the POST's own answer was lost. */
  verifiedByGet: boolean;
  /**
   * True when the API answered one of this call's POSTs with a 2xx: the reschedule is this client's own, even
   * when its answer had to be completed by reading the job. False when only the job showed the reschedule, which
   * may then be another client's.
   */
  confirmed: boolean;
}

/** Page size `listAllJobs` uses when none is given. */
const DEFAULT_LIST_ALL_PER_PAGE = 100;
/** Pages `listAllJobs` reads at most (5 million jobs at 500 a page): a bound against a page count that lies. */
const MAX_PAGES = 10_000;

/** A reschedule in progress: its call and what the evidence rule needs. */
interface RescheduleCall {
  context: CallContext & { jobId: string };
  force: boolean;
  baseline: Job | undefined;
}

/** A POST that failed and was not followed by a result: what the give-up message and the outcome rest on. */
interface LostPost {
  failure: Failure;
  /** What reading the job showed, when it was read. */
  note?: string;
  /** False when the job showed no reschedule yet but the POST may still land. */
  settled: boolean;
}

export class NarrativeJobsClient {
  /** Host (and port) of the API, for messages. */
  readonly apiHost: string;
  private readonly apiUrlSetting: string;
  private readonly transport: Transport;
  private readonly attempts: Attempts;
  private readonly attemptTimeoutMs: number;
  // An ES private field: util.inspect(client) and JSON.stringify(client) do not show it.
  readonly #token: string;

  constructor(options: NarrativeClientOptions) {
    this.#token = checkToken(options.token);
    this.apiUrlSetting = options.apiUrlSetting ?? "apiUrl";
    const base = apiBaseUrl(options.apiUrl, this.apiUrlSetting);
    this.apiHost = base.host;
    const retryOptions = resolveRetryOptions(options);
    this.attemptTimeoutMs = retryOptions.attemptTimeoutMs;
    this.transport = new Transport(base, this.#token, options.userAgent, options.ca);
    this.attempts = new Attempts({
      transport: this.transport,
      token: this.#token,
      apiHost: this.apiHost,
      apiUrlSetting: this.apiUrlSetting,
      retryOptions,
      onRetry: options.onRetry,
      sleep: options.sleep,
      cancellation: options.cancellation,
      now: options.now ?? (() => Date.now()),
      random: options.random ?? Math.random,
    });
  }

  /** The job exactly as the API returns it; `jobJson` is the response text itself. */
  async getJob(jobId: string): Promise<JobSnapshot> {
    checkJobId(jobId, this.#token, this.apiHost);
    return this.fetchJob(jobId, undefined);
  }

  /**
   * The newest job whose input has the dataset (of `type`, when given), as `GET /jobs?dataset_id=…&type=…&
   * order_by=created_at_desc` lists it, with its exact text; undefined when there is none.
   */
  async newestJobOfDataset(datasetId: number, type?: string): Promise<JobSnapshot | undefined> {
    const filters: ListJobsFilters = { dataset_id: datasetId, order_by: "created_at_desc", per_page: 1 };
    if (type !== undefined) {
      filters.type = type;
    }
    const { page, pageJson } = await this.listJobsPage(filters);
    const job = page.records[0];
    const jobJson = rawJsonAt(pageJson, ["records", 0]);
    return job === undefined || jobJson === undefined ? undefined : { job, jobJson };
  }

  /** One page of the company's jobs. */
  async listJobs(filters: ListJobsFilters = {}): Promise<JobPage> {
    return (await this.listJobsPage(filters)).page;
  }

  /** One page as `listJobs` reads it, with the exact response text: integers beyond 2^53 survive only there. */
  async listJobsPage(filters: ListJobsFilters = {}): Promise<{ page: JobPage; pageJson: string }> {
    const query = filterQuery(filters).toString();
    const context = this.attempts.call("GET", query === "" ? "/jobs" : `/jobs?${query}`, PAGE_ANSWER_LIMIT);
    const { value, body } = await this.attempts.get(context, parseJobPage);
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

  /**
   * Puts the job back on the queue (`force` also re-runs a finished job). A POST is sent again only when the
   * rules of reschedule-rule.ts allow it: never twice by accident.
   */
  async reschedule(jobId: string, options: { force: boolean; baseline?: Job }): Promise<RescheduleResult> {
    checkJobId(jobId, this.#token, this.apiHost);
    checkForce(options.force, jobId, this.apiHost);
    const pathname = `/jobs/${encodeURIComponent(jobId)}/reschedule`;
    const post: RescheduleCall = {
      context: { ...this.attempts.call("POST", pathname, JOB_ANSWER_LIMIT, jobId), jobId },
      force: options.force,
      baseline: options.baseline,
    };
    const body = options.force ? '{"force":true}' : '{"force":false}';
    const budget = post.context.budget;
    let posts = 0;
    let last: LostPost | undefined;
    for (
      let timeout = this.attempts.nextTimeout(budget);
      timeout !== undefined && posts < MAX_ATTEMPTS_PER_CALL;
      timeout = this.attempts.nextTimeout(budget)
    ) {
      posts++;
      const exchange = await this.attempts.exchange(post.context, body, timeout);
      if (exchange.kind === "response" && isSuccess(exchange.status)) {
        return this.acceptedReschedule(post, exchange, posts);
      }
      const failure = this.attempts.failureOf(exchange);
      const settled = await this.settleFailedPost(post, failure, posts);
      if ("outcome" in settled) {
        return settled;
      }
      last = settled;
      if (!settled.settled) {
        // Still nothing to see, but the first POST may yet land: sending another could run the job twice.
        break;
      }
      await this.attempts.pause(post.context, posts, failure, settled.note);
    }
    // The budget ran out. If the last POST's fate was never settled by a GET, the reschedule may have happened.
    const unsettled =
      last !== undefined &&
      (!last.settled || (last.note === undefined && postFailureHandling(last.failure) !== "resend"));
    throw withUnknownOutcome(this.attempts.giveUp(post.context, posts, last), unsettled);
  }

  /** Destroys the keep-alive agent and its sockets. */
  close(): void {
    this.transport.close();
  }

  /**
   * A 2xx to a reschedule POST: it is never sent again. When its answer is not a reschedule result of this job
   * (cut off, over the size limit, not JSON, no outcome or job, another job), the job is read to learn what the
   * reschedule did.
   */
  private async acceptedReschedule(
    post: RescheduleCall,
    exchange: Extract<Exchange, { kind: "response" }>,
    posts: number,
  ): Promise<RescheduleResult> {
    // An answer over the limit is no more readable than one that is not a result: reading the job settles both.
    const answer =
      exchange.overLimit !== undefined
        ? { problem: overLimitProblem(exchange.overLimit), retried: false }
        : exchange.body === undefined
          ? undefined
          : parseRescheduleAnswer(exchange.body, post.context.jobId);
    if (answer !== undefined && "value" in answer) {
      return { ...answer.value, attempts: posts, verifiedByGet: false, confirmed: true };
    }
    const problem = answer?.problem ?? "the body was cut off";
    const seen = await this.verifyReschedule(post.context, {
      accepted: true,
      postFailure: `${exchange.status} ${exchange.statusText} but ${problem}`,
    });
    const evidence = rescheduleAppliedByEvidence(post.baseline, seen.job, post.force);
    if (evidence === "not-applied" && answer !== undefined) {
      // A complete 2xx that is not a reschedule result of this job, and a job that shows none: something other
      // than the API (a proxy, a login page) answered. Nothing was rescheduled, so the deployment may simply try
      // again. A body cut off mid-way did come from the API, which acted: that case is trusted below.
      const failure = this.attempts.badBody(exchange, { problem, retried: false });
      throw this.attempts.error(post.context, failure, posts, {
        gaveUp: false,
        note: `and GET /jobs/${post.context.jobId} shows the job was not rescheduled`,
        next:
          "Something other than the Narrative API may be answering (a proxy or a login page): check " +
          `${this.apiUrlSetting}. Nothing was rescheduled.`,
      });
    }
    return verifiedResult(
      seen,
      evidence === "skipped-terminal" ? "skipped_terminal" : "rescheduled",
      posts,
      true,
    );
  }

  /**
   * A reschedule POST that failed: thrown at once when the rule says so, sent again when the API cannot have
   * acted, and otherwise settled by reading the job, which either shows the reschedule (a result) or allows the
   * POST to be sent again.
   */
  private async settleFailedPost(
    post: RescheduleCall,
    failure: Failure,
    posts: number,
  ): Promise<RescheduleResult | LostPost> {
    const handling = postFailureHandling(failure);
    if (handling === "fail") {
      // A 500, say, is not retried; but the API may have acted before failing, so the outcome is unknown.
      throw withUnknownOutcome(
        this.attempts.error(post.context, failure, posts, { gaveUp: false }),
        mayHaveActed(failure),
      );
    }
    if (handling === "resend") {
      return { failure, settled: true };
    }
    const read = await this.readAfterLostPost(post, failure);
    if (read === undefined) {
      return { failure, settled: false };
    }
    if (read.evidence !== "not-applied") {
      return verifiedResult(
        read.seen,
        read.evidence === "applied" ? "rescheduled" : "skipped_terminal",
        posts,
        false,
      );
    }
    return {
      failure,
      note: `GET /jobs/${post.context.jobId} shows the job was not rescheduled`,
      settled: true,
    };
  }

  /**
   * Reads the job after a POST whose answer was lost. A POST that may still be running inside the API (see
   * mayStillBeInProgress) is looked for again, an attempt timeout apart; undefined when the budget ends first.
   */
  private async readAfterLostPost(
    post: RescheduleCall,
    failure: Failure,
  ): Promise<{ seen: JobSnapshot; evidence: RescheduleEvidence } | undefined> {
    const lost = { accepted: false, postFailure: failureReason(failure) };
    let seen = await this.verifyReschedule(post.context, lost);
    let evidence = rescheduleAppliedByEvidence(post.baseline, seen.job, post.force);
    for (
      let check = 0;
      evidence === "not-applied" && mayStillBeInProgress(failure) && check < SETTLE_CHECKS;
      check++
    ) {
      const waitMs = Math.min(this.attemptTimeoutMs, this.attempts.remainingMs(post.context.budget));
      if (waitMs <= 0) {
        return undefined;
      }
      await this.attempts.wait(waitMs);
      seen = await this.verifyReschedule(post.context, lost);
      evidence = rescheduleAppliedByEvidence(post.baseline, seen.job, post.force);
    }
    return { seen, evidence };
  }

  /**
   * Reads the job after a reschedule POST whose answer was lost, inside the same budget. When even that fails,
   * the message says what is known: the API accepted the POST (2xx), or nobody knows whether it acted.
   */
  private async verifyReschedule(
    post: CallContext & { jobId: string },
    lost: { accepted: boolean; postFailure: string },
  ): Promise<JobSnapshot> {
    try {
      return await this.fetchJob(post.jobId, post.budget);
    } catch (error) {
      if (!(error instanceof NarrativeError)) {
        throw error;
      }
      const known = lost.accepted
        ? `The API accepted the reschedule of job ${post.jobId}; run \`pulumi refresh\` to record the job's state.`
        : `Job ${post.jobId} may or may not have been rescheduled: check its state (pulumi refresh) before running again.`;
      const message =
        `${post.call} on ${this.apiHost} ${lost.accepted ? "answered" : "failed"} (${lost.postFailure}) and ` +
        `reading the job afterwards failed too: ${error.message} ${known}`;
      // Whether the API acted is not known (or, after a 2xx, known but not recorded): the provider records the
      // reschedule for the next deployment to check, instead of forgetting it.
      throw withUnknownOutcome(rewrapError(error, message));
    }
  }

  /** GET /jobs/{id}, in a budget of its own or inside a reschedule's. */
  private async fetchJob(jobId: string, budget: Budget | undefined): Promise<JobSnapshot> {
    const context = this.attempts.call(
      "GET",
      `/jobs/${encodeURIComponent(jobId)}`,
      JOB_ANSWER_LIMIT,
      jobId,
      budget,
    );
    const { value, body } = await this.attempts.get(context, (text) => parseJob(text, jobId));
    return { job: value, jobJson: body };
  }
}

function verifiedResult(
  seen: JobSnapshot,
  outcome: RescheduleOutcome,
  posts: number,
  confirmed: boolean,
): RescheduleResult {
  return { outcome, job: seen.job, jobJson: seen.jobJson, attempts: posts, verifiedByGet: true, confirmed };
}
