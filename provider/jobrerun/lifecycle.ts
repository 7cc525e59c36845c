/**
 * The JobRerun lifecycle, which no host owns: check, diff, create, update, read, import and delete over flat,
 * typed inputs and outputs, plus the getJob read. The dynamic provider host (hosts/dynamic) and the provider
 * plugin (hosts/plugin) each translate the engine's calls into these and the answers back; what to check,
 * compare, send and store is decided here and in the plain functions below it. Importing this module constructs
 * nothing: a host makes its lifecycle with `createJobRerunLifecycle` when the engine first needs it.
 */
import type { NarrativeClientOptions, RetryEvent } from "../api/client";
import { hasUserInfo } from "../api/api-url";
import { NarrativeApiError } from "../api/errors";
import { redact } from "../common/redact";
import { newClient, type ClientForUrl } from "./clients";
import {
  checkInputs,
  diffInputs,
  planUpdate,
  refreshedOutputs,
  rerunOutputs,
  type JobRerunOutputs,
  type RerunDiff,
  type ResolvedInputs,
} from "./decisions";
import { getJobFailures, getJobSnapshot, type GetJobResult } from "./get-job";
import { withDefaults, type CheckFailure, type GivenInputs } from "./inputs";
import {
  followRun,
  readJob,
  reschedule,
  rescheduleUnlessRunSince,
  type RerunContext,
  type Reporter,
} from "./rerun";
import { resolveSettings, type ConfigSource, type ProviderSettings } from "./settings";
import type { PollOptions } from "./wait";

export type { Reporter } from "./rerun";

/** What check answers: the inputs to store as given, and why any of them is refused. */
export interface CheckResult {
  inputs: Record<string, unknown>;
  failures: CheckFailure[];
}

/** A JobRerun adopted from an existing job: its id, the inputs it starts with, and its outputs. */
export interface ImportedJobRerun {
  id: string;
  inputs: Record<string, unknown>;
  outputs: JobRerunOutputs;
}

/** What the getJob function answers: the job, or why its arguments were refused (nothing sent). */
export type GetJobAnswer = { job: GetJobResult } | { failures: CheckFailure[] };

/**
 * The lifecycle the engine drives through either host. A create or update that applied its reschedule and then
 * failed throws a JobRerunIncompleteError carrying what the state must record; every other failure leaves the
 * state as it was. Outputs are flat: each host stores them in its own shape.
 */
export interface JobRerunLifecycle {
  /** The provider's settings: the stack's configuration or an explicit provider's inputs, then the environment. */
  configure(config: ConfigSource | undefined): void;
  check(news: Record<string, unknown>): CheckResult;
  diff(olds: Partial<JobRerunOutputs>, news: Record<string, unknown>): RerunDiff;
  create(inputs: GivenInputs): Promise<{ id: string; outputs: JobRerunOutputs }>;
  update(olds: JobRerunOutputs, inputs: GivenInputs): Promise<JobRerunOutputs>;
  /** The job read again; undefined when it no longer exists, so that the host drops the resource. */
  read(olds: JobRerunOutputs): Promise<JobRerunOutputs | undefined>;
  /** `pulumi import`: the job read now, nothing rescheduled; its triggers are null until the program gives some. */
  import(jobId: string): Promise<ImportedJobRerun>;
  /**
   * A job cannot be deleted through the API and a rerun cannot be undone: nothing is sent, and nothing is read
   * from the state, so that even a state this release cannot read leaves the stack.
   */
  delete(id: string): Promise<void>;
  /** `getJob`: one `GET /jobs/{jobId}`, in preview too; nothing changes. */
  getJob(args: Record<string, unknown>): Promise<GetJobAnswer>;
  /** Closes keep-alive connections; the engine ends a provider process itself, tests call this. */
  dispose(): void;
}

export interface LifecycleOptions {
  /** Read when `configure` was not called (older CLIs) and as the fallback for unset configuration. */
  env?: NodeJS.ProcessEnv;
  reporter?: Reporter;
  /** Client options the tests shorten (timeouts, sleep); never the token or URL, which come from settings. */
  clientOptions?: Partial<Omit<NarrativeClientOptions, "apiUrl" | "token">>;
  /** How often a wait reads the job; the tests shorten it. */
  pollOptions?: PollOptions;
  /** Ends waits and retries early: the engine's Cancel call, as each host learns of it. */
  cancellation?: AbortSignal;
  now?: () => Date;
}

/** Messages on stderr, which the CLI shows as the resource's messages through either host. */
export const STDERR_REPORTER: Reporter = {
  info: (message) => process.stderr.write(`narrative: ${message}\n`),
  warn: (message) => process.stderr.write(`warning: narrative: ${message}\n`),
};

export function createJobRerunLifecycle(options: LifecycleOptions = {}): JobRerunLifecycle {
  return new Lifecycle(options);
}

class Lifecycle implements JobRerunLifecycle {
  private settings: ProviderSettings | undefined;
  private readonly clients = new Map<string, ClientForUrl>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly reporter: Reporter;
  private readonly now: () => Date;
  private readonly cancellation: AbortSignal;

  constructor(private readonly options: LifecycleOptions) {
    this.env = options.env ?? process.env;
    this.reporter = options.reporter ?? STDERR_REPORTER;
    this.now = options.now ?? (() => new Date());
    this.cancellation = options.cancellation ?? new AbortController().signal;
  }

  configure(config: ConfigSource | undefined): void {
    this.settings = resolveSettings(config, this.env);
  }

  check(news: Record<string, unknown>): CheckResult {
    const { inputs, failures } = checkInputs(news);
    // A failure quotes the bad value so that a typo is easy to spot; a token pasted into the wrong field is
    // quoted as [REDACTED] instead.
    const token = this.currentSettings().token;
    return { inputs, failures: failures.map((failure) => safeFailure(failure, news, token)) };
  }

  diff(olds: Partial<JobRerunOutputs>, news: Record<string, unknown>): RerunDiff {
    if (olds.unfinishedRun === "rerun" && olds.rerunFailed === true) {
      // Shown in preview too: why an update is pending although no input changed.
      this.reporter.info(
        `job ${olds.jobId}: the run this stack started ended failed; rerun pending (rerunFailed)`,
      );
    }
    return diffInputs(olds, news, this.currentSettings().apiUrl);
  }

  async create(checked: GivenInputs): Promise<{ id: string; outputs: JobRerunOutputs }> {
    const given = withDefaults(checked);
    const context = this.context(given.apiUrl);
    // Reading first proves the job exists and the token can see it before the resource enters the state.
    const seen = await readJob(context, given, undefined);
    const news: ResolvedInputs = { ...given, jobId: seen.job.job_id };
    if (!news.runOnCreate) {
      return { id: news.jobId, outputs: rerunOutputs(news, context.apiUrl, seen, undefined) };
    }
    const record = await reschedule(context, news, seen, undefined);
    return { id: news.jobId, outputs: await followRun(context, news, record, record) };
  }

  async update(olds: JobRerunOutputs, checked: GivenInputs): Promise<JobRerunOutputs> {
    // With a dataset, the job is looked up again before a reschedule; until then it is the one stored.
    const news: ResolvedInputs = { ...withDefaults(checked), jobId: checked.jobId ?? olds.jobId };
    const context = this.context(news.apiUrl);
    const plan = planUpdate(olds, news);
    if (plan === "nothing") {
      // Only inputs such as force or apiUrl changed: nothing to send, the state records the new values.
      return rerunOutputs(news, context.apiUrl, olds, undefined, olds);
    }
    if (plan !== "reschedule") {
      return followRun(context, news, olds, undefined, olds);
    }
    const picked = await rescheduleUnlessRunSince(context, news, olds);
    return followRun(context, picked.news, picked.reschedule, picked.reschedule, olds);
  }

  async read(olds: JobRerunOutputs): Promise<JobRerunOutputs | undefined> {
    const { client } = this.clientFor(olds.apiUrl);
    try {
      const refreshed = refreshedOutputs(olds, await client.getJob(olds.jobId));
      if (refreshed.unfinishedRun === "rerun" && olds.unfinishedRun !== "rerun") {
        this.reporter.info(
          `job ${olds.jobId}: the run this stack started ended ${refreshed.state}; the next \`pulumi up\` ` +
            "reschedules it again (rerunFailed)",
        );
      }
      return refreshed;
    } catch (error) {
      if (error instanceof NarrativeApiError && error.status === 404) {
        this.reporter.warn(
          `job ${olds.jobId} no longer exists on ${client.apiHost}; removing it from the stack`,
        );
        return undefined;
      }
      throw error;
    }
  }

  async import(jobId: string): Promise<ImportedJobRerun> {
    const { client, apiUrl } = this.clientFor(undefined);
    const seen = await client.getJob(jobId);
    // Null triggers: the first `pulumi up` after the import reschedules the job once, as any trigger change does.
    const inputs = { jobId: seen.job.job_id, triggers: null };
    const news: ResolvedInputs = { ...withDefaults(inputs), jobId: inputs.jobId };
    return { id: seen.job.job_id, inputs, outputs: rerunOutputs(news, apiUrl, seen, undefined) };
  }

  async delete(): Promise<void> {
    // Nothing to send: the resource only leaves the state, and the job stays as it is.
  }

  async getJob(args: Record<string, unknown>): Promise<GetJobAnswer> {
    const token = this.currentSettings().token;
    const failures = getJobFailures(args).map((failure) => safeFailure(failure, args, token));
    if (failures.length > 0) {
      return { failures };
    }
    const { client } = this.clientFor(args["apiUrl"] as string | undefined);
    return { job: await getJobSnapshot(client, args["jobId"] as string) };
  }

  dispose(): void {
    for (const { client } of this.clients.values()) {
      client.close();
    }
    this.clients.clear();
  }

  private context(apiUrl: string | undefined): RerunContext {
    return {
      ...this.clientFor(apiUrl),
      reporter: this.reporter,
      now: this.now,
      cancellation: this.cancellation,
      pollOptions: this.options.pollOptions,
    };
  }

  private currentSettings(): ProviderSettings {
    // Older CLIs never call configure(); the environment still works there.
    this.settings ??= resolveSettings(undefined, this.env);
    return this.settings;
  }

  /** The client for a resource's or a read's API URL (its input, else the configuration's), made once per URL. */
  private clientFor(apiUrl: string | undefined): ClientForUrl {
    const settings = this.currentSettings();
    const key = apiUrl ?? settings.apiUrl;
    let made = this.clients.get(key);
    if (made === undefined) {
      made = newClient(settings, apiUrl, {
        ...this.options.clientOptions,
        onRetry: (event) => this.reporter.info(retryLine(event)),
        cancellation: this.cancellation,
      });
      this.clients.set(key, made);
    }
    return made;
  }
}

/**
 * A refusal as a host may hand it to the engine: the token redacted from the reason, and no property named when
 * its value holds a password (the engine prints a named property's value; the reason names the field itself).
 */
export function safeFailure(
  failure: CheckFailure,
  values: Record<string, unknown>,
  token: string | undefined,
): CheckFailure {
  const reason = redact(failure.reason, token);
  return hasUserInfo(values[failure.property])
    ? { property: "", reason }
    : { property: failure.property, reason };
}

function retryLine(event: RetryEvent): string {
  const seconds = (event.delayMs / 1_000).toFixed(1);
  return `${event.call}: attempt ${event.attempt} failed (${event.reason}); retrying in ${seconds}s`;
}
