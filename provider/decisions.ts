/**
 * The JobRerun's decisions as plain functions: which inputs are valid, what changed, whether to reschedule,
 * and what to store. Nothing here touches the network, so every rule is unit-tested without a server. The
 * inputs themselves are declared in inputs.ts.
 */
import { formatDuration } from "./duration";
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
import { parseExact } from "./json";
import { triggersEqual } from "./triggers";
import type { Job, JobSnapshot, RescheduleOutcome } from "./types";
import type { WaitEnd } from "./wait";

export type UnfinishedRun = "follow" | "rerun" | "verify";

/** What a JobRerun saw and did, stored as one output so that a program registers one property for all of it. */
export interface JobRerunStatus {
  /** What the last reschedule did; absent until the resource has rescheduled the job once. */
  outcome?: RescheduleOutcome;
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
}

/** The members of `JobRerunStatus`, which `storedOutputs` moves under `status`. */
const STATUS_KEYS = [
  "outcome",
  "state",
  "jobJson",
  "rescheduleCount",
  "lastRescheduledAt",
  "unfinishedRun",
] as const satisfies readonly (keyof JobRerunStatus)[];

/** The inputs as stored: with their defaults, and the API URL the resource talked to (input or configuration). */
export type StoredInputs = JobRerunInputs & { apiUrl: string };

/**
 * A JobRerun's outputs as the state stores them: the inputs with their defaults and the API URL used (what
 * `diff` compares), and everything else under `status`. The job is kept once, as the exact text; the typed
 * `job` a program reads is parsed from it (resource.ts).
 *
 * Why not one output per figure: @pulumi/pulumi gives every property a program registers four promises, each
 * capturing a stack trace, which made a preview of 500 JobReruns spend seconds in the program alone; and the
 * engine rewrites the whole state after every step, so a second copy of the job was paid for N times per update.
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
  const changed = changedInputs(olds, news, effective);
  const replaces = changed.filter((name) => JOB_RERUN_INPUTS[name].onChange === "replace");
  return {
    // A run left unfinished by the last deployment is owed a follow-up even when no input changed.
    changes: changed.length > 0 || olds.unfinishedRun !== undefined,
    replaces,
    deleteBeforeReplace: false,
  };
}

export type UpdatePlan = "reschedule" | "verify" | "follow" | "nothing";

/**
 * What an update does. New triggers always reschedule. With the same triggers, a run the last deployment left
 * unfinished is followed (never rescheduled twice) and a run that failed is rescheduled again; anything else
 * only rewrites the state.
 */
export function planUpdate(olds: Partial<JobRerunOutputs>, news: JobRerunInputs): UpdatePlan {
  if (!triggersEqual(olds.triggers, news.triggers) || olds.unfinishedRun === "rerun") {
    return "reschedule";
  }
  if (olds.unfinishedRun === "verify") {
    return "verify";
  }
  return olds.unfinishedRun === "follow" && news.waitFor !== "none" ? "follow" : "nothing";
}

/**
 * Whether a reschedule whose answer was lost in an earlier deployment took effect, from the job now and the
 * job as it was before that reschedule. Any change since then (a new `updated_at` or state) means a run
 * started after the triggers changed, so rescheduling again would run the job twice.
 */
export function rescheduleTookEffect(before: Job, now: Job): boolean {
  return now.updated_at !== before.updated_at || now.state !== before.state;
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
  outcome: RescheduleOutcome;
  /** When the provider saw the API confirm it, as an ISO 8601 UTC timestamp. */
  at: string;
}

/** The outputs after a create, or after an update, given what the API returned. */
export function rerunOutputs(
  inputs: JobRerunInputs,
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
    job: seen.job,
    jobJson: seen.jobJson,
    state: seen.job.state,
    rescheduleCount: (previous?.rescheduleCount ?? 0) + (applied ? 1 : 0),
    unfinishedRun,
    outcome: reschedule?.outcome ?? previous?.outcome,
    lastRescheduledAt: applied ? reschedule.at : previous?.lastRescheduledAt,
  }) as JobRerunOutputs;
}

/** The outputs in the shape the state stores (`StoredOutputs`): the job only as its exact text. */
export function storedOutputs(outputs: JobRerunOutputs): StoredOutputs {
  const { job: _parsed, ...flat } = outputs;
  const status: Record<string, unknown> = {};
  const stored: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(flat)) {
    ((STATUS_KEYS as readonly string[]).includes(name) ? status : stored)[name] = value;
  }
  return { ...stored, status: withoutUndefined(status) } as unknown as StoredOutputs;
}

/**
 * The outputs as the decisions use them, from what the state holds. A state written before `status` existed
 * (0.1.0 development builds stored every figure, and the parsed job, at the top level) passes through as it is.
 */
export function outputsFromState(stored: Partial<StoredOutputs>): Partial<JobRerunOutputs> {
  const { status, ...inputs } = stored;
  if (status === undefined || status === null) {
    return inputs;
  }
  return { ...inputs, ...status, job: parseExact(status.jobJson) as Job };
}

function withoutUndefined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

/** After a refresh: the job as the API returns it now; everything the resource did stays as it was. */
export function refreshedOutputs(olds: JobRerunOutputs, seen: JobSnapshot): JobRerunOutputs {
  return { ...olds, job: seen.job, jobJson: seen.jobJson, state: seen.job.state };
}

/** The line printed when a reschedule without force left a finished job alone. */
export function skippedTerminalWarning(job: Job): string {
  return (
    `job ${job.job_id} is ${job.state}, so the reschedule left it untouched (outcome skipped_terminal) ` +
    `because force is false; set force: true on the JobRerun to re-run a finished job`
  );
}
