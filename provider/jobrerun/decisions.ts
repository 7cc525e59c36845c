/**
 * The JobRerun's decisions as plain functions: which inputs are valid, what changed, whether to reschedule,
 * and what to store. Nothing here touches the network, so every rule is unit-tested without a server. The
 * inputs themselves are declared in inputs.ts.
 */
import { formatDuration } from "../common/duration";
import {
  changedInputs,
  failsOnJobFailure,
  INPUT_DEFAULTS,
  givenInputs,
  inputFailures,
  JOB_RERUN_INPUTS,
  waitTimeoutMs,
  type CheckFailure,
  type InputName,
  type JobRerunInputs,
} from "./inputs";
import { parseExact } from "../common/json";
import { packageVersion } from "../common/package-version";
import { newerStateError, STATE_SCHEMA_VERSION, STATUS_KEYS } from "./state-version";
import { triggersEqual } from "./triggers";
import { isTerminalJobState, type Job, type JobSnapshot, type RescheduleOutcome } from "../api/types";
import type { WaitEnd } from "./wait";

export type UnfinishedRun = "follow" | "rerun" | "verify";

/**
 * What the last reschedule of a JobRerun came to: the API's own outcome for a reschedule this stack sent and saw
 * confirmed, or `run_observed` for a run the job shows but this stack cannot confirm as its own (a reschedule
 * whose answer was lost, another stack's, or one from a deployment that was killed).
 */
export type RerunOutcome = RescheduleOutcome | "run_observed";

export { STATE_SCHEMA_VERSION } from "./state-version";

/** What a JobRerun saw and did, stored as one output so that a program registers one property for all of it. */
export interface JobRerunStatus {
  /** The stored shape's version (STATE_SCHEMA_VERSION); absent in states written before it existed. */
  schemaVersion?: number;
  /**
   * The version of pulumi-narrative-jobs that wrote the state (from schema version 4), so that an older release
   * that cannot read it can say which release to install; absent when the package's own version was unknown.
   */
  writtenBy?: string;
  /** What the last reschedule did; absent until the resource has rescheduled the job once. */
  outcome?: RerunOutcome;
  /** The job's state when the API was last asked. */
  state: string;
  /**
   * The job exactly as the API last sent it, as text: the only copy of the job in the state. Pulumi numbers
   * are doubles, so an integer beyond 2^53 (such as a materialized view's `result.snapshot_id`) is exact here.
   */
  jobJson: string;
  /** Reschedules this resource has applied over its life. */
  rescheduleCount: number;
  lastRescheduledAt?: string;
  /**
   * What the next deployment owes a run this resource started: `follow` when the wait timed out or the
   * deployment was cancelled while the job was still going (follow it, do not reschedule it again), `rerun` when
   * the run failed (reschedule it again even though the triggers did not change), `verify` when a reschedule
   * failed in a way that may have taken effect (read the job first; reschedule only if it did not). Absent when
   * nothing is owed.
   */
  unfinishedRun?: UnfinishedRun;
  /**
   * The job as this stack's last create or update left it, kept only once a refresh has seen a run started since
   * (`runSince`): the baseline a later reschedule is judged against, which that refresh must not move.
   */
  deployedJob?: JobMarks;
}

/** A member of `JobRerunStatus` that state-version.ts does not list; `never` while the two agree. */
type UnlistedStatusMember = Exclude<keyof JobRerunStatus, (typeof STATUS_KEYS)[number]>;

/**
 * The members of `JobRerunStatus`, which `storedOutputs` moves under `status` (listed in state-version.ts).
 * It fails to compile for a listed name that is no member, and for a member left unlisted,
 * which would be stored at the top level, where this very release would refuse it as unknown.
 */
const STATUS_MEMBERS: readonly (keyof JobRerunStatus)[] &
  ([UnlistedStatusMember] extends [never] ? unknown : never) = STATUS_KEYS;

/** The inputs as stored: with their defaults, and the API URL the resource talked to (input or configuration). */
export type StoredInputs = ResolvedInputs & { apiUrl: string };

/** The inputs with the job resolved: the `jobId` given, or the job `dataset` picked. */
export type ResolvedInputs = JobRerunInputs & { jobId: string };

/**
 * A JobRerun's outputs as the state stores them: the inputs with their defaults and the API URL used (what
 * `diff` compares), and everything else under `status`. The job is kept once, as the exact text; the typed
 * `job` a program reads is parsed from it (resource.ts).
 *
 * Why not one output per figure: @pulumi/pulumi gives every property a program registers four promises, each
 * capturing a stack trace, which would make a preview of 500 JobReruns spend seconds in the program alone
 * (docs/performance.md); and the engine rewrites the whole state after every step, so a second copy of the
 * job would be paid for N times per update.
 */
export type StoredOutputs = StoredInputs & { status: JobRerunStatus };

/**
 * Everything the provider knows about a JobRerun after a step, as its decisions use it: the stored inputs, the
 * status flattened, and the job parsed. Inputs are repeated so that `diff`, which only sees old outputs, can
 * compare.
 */
export type JobRerunOutputs = StoredInputs & JobRerunStatus & { job: Job };

/** Validates a JobRerun's inputs. Each failure names the property and the rule it broke. */
export function checkInputs(news: Record<string, unknown>): {
  inputs: Record<string, unknown>;
  failures: CheckFailure[];
} {
  // The inputs are stored as the program gave them, without defaults, so that the program and the state agree
  // (a refresh that runs the program shows no difference); create and update fill the defaults in.
  return { inputs: { ...news }, failures: inputFailures(news) };
}

export interface RerunDiff {
  changes: boolean;
  /** The inputs whose change the update applies, for hosts that show them (the provider plugin). */
  changed: InputName[];
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/**
 * Compares the stored outputs with the new inputs, by what the input table says a change does: a new job id is
 * a different resource (replace); new triggers, or triggers not known yet, are an update that reschedules;
 * other changed inputs are an update that sends nothing. `__provider` is not an input, so upgrading this
 * package never looks like a change.
 */
export function diffInputs(
  olds: Partial<JobRerunOutputs>,
  news: Record<string, unknown>,
  defaultApiUrl: string,
): RerunDiff {
  const effective = (name: InputName, value: unknown): unknown => {
    if (name === "apiUrl") {
      return value ?? defaultApiUrl;
    }
    return value ?? (INPUT_DEFAULTS as Partial<Record<InputName, unknown>>)[name];
  };
  // With a dataset, the stored jobId is the job it picked, not an input to compare.
  const picked = olds.dataset !== undefined && news["dataset"] !== undefined;
  const changed = changedInputs(olds, news, effective).filter((name) => !(picked && name === "jobId"));
  const replaces = changed.filter((name) => JOB_RERUN_INPUTS[name].onChange === "replace");
  return {
    // A run left unfinished by the last deployment is owed a follow-up even when no input changed; and a
    // version-1 state must be rewritten (without a request) because a program cannot read its outputs: it
    // registers only `status`, and @pulumi/pulumi drops stored outputs a program did not register.
    changes: changed.length > 0 || olds.unfinishedRun !== undefined || olds.schemaVersion === 1,
    changed,
    replaces,
    deleteBeforeReplace: false,
  };
}

export type UpdatePlan = "reschedule" | "follow" | "nothing";

/**
 * What an update does. New triggers reschedule, and so does a run that failed (`rerun`) or a reschedule whose
 * answer was lost (`verify`); every reschedule first reads the job (see `runSince`). With the same triggers, a run
 * the last deployment left unfinished is followed (never rescheduled twice); anything else only rewrites the
 * state.
 */
export function planUpdate(olds: Partial<JobRerunOutputs>, news: JobRerunInputs): UpdatePlan {
  if (
    !triggersEqual(olds.triggers, news.triggers) ||
    olds.unfinishedRun === "rerun" ||
    olds.unfinishedRun === "verify"
  ) {
    return "reschedule";
  }
  return olds.unfinishedRun === "follow" && news.waitFor !== "none" ? "follow" : "nothing";
}

/** What `runSince` compares: the job as this stack's last deployment left it. */
export type JobMarks = Pick<Job, "state" | "updated_at" | "executor">;

/** The marks of a job, as `status.deployedJob` stores them. */
function jobMarks(job: Job): JobMarks {
  return withoutUndefined({
    state: job.state,
    updated_at: job.updated_at,
    executor: job.executor,
  }) as JobMarks;
}

/**
 * THE RUN-SINCE RULE, applied before every reschedule: whether the job shows a run that started after this
 * stack's last deployment left it (`before`), judged from the job now. A deployment killed without a word
 * (SIGKILL, a CI time limit) after its POST reached the API leaves no trace in the state; the job is the only
 * evidence. A run started since shows as:
 * - a job pending now, with a new `updated_at`: it was reset (rescheduled) since;
 * - a job running now, on another executor than before, or after being finished before: picked up since;
 * - a job finished now that was already finished before, with a new `updated_at`: a whole run since.
 * A job that went on from pending to running or finished, as the recorded run would, is no such evidence.
 *
 * The client's evidence rule (reschedule-rule.ts) answers a narrower question seconds after a POST whose answer
 * was lost, against the job read just before that POST; this one spans the time between two deployments, so it
 * also accepts a run that has finished since.
 */
export function runSince(before: JobMarks, now: Job): boolean {
  if (now.updated_at === before.updated_at) {
    return false;
  }
  const wasFinished = isTerminalJobState(before.state);
  switch (now.state) {
    case "pending":
      return true;
    case "running":
      return (
        wasFinished || (before.state === "running" && (now.executor ?? null) !== (before.executor ?? null))
      );
    default:
      return isTerminalJobState(now.state) && wasFinished;
  }
}

/** The job a reschedule is judged against: as the last deployment left it, which a refresh does not move. */
export function deployedJob(olds: JobRerunOutputs): JobMarks {
  return olds.deployedJob ?? jobMarks(olds.job);
}

/** The line printed when `runSince` found a run this stack did not record, and it follows that run. */
export function runSinceWarning(before: JobMarks, now: Job): string {
  return (
    `job ${now.job_id} is ${now.state} (updated ${now.updated_at ?? "at an unknown time"}) and was ` +
    `${before.state} (updated ${before.updated_at ?? "at an unknown time"}) when this stack last deployed: ` +
    `a run started since that this stack did not record, such as one from a deployment that was killed. ` +
    `Following that run instead of rescheduling the job again (outcome run_observed); set ` +
    `onUnrecordedRun: "reschedule" to reschedule anyway`
  );
}

/** How a wait ended, as the deployment must record it. */
export interface WaitVerdict {
  unfinishedRun?: UnfinishedRun;
  /** Set when the update must fail: the job failed, or it is still going when the wait ended. */
  failure?: string;
}

export function waitVerdict(
  end: WaitEnd,
  job: Job,
  inputs: Pick<JobRerunInputs, "waitFor" | "failOnJobFailure" | "timeout">,
): WaitVerdict {
  if (end === "reached") {
    if ((job.state === "failed" || job.state === "cancelled") && failsOnJobFailure(inputs)) {
      const messages = (job.failures ?? [])
        .map((failure) => failure.message)
        .filter((message): message is string => typeof message === "string" && message !== "")
        .slice(-3);
      const why = messages.length > 0 ? `: ${messages.join("; ")}` : "";
      return {
        unfinishedRun: "rerun",
        failure:
          `job ${job.job_id} ended ${job.state}${why}. The next \`pulumi up\` reschedules it again; ` +
          `set failOnJobFailure: false to record a failed run without failing the deployment`,
      };
    }
    return {};
  }
  const after =
    end === "timed-out"
      ? `the wait timed out after ${formatDuration(waitTimeoutMs(inputs))}`
      : "the deployment was cancelled";
  return {
    unfinishedRun: "follow",
    failure:
      `job ${job.job_id} is still ${job.state}: ${after}. The job goes on running on Narrative; the next ` +
      `\`pulumi up\` follows this run instead of rescheduling it again`,
  };
}

export interface RescheduleRecord extends JobSnapshot {
  outcome: RerunOutcome;
  /** When the provider saw the API confirm it, as an ISO 8601 UTC timestamp. */
  at: string;
}

/** The outputs after a create, or after an update, given what the API returned. */
export function rerunOutputs(
  inputs: ResolvedInputs,
  apiUrl: string,
  seen: JobSnapshot,
  reschedule: RescheduleRecord | undefined,
  previous?: Partial<JobRerunOutputs>,
  unfinishedRun?: UnfinishedRun,
): JobRerunOutputs {
  const applied = reschedule?.outcome === "rescheduled";
  return withoutUndefined({
    ...givenInputs(inputs),
    apiUrl,
    schemaVersion: STATE_SCHEMA_VERSION,
    writtenBy: packageVersion(),
    job: seen.job,
    jobJson: seen.jobJson,
    state: seen.job.state,
    rescheduleCount: (previous?.rescheduleCount ?? 0) + (applied ? 1 : 0),
    unfinishedRun,
    outcome: reschedule?.outcome ?? previous?.outcome,
    lastRescheduledAt: applied ? reschedule.at : previous?.lastRescheduledAt,
    // An update that read nothing (`seen` is the stored job itself) leaves the baseline where it was; a
    // deployment that talked to the API leaves the job as it saw it.
    deployedJob: seen === previous ? previous.deployedJob : undefined,
  }) as JobRerunOutputs;
}

/** The outputs in the shape the state stores (`StoredOutputs`): the job only as its exact text. */
export function storedOutputs(outputs: JobRerunOutputs): StoredOutputs {
  return nestedStatus(outputs) as unknown as StoredOutputs;
}

/** Flat outputs with the members of `status` moved under it, and the parsed job left out (`jobJson` holds it). */
function nestedStatus(flat: object): Record<string, unknown> {
  const status: Record<string, unknown> = {};
  const stored: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(flat)) {
    if (name !== "job") {
      ((STATUS_MEMBERS as readonly string[]).includes(name) ? status : stored)[name] = value;
    }
  }
  return { ...stored, status: withoutUndefined(status) };
}

/**
 * The outputs as the decisions use them, from any stored shape (see STATE_SCHEMA_VERSION). A state written
 * before `status` existed (version 1: every figure, and the parsed job, at the top level) passes through as it
 * is; versions 2 and 3 lack only fields later versions added, all of them optional. A state a newer release
 * wrote is refused (NarrativeStateError): every step that reads a state comes through here, so none of them
 * sends anything or rewrites it into this release's shape.
 */
export function outputsFromState(stored: Partial<StoredOutputs>): Partial<JobRerunOutputs> {
  const newer = newerStateError(stored);
  if (newer !== undefined) {
    throw newer;
  }
  const { status, ...inputs } = stored;
  if (status === undefined || status === null) {
    return { ...inputs, schemaVersion: 1 };
  }
  return { schemaVersion: 2, ...inputs, ...status, job: parseExact(status.jobJson) as Job };
}

/**
 * The outputs as a host that stores them flat keeps them (the provider plugin, whose schema declares each output
 * by name): every member of the stored shape at the top level, and the job parsed again from its exact text, so
 * that an integer beyond 2^53 is its exact decimal string there too.
 */
export function flatOutputs(outputs: JobRerunOutputs): JobRerunOutputs {
  return outputsFromState(storedOutputs(outputs)) as JobRerunOutputs;
}

/** The outputs from a flat state (`flatOutputs`), read by the same rules as any other state (`outputsFromState`). */
export function outputsFromFlatState(flat: Record<string, unknown>): Partial<JobRerunOutputs> {
  // Only a shape, not yet a state this release can read: outputsFromState decides that.
  return outputsFromState(nestedStatus(flat) as Partial<StoredOutputs>);
}

function withoutUndefined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

/** After a refresh: the job as the API returns it now; everything the resource did stays as it was. */
export function refreshedOutputs(olds: JobRerunOutputs, seen: JobSnapshot): JobRerunOutputs {
  const outputs: JobRerunOutputs = {
    ...olds,
    schemaVersion: STATE_SCHEMA_VERSION,
    job: seen.job,
    jobJson: seen.jobJson,
    state: seen.job.state,
  };
  // A refresh rewrites the state in this release's shape, so this release is what wrote it.
  const writtenBy = packageVersion();
  if (writtenBy === undefined) {
    delete outputs.writtenBy;
  } else {
    outputs.writtenBy = writtenBy;
  }
  if (ownRunFailed(olds, seen.job)) {
    outputs.unfinishedRun = "rerun";
  }
  // A refresh shows the job as it is now. While the job is still in the run this stack recorded (or has ended
  // it), the baseline moves with it; once it shows a run started since, the baseline stays where the last
  // deployment left it: after a killed deployment, the refreshed job is the evidence of the run it started.
  const before = deployedJob(olds);
  if (runSince(before, seen.job)) {
    outputs.deployedJob = before;
  } else {
    delete outputs.deployedJob;
  }
  return outputs;
}

/**
 * With `rerunFailed`, whether a refresh shows that the run this resource started ended failed or cancelled: the
 * last reschedule was this stack's own (confirmed), the job has ended so, and no other run started since the
 * deployment that sent it (`runSince`). A failed run of someone else's never triggers a rerun.
 */
function ownRunFailed(olds: JobRerunOutputs, now: Job): boolean {
  return (
    olds.rerunFailed === true &&
    olds.outcome === "rescheduled" &&
    (olds.unfinishedRun === undefined || olds.unfinishedRun === "follow") &&
    (now.state === "failed" || now.state === "cancelled") &&
    !runSince(deployedJob(olds), now)
  );
}

/** The line printed when only a read of the job showed the reschedule whose answer was lost. */
export function observedRescheduleWarning(job: Job): string {
  return (
    `job ${job.job_id}: the answer to this stack's reschedule was lost, and the job shows a reschedule (now ` +
    `${job.state}, updated ${job.updated_at ?? "at an unknown time"}), which may be this stack's or another's: ` +
    "following it without rescheduling again (outcome run_observed)"
  );
}

/** The line printed when a reschedule without force left a finished job alone. */
export function skippedTerminalWarning(job: Job): string {
  return (
    `job ${job.job_id} is ${job.state}, so the reschedule left it untouched (outcome skipped_terminal) ` +
    `because force is false; set force: true on the JobRerun to re-run a finished job`
  );
}
