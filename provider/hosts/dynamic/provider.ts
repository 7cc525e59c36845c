/**
 * The JobRerun lifecycle as the Pulumi engine drives it. This module is what the stored provider text
 * (shim.ts) requires by package name inside the provider process, so it is always the installed version of
 * the package that runs, and none of it is ever written into the state.
 */
import type * as pulumi from "@pulumi/pulumi";
import {
  NarrativeJobsClient,
  type NarrativeClientOptions,
  type RescheduleResult,
  type RetryEvent,
} from "../../api/client";
import { deploymentCancellation } from "./cancellation";
import {
  checkInputs,
  diffInputs,
  outputsFromState,
  planUpdate,
  refreshedOutputs,
  rerunOutputs,
  deployedJob,
  runSince,
  runSinceWarning,
  observedRescheduleWarning,
  skippedTerminalWarning,
  storedOutputs,
  waitVerdict,
  type JobRerunOutputs,
  type RerunDiff,
  type RescheduleRecord,
  type ResolvedInputs,
  type StoredOutputs,
  type UnfinishedRun,
} from "../../jobrerun/decisions";
import { waitTimeoutMs, withDefaults, type GivenInputs, type JobRerunInputs } from "../../jobrerun/inputs";
import { JobRerunIncompleteError } from "../../jobrerun/incomplete";
import { triggersEqual } from "../../jobrerun/triggers";
import { NarrativeApiError, NarrativeConfigError, NarrativeError } from "../../api/errors";
import { redact } from "../../common/redact";
import type { JobSnapshot } from "../../api/types";
import { resolveSettings, type ConfigSource, type ProviderSettings } from "../../jobrerun/settings";
import { CONFIG_KEYS, ENV_KEYS } from "../../common/setting-names";
import { abortableSleep } from "../../common/duration";
import { DEFAULT_POLL_OPTIONS, waitForJob, type PollOptions, type WaitResult } from "../../jobrerun/wait";

/** Where the provider's messages go. The CLI shows a dynamic provider's stderr as messages. */
export interface Reporter {
  info(message: string): void;
  warn(message: string): void;
}

const stderrReporter: Reporter = {
  info: (message) => process.stderr.write(`narrative: ${message}\n`),
  warn: (message) => process.stderr.write(`warning: narrative: ${message}\n`),
};

export interface ProviderOptions {
  /** Read when `configure` was not called (older CLIs) and as the fallback for unset configuration. */
  env?: NodeJS.ProcessEnv;
  reporter?: Reporter;
  /** Client options the tests shorten (timeouts, sleep); never the token or URL, which come from settings. */
  clientOptions?: Partial<Omit<NarrativeClientOptions, "apiUrl" | "token">>;
  /** How often a wait reads the job; the tests shorten it. */
  pollOptions?: PollOptions;
  /** Ends waits early, as the engine's Cancel call does in the provider process. */
  cancellation?: AbortSignal;
  now?: () => Date;
}

export class JobRerunProvider implements pulumi.dynamic.ResourceProvider {
  private settings: ProviderSettings | undefined;
  private readonly clients = new Map<string, NarrativeJobsClient>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly reporter: Reporter;
  private readonly now: () => Date;

  constructor(private readonly options: ProviderOptions = {}) {
    this.env = options.env ?? process.env;
    this.reporter = options.reporter ?? stderrReporter;
    this.now = options.now ?? (() => new Date());
  }

  async configure(req: { config: ConfigSource }): Promise<void> {
    this.settings = resolveSettings(req.config, this.env);
    // Watch for the engine's Cancel call from the start, so that a Ctrl+C during a reschedule's retries is
    // seen too, not only one during a wait.
    this.cancellation();
  }

  async check(
    _olds: Record<string, unknown>,
    news: Record<string, unknown>,
  ): Promise<pulumi.dynamic.CheckResult> {
    const { inputs, failures } = checkInputs(news);
    if (failures.length === 0) {
      return { inputs };
    }
    // A failure quotes the bad value so that a typo is easy to spot; a token pasted into the wrong field is
    // quoted as [REDACTED] instead.
    const token = this.currentSettings().token;
    return {
      inputs,
      failures: failures.map((failure) => ({ ...failure, reason: redact(failure.reason, token) })),
    };
  }

  async diff(_id: string, olds: Partial<StoredOutputs>, news: Record<string, unknown>): Promise<RerunDiff> {
    const stored = outputsFromState(olds);
    if (stored.unfinishedRun === "rerun" && stored.rerunFailed === true) {
      // Shown in preview too: why an update is pending although no input changed.
      this.reporter.info(
        `job ${stored.jobId}: the run this stack started ended failed; rerun pending (rerunFailed)`,
      );
    }
    return diffInputs(stored, news, this.currentSettings().apiUrl);
  }

  async create(checked: GivenInputs): Promise<pulumi.dynamic.CreateResult<StoredOutputs>> {
    const given = withDefaults(checked);
    const { client, apiUrl } = this.clientFor(given);
    // Reading first proves the job exists and the token can see it before the resource enters the state.
    const seen = await this.readJob(client, given, undefined);
    const news: ResolvedInputs = { ...given, jobId: seen.job.job_id };
    if (!news.runOnCreate) {
      return { id: news.jobId, outs: storedOutputs(rerunOutputs(news, apiUrl, seen, undefined)) };
    }
    const reschedule = await this.reschedule(client, news, seen, undefined);
    const outputs = await this.followRun(client, news, apiUrl, reschedule, reschedule);
    return { id: news.jobId, outs: storedOutputs(outputs) };
  }

  async update(
    _id: string,
    stored: StoredOutputs,
    checked: GivenInputs,
  ): Promise<pulumi.dynamic.UpdateResult<StoredOutputs>> {
    const olds = outputsFromState(stored) as JobRerunOutputs;
    // With a dataset, the job is looked up again before a reschedule; until then it is the one stored.
    const news: ResolvedInputs = { ...withDefaults(checked), jobId: checked.jobId ?? olds.jobId };
    const { client, apiUrl } = this.clientFor(news);
    const plan = planUpdate(olds, news);
    if (plan === "nothing") {
      // Only inputs such as force or apiUrl changed: nothing to send, the state records the new values.
      return { outs: storedOutputs(rerunOutputs(news, apiUrl, olds, undefined, olds)) };
    }
    if (plan !== "reschedule") {
      return { outs: storedOutputs(await this.followRun(client, news, apiUrl, olds, undefined, olds)) };
    }
    const picked = await this.rescheduleUnlessRunSince(client, news, olds);
    const { reschedule } = picked;
    return {
      outs: storedOutputs(await this.followRun(client, picked.news, apiUrl, reschedule, reschedule, olds)),
    };
  }

  /**
   * Reads the job before rescheduling it: when it shows a run started since this stack's last deployment (the
   * run-since rule), that run is followed instead of sending another reschedule, unless the resource says
   * otherwise. This is what keeps a job from being rescheduled twice, or restarted, after a deployment that was
   * killed after its reschedule reached the API, since such a deployment leaves nothing in the state.
   */
  private async rescheduleUnlessRunSince(
    client: NarrativeJobsClient,
    given: ResolvedInputs,
    olds: JobRerunOutputs,
  ): Promise<{ reschedule: RescheduleRecord; news: ResolvedInputs }> {
    const now = await this.readJob(client, given, olds.jobId);
    const news: ResolvedInputs = { ...given, jobId: now.job.job_id };
    if (news.jobId !== olds.jobId) {
      // Another job than last time: the run-since rule has no baseline for it, so it is simply rescheduled.
      return { reschedule: await this.reschedule(client, news, now, olds), news };
    }
    if (
      olds.unfinishedRun === "rerun" &&
      olds.rerunFailed === true &&
      triggersEqual(olds.triggers, news.triggers)
    ) {
      this.reporter.info(
        `job ${news.jobId}: the run this stack started ended ${now.job.state}; rescheduling it again (rerunFailed)`,
      );
    }
    const before = deployedJob(olds);
    if (runSince(before, now.job)) {
      if (news.onUnrecordedRun === "follow") {
        this.reporter.warn(runSinceWarning(before, now.job));
        return { reschedule: { outcome: "run_observed", ...now, at: this.now().toISOString() }, news };
      }
      this.reporter.info(
        `job ${news.jobId} shows a run since this stack last deployed; rescheduling anyway (onUnrecordedRun: "reschedule")`,
      );
    }
    return { reschedule: await this.reschedule(client, news, now, olds), news };
  }

  /**
   * The job a JobRerun re-runs, read now: the `jobId` given, or the newest job of its `dataset`, saying which
   * one it picked when that is not the job it re-ran before (`previous`).
   */
  private async readJob(
    client: NarrativeJobsClient,
    inputs: JobRerunInputs,
    previous: string | undefined,
  ): Promise<JobSnapshot> {
    if (inputs.dataset === undefined) {
      return client.getJob(inputs.jobId ?? "");
    }
    const { id, jobType } = inputs.dataset;
    const which = `dataset ${id}${jobType === undefined ? "" : ` (type ${jobType})`}`;
    const newest = await client.newestJobOfDataset(id, jobType);
    if (newest === undefined) {
      throw new NarrativeConfigError(
        `No job on ${client.apiHost} has ${which} as its input: check dataset.id and dataset.jobType, and ` +
          "that the API key's company owns the dataset. Nothing was rescheduled.",
        { property: "dataset", apiHost: client.apiHost },
      );
    }
    if (newest.job.job_id !== previous) {
      this.reporter.info(
        previous === undefined
          ? `${which}: picked its newest job, ${newest.job.job_id}`
          : `${which}: its newest job is now ${newest.job.job_id} (was ${previous}); re-running the newest`,
      );
    }
    return newest;
  }

  /**
   * Waits for the job as the resource asks, after a reschedule or for a run the last deployment left
   * unfinished, and decides what the state records. From here on the reschedule has been applied, so every way
   * this can fail records the new triggers (a JobRerunIncompleteError): the next deployment follows or reruns
   * the job as the verdict says, and never sends the same reschedule twice.
   */
  private async followRun(
    client: NarrativeJobsClient,
    news: ResolvedInputs,
    apiUrl: string,
    start: JobSnapshot,
    reschedule: RescheduleRecord | undefined,
    previous?: JobRerunOutputs,
  ): Promise<JobRerunOutputs> {
    const outputs = (seen: JobSnapshot, unfinished: UnfinishedRun | undefined): JobRerunOutputs =>
      rerunOutputs(news, apiUrl, seen, reschedule, previous, unfinished);
    // A reschedule that left a finished job alone (force: false) started no run to wait for.
    if (news.waitFor === "none" || reschedule?.outcome === "skipped_terminal") {
      return outputs(start, undefined);
    }
    let result: WaitResult;
    try {
      result = await waitForJob(
        start,
        news.waitFor,
        waitTimeoutMs(news),
        {
          getJob: (jobId) => client.getJob(jobId),
          report: (line) => this.reporter.info(line),
          sleep: abortableSleep,
          now: () => this.now().getTime(),
          random: Math.random,
        },
        this.cancellation(),
        this.options.pollOptions ?? DEFAULT_POLL_OPTIONS,
      );
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new JobRerunIncompleteError(
        `${reason}. Job ${news.jobId} was rescheduled and goes on running; the next \`pulumi up\` follows it`,
        news.jobId,
        outputs(start, "follow"),
      );
    }
    const verdict = waitVerdict(result.end, result.last.job, news);
    const outs = outputs(result.last, verdict.unfinishedRun);
    if (verdict.failure !== undefined) {
      throw new JobRerunIncompleteError(verdict.failure, news.jobId, outs);
    }
    return outs;
  }

  async read(id: string, stored?: StoredOutputs): Promise<pulumi.dynamic.ReadResult<StoredOutputs>> {
    if (stored === undefined) {
      return { id };
    }
    const props = outputsFromState(stored) as JobRerunOutputs;
    const { client } = this.clientFor(props);
    try {
      const seen = await client.getJob(props.jobId);
      const refreshed = refreshedOutputs(props, seen);
      if (refreshed.unfinishedRun === "rerun" && props.unfinishedRun !== "rerun") {
        this.reporter.info(
          `job ${props.jobId}: the run this stack started ended ${seen.job.state}; the next \`pulumi up\` ` +
            "reschedules it again (rerunFailed)",
        );
      }
      return { id, props: storedOutputs(refreshed) };
    } catch (error) {
      if (error instanceof NarrativeApiError && error.status === 404) {
        // The job is gone on Narrative: returning no id tells the engine the resource no longer exists.
        this.reporter.warn(
          `job ${props.jobId} no longer exists on ${client.apiHost}; removing it from the stack`,
        );
        return {};
      }
      throw error;
    }
  }

  async delete(): Promise<void> {
    // A job cannot be deleted through the API and a rerun cannot be undone: the resource only leaves the state.
  }

  /** Closes keep-alive connections; the engine ends the provider process itself, tests call this. */
  dispose(): void {
    for (const client of this.clients.values()) {
      client.close();
    }
    this.clients.clear();
  }

  /**
   * Sends the reschedule. When it fails in a way that may have taken effect, the failure is recorded with the
   * new triggers and `unfinishedRun: verify` (a JobRerunIncompleteError), so that the next deployment reads
   * the job before sending it again instead of running the job twice; other failures keep the old state.
   * `seen` is the job as last read (at create) or stored (at update): the baseline a lost answer is judged by.
   */
  private async reschedule(
    client: NarrativeJobsClient,
    inputs: ResolvedInputs,
    seen: JobSnapshot,
    previous: JobRerunOutputs | undefined,
  ): Promise<RescheduleRecord> {
    let result: RescheduleResult;
    try {
      result = await client.reschedule(inputs.jobId, { force: inputs.force, baseline: seen.job });
    } catch (error) {
      if (error instanceof NarrativeError && error.outcomeUnknown === true) {
        const apiUrl = this.clientFor(inputs).apiUrl;
        throw new JobRerunIncompleteError(
          `${error.message} The next \`pulumi up\` reads job ${inputs.jobId} and reschedules it only if this ` +
            `reschedule did not take effect.`,
          inputs.jobId,
          rerunOutputs(inputs, apiUrl, seen, undefined, previous, "verify"),
        );
      }
      throw error;
    }
    if (result.outcome === "skipped_terminal") {
      this.reporter.warn(skippedTerminalWarning(result.job));
    }
    // A reschedule seen only by reading the job may be another stack's: it is recorded as observed, and not
    // counted as this stack's own.
    const observed = !result.confirmed && result.outcome === "rescheduled";
    if (observed) {
      this.reporter.warn(observedRescheduleWarning(result.job));
    }
    return {
      outcome: observed ? "run_observed" : result.outcome,
      job: result.job,
      jobJson: result.jobJson,
      at: this.now().toISOString(),
    };
  }

  private cancellation(): AbortSignal {
    return this.options.cancellation ?? deploymentCancellation();
  }

  private currentSettings(): ProviderSettings {
    // Older CLIs never call configure(); the environment still works there.
    this.settings ??= resolveSettings(undefined, this.env);
    return this.settings;
  }

  /** The client for a resource's or a read's API URL (its input, else the configuration's), made once per URL. */
  clientFor(inputs: { apiUrl?: string | undefined }): {
    client: NarrativeJobsClient;
    apiUrl: string;
  } {
    const settings = this.currentSettings();
    const apiUrl = inputs.apiUrl ?? settings.apiUrl;
    if (settings.token === undefined) {
      throw new NarrativeConfigError(
        `No Narrative API token: set it with \`pulumi config set --secret ${CONFIG_KEYS.token} <key>\` ` +
          `or the ${ENV_KEYS.token} environment variable. Nothing was sent to ${apiUrl}.`,
        { property: CONFIG_KEYS.token },
      );
    }
    let client = this.clients.get(apiUrl);
    if (client === undefined) {
      client = new NarrativeJobsClient({
        ...this.options.clientOptions,
        ...(settings.attemptTimeoutMs !== undefined ? { attemptTimeoutMs: settings.attemptTimeoutMs } : {}),
        ...(settings.totalTimeoutMs !== undefined ? { totalTimeoutMs: settings.totalTimeoutMs } : {}),
        apiUrl,
        // The client's messages name where the URL came from: the resource's input, or the setting.
        apiUrlSetting:
          inputs.apiUrl !== undefined
            ? "apiUrl"
            : settings.apiUrlSetting === "default"
              ? "narrative:apiUrl"
              : settings.apiUrlSetting,
        token: settings.token,
        onRetry: (event) => this.reporter.info(retryLine(event)),
        cancellation: this.cancellation(),
      });
      this.clients.set(apiUrl, client);
    }
    return { client, apiUrl };
  }
}

function retryLine(event: RetryEvent): string {
  const seconds = (event.delayMs / 1_000).toFixed(1);
  return `${event.call}: attempt ${event.attempt} failed (${event.reason}); retrying in ${seconds}s`;
}

/**
 * The provider the dynamic provider host gets from the stored text (shim.ts): this module's exports, one
 * instance per provider process. Only the methods the host calls are exported under their method names.
 */
const instance = new JobRerunProvider();

export const configure = instance.configure.bind(instance);
export const check = instance.check.bind(instance);
export const diff = instance.diff.bind(instance);
export const create = instance.create.bind(instance);
export const read = instance.read.bind(instance);
export const update = instance.update.bind(instance);
