/**
 * The JobRerun's decisions as plain functions: which inputs are valid, what changed, whether to reschedule,
 * and what to store. Nothing here touches the network, so every rule is unit-tested without a server.
 */
import type { Job, JsonValue, RescheduleOutcome } from "./types";
import { apiUrlProblem } from "./api-url";
import { parseDuration, formatDuration } from "./duration";
import { DEFAULT_WAIT_TIMEOUT_MS, MAX_WAIT_TIMEOUT_MS, type WaitEnd, type WaitFor } from "./wait";

/** What the engine sends in place of a value it does not know yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

/** The inputs with their defaults filled in (`withDefaults`), as create and update use them. */
export interface JobRerunInputs {
  jobId: string;
  triggers: JsonValue;
  force: boolean;
  runOnCreate: boolean;
  /** Only when given on the resource; otherwise the stack configuration decides. */
  apiUrl?: string;
  waitFor: WaitFor;
  /** Seconds, or a duration such as "30m" or "2h"; at most 24 hours. */
  timeout?: number | string;
  /** Absent means: fail when waiting for a terminal state. */
  failOnJobFailure?: boolean;
}

/**
 * Everything the provider knows about a JobRerun after a step, as its decisions use it. The state holds it in
 * the shape of `StoredOutputs` (see `storedOutputs`). Inputs are repeated so that `diff`, which only sees old
 * outputs, can compare.
 */
export interface JobRerunOutputs {
  jobId: string;
  triggers: JsonValue;
  force: boolean;
  runOnCreate: boolean;
  /** The API base URL the resource talked to: the input if given, else the stack configuration's. */
  apiUrl: string;
  /** What the last reschedule did; absent until the resource has rescheduled the job once. */
  outcome?: RescheduleOutcome;
  /** The job exactly as the API last returned it. */
  job: Job;
  /**
   * The same job as the exact JSON text the API sent. JavaScript and Pulumi numbers are doubles, so an
   * integer beyond 2^53 (such as a materialized view's `result.snapshot_id`) is only exact here.
   */
  jobJson: string;
  state: string;
  /** Reschedules this resource has applied over its life. */
  rescheduleCount: number;
  lastRescheduledAt?: string;
  waitFor: WaitFor;
  timeout?: number | string;
  failOnJobFailure?: boolean;
  /**
   * What the next deployment owes a run this resource started: `follow` when the wait timed out or the
   * deployment was cancelled while the job was still going (follow it, do not reschedule it again), `rerun` when
   * the run failed (reschedule it again even though the triggers did not change), `verify` when a reschedule
   * failed in a way that may have taken effect (read the job first; reschedule only if it did not). Absent when
   * nothing is owed.
   */
  unfinishedRun?: UnfinishedRun;
}

export type UnfinishedRun = "follow" | "rerun" | "verify";

/** What a JobRerun saw and did, stored as one output so that a program registers one property for all of it. */
export interface JobRerunStatus {
  outcome?: RescheduleOutcome;
  /** The job's state when the API was last asked. */
  state: string;
  /** The job exactly as the API last sent it, as text: the only copy of the job in the state. */
  jobJson: string;
  rescheduleCount: number;
  lastRescheduledAt?: string;
  unfinishedRun?: UnfinishedRun;
}

/**
 * A JobRerun's outputs as the state stores them: the inputs with their defaults and the API URL used (what
 * `diff` compares), and everything else under `status`. The job is kept once, as the exact text; the typed
 * `job` a program reads is parsed from it (resource.ts).
 *
 * Why not one output per figure: @pulumi/pulumi gives every property a program registers four promises, each
 * capturing a stack trace, which made a preview of 500 JobReruns spend seconds in the program alone; and the
 * engine rewrites the whole state after every step, so a second copy of the job was paid for N times per update.
 */
export interface StoredOutputs {
  jobId: string;
  triggers: JsonValue;
  force: boolean;
  runOnCreate: boolean;
  apiUrl: string;
  waitFor: WaitFor;
  timeout?: number | string;
  failOnJobFailure?: boolean;
  status: JobRerunStatus;
}

export const INPUT_DEFAULTS = { force: true, runOnCreate: false, waitFor: "none" } as const;

const WAIT_FOR_VALUES: readonly WaitFor[] = ["none", "running", "terminal"];
const INPUT_NAMES = [
  "jobId",
  "triggers",
  "force",
  "runOnCreate",
  "apiUrl",
  "waitFor",
  "timeout",
  "failOnJobFailure",
];
/** Output names the program registers (as undefined) so they can be read back; harmless in inputs. */
const OUTPUT_NAMES = ["status"];

export interface CheckFailure {
  property: string;
  reason: string;
}

function isUnknown(value: unknown): boolean {
  return value === UNKNOWN;
}

/**
 * Why `value` is not JSON data, naming where inside it the problem is, or undefined when it is JSON data.
 * Values the engine does not know yet are accepted: they are checked again once known.
 */
export function triggersProblem(value: unknown, path = "triggers"): string | undefined {
  const seen = new Set<object>();
  const visit = (item: unknown, at: string): string | undefined => {
    switch (typeof item) {
      case "string":
      case "boolean":
        return undefined;
      case "number":
        return Number.isFinite(item) ? undefined : `${at} is ${item}, which JSON cannot hold`;
      case "undefined":
        return `${at} is undefined: use null, or leave the key out`;
      case "function":
        return `${at} is a function: triggers must be JSON data (strings, numbers, booleans, null, arrays, objects)`;
      case "symbol":
        return `${at} is a symbol: triggers must be JSON data`;
      case "bigint":
        return `${at} is a bigint: pass it as a string`;
    }
    if (item === null) {
      return undefined;
    }
    const object = item as object;
    if (seen.has(object)) {
      return `${at} refers back to itself (a cycle): triggers must be JSON data`;
    }
    const prototype: unknown = Object.getPrototypeOf(object);
    if (!Array.isArray(object) && prototype !== Object.prototype && prototype !== null) {
      const name = (object as { constructor?: { name?: string } }).constructor?.name ?? "object";
      return `${at} is a ${name}: triggers must be plain JSON data (convert it, e.g. to a string)`;
    }
    seen.add(object);
    const entries: [string, unknown][] = Array.isArray(object)
      ? // Array.from visits holes in a sparse array (map skips them), so a hole is reported, not a crash.
        Array.from(object, (element, index) => [`${at}[${index}]`, element])
      : Object.entries(object).map(([key, element]) => [`${at}.${key}`, element]);
    for (const [childPath, child] of entries) {
      const problem = visit(child, childPath);
      if (problem !== undefined) {
        return problem;
      }
    }
    seen.delete(object);
    return undefined;
  };
  return visit(value, path);
}

/** Validates and completes a JobRerun's inputs. Each failure names the property and the rule it broke. */
export function checkInputs(news: Record<string, unknown>): {
  inputs: Record<string, unknown>;
  failures: CheckFailure[];
} {
  const failures: CheckFailure[] = [];
  const { jobId, triggers, force, runOnCreate, apiUrl, waitFor, timeout } = news;

  if (!isUnknown(jobId) && !isUuid(jobId)) {
    failures.push({
      property: "jobId",
      reason: `jobId must be a Narrative job UUID such as 2a5b9ad7-dc8f-47bb-8e62-843a38f8054c; got ${describe(jobId)}`,
    });
  }
  if (!("triggers" in news) || triggers === undefined) {
    failures.push({
      property: "triggers",
      reason: "triggers is required: give any JSON value (a git SHA, a schema version, a map of file hashes)",
    });
  } else {
    const problem = triggersProblem(triggers);
    if (problem !== undefined) {
      failures.push({ property: "triggers", reason: problem });
    }
  }
  for (const [name, value] of [
    ["force", force],
    ["runOnCreate", runOnCreate],
    ["failOnJobFailure", news["failOnJobFailure"]],
  ] as const) {
    if (value !== undefined && !isUnknown(value) && typeof value !== "boolean") {
      failures.push({ property: name, reason: `${name} must be true or false; got ${describe(value)}` });
    }
  }
  if (apiUrl !== undefined && !isUnknown(apiUrl)) {
    const problem = apiUrlProblem(apiUrl);
    if (problem !== undefined) {
      failures.push({ property: "apiUrl", reason: `apiUrl ${problem}` });
    }
  }
  if (waitFor !== undefined && !isUnknown(waitFor) && !WAIT_FOR_VALUES.includes(waitFor as WaitFor)) {
    failures.push({
      property: "waitFor",
      reason: `waitFor must be one of ${WAIT_FOR_VALUES.map((v) => `"${v}"`).join(", ")}; got ${describe(waitFor)}`,
    });
  }
  if (timeout !== undefined && !isUnknown(timeout)) {
    const problem = timeoutProblem(timeout);
    if (problem !== undefined) {
      failures.push({ property: "timeout", reason: problem });
    }
  }
  for (const name of Object.keys(news)) {
    if (name.startsWith("__") || INPUT_NAMES.includes(name) || OUTPUT_NAMES.includes(name)) {
      continue;
    }
    const reason = /token|secret|key|password/i.test(name)
      ? `${name} is not an input: the API token is read from the stack configuration; set it with \`pulumi config set --secret narrative:token <key>\``
      : `${name} is not an input of JobRerun (inputs: ${INPUT_NAMES.join(", ")})`;
    failures.push({ property: name, reason });
  }

  // The inputs are stored as the program gave them, without defaults, so that the program and the state agree
  // (a refresh that runs the program shows no difference); create and update fill the defaults in.
  return { inputs: { ...news }, failures };
}

/** The inputs as checked and stored: those with a default may be absent. */
export type GivenInputs = Omit<JobRerunInputs, keyof typeof INPUT_DEFAULTS> &
  Partial<Pick<JobRerunInputs, keyof typeof INPUT_DEFAULTS>>;

/** Checked inputs with the defaults of what was not given. */
export function withDefaults(inputs: GivenInputs): JobRerunInputs {
  return {
    ...inputs,
    force: inputs.force ?? INPUT_DEFAULTS.force,
    runOnCreate: inputs.runOnCreate ?? INPUT_DEFAULTS.runOnCreate,
    waitFor: inputs.waitFor ?? INPUT_DEFAULTS.waitFor,
  };
}

function timeoutProblem(timeout: unknown): string | undefined {
  const ms = parseDuration(timeout);
  if (ms === undefined || ms <= 0) {
    return `timeout must be a number of seconds or a duration such as "30m" or "2h"; got ${describe(timeout)}`;
  }
  if (ms > MAX_WAIT_TIMEOUT_MS) {
    return `timeout must be at most 24 hours; got ${describe(timeout)}`;
  }
  return undefined;
}

/** How long to wait for the job, from a checked `timeout` input. */
export function waitTimeoutMs(inputs: Pick<JobRerunInputs, "timeout">): number {
  return inputs.timeout === undefined
    ? DEFAULT_WAIT_TIMEOUT_MS
    : (parseDuration(inputs.timeout) ?? DEFAULT_WAIT_TIMEOUT_MS);
}

/** A failed or cancelled job fails the deployment by default when the resource waits for the job to finish. */
export function failsOnJobFailure(inputs: Pick<JobRerunInputs, "waitFor" | "failOnJobFailure">): boolean {
  return inputs.failOnJobFailure ?? inputs.waitFor === "terminal";
}

function describe(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  }
  return value === undefined ? "nothing" : typeof value === "object" ? JSON.stringify(value) : String(value);
}

/**
 * A stable text for a JSON value: object keys sorted (their order carries no meaning), array order kept (it
 * does), and undefined when any part is still unknown.
 */
export function canonicalTriggers(value: unknown): string | undefined {
  let unknown = false;
  const normalize = (item: unknown): unknown => {
    if (isUnknown(item)) {
      unknown = true;
      return null;
    }
    if (Array.isArray(item)) {
      return item.map(normalize);
    }
    if (item !== null && typeof item === "object") {
      return Object.fromEntries(
        Object.keys(item)
          .sort()
          .map((key) => [key, normalize((item as Record<string, unknown>)[key])]),
      );
    }
    return item;
  };
  const text = JSON.stringify(normalize(value)) ?? "null";
  return unknown ? undefined : text;
}

/** True only when both trigger values are known and equal as JSON data. */
export function triggersEqual(olds: unknown, news: unknown): boolean {
  const before = canonicalTriggers(olds);
  return before !== undefined && before === canonicalTriggers(news);
}

export interface RerunDiff {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/**
 * Compares the stored outputs with the new inputs. A new job id is a different resource (replace); new
 * triggers, or triggers not known yet, are an update that reschedules; other changed inputs are an update
 * that sends nothing. `__provider` is ignored so that upgrading this package never looks like a change.
 */
export function diffInputs(
  olds: Partial<JobRerunOutputs>,
  news: Record<string, unknown>,
  defaultApiUrl: string,
): RerunDiff {
  const replaces: string[] = [];
  if (isUnknown(news["jobId"]) || olds.jobId !== news["jobId"]) {
    replaces.push("jobId");
  }
  const newApiUrl = news["apiUrl"] ?? defaultApiUrl;
  const changes =
    replaces.length > 0 ||
    !triggersEqual(olds.triggers, news["triggers"]) ||
    (olds.force ?? INPUT_DEFAULTS.force) !== (news["force"] ?? INPUT_DEFAULTS.force) ||
    (olds.runOnCreate ?? INPUT_DEFAULTS.runOnCreate) !==
      (news["runOnCreate"] ?? INPUT_DEFAULTS.runOnCreate) ||
    olds.apiUrl !== newApiUrl ||
    (olds.waitFor ?? INPUT_DEFAULTS.waitFor) !== (news["waitFor"] ?? INPUT_DEFAULTS.waitFor) ||
    olds.timeout !== news["timeout"] ||
    olds.failOnJobFailure !== news["failOnJobFailure"] ||
    // A run left unfinished by the last deployment is owed a follow-up even when no input changed.
    olds.unfinishedRun !== undefined;
  return { changes, replaces, deleteBeforeReplace: false };
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

/** The API's answer to one call, with the exact text of its job. */
export interface JobSnapshot {
  job: Job;
  jobJson: string;
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
  const outputs: JobRerunOutputs = {
    jobId: inputs.jobId,
    triggers: inputs.triggers,
    force: inputs.force,
    runOnCreate: inputs.runOnCreate,
    apiUrl,
    job: seen.job,
    jobJson: seen.jobJson,
    state: seen.job.state,
    rescheduleCount: (previous?.rescheduleCount ?? 0) + (applied ? 1 : 0),
    waitFor: inputs.waitFor,
  };
  if (inputs.timeout !== undefined) {
    outputs.timeout = inputs.timeout;
  }
  if (inputs.failOnJobFailure !== undefined) {
    outputs.failOnJobFailure = inputs.failOnJobFailure;
  }
  if (unfinishedRun !== undefined) {
    outputs.unfinishedRun = unfinishedRun;
  }
  const outcome = reschedule?.outcome ?? previous?.outcome;
  if (outcome !== undefined) {
    outputs.outcome = outcome;
  }
  const lastRescheduledAt = applied ? reschedule.at : previous?.lastRescheduledAt;
  if (lastRescheduledAt !== undefined) {
    outputs.lastRescheduledAt = lastRescheduledAt;
  }
  return outputs;
}

/** The outputs in the shape the state stores (`StoredOutputs`): the job only as its exact text. */
export function storedOutputs(outputs: JobRerunOutputs): StoredOutputs {
  const {
    outcome,
    job: _parsed,
    jobJson,
    state,
    rescheduleCount,
    lastRescheduledAt,
    unfinishedRun,
    ...inputs
  } = outputs;
  const status: JobRerunStatus = { state, jobJson, rescheduleCount };
  if (outcome !== undefined) {
    status.outcome = outcome;
  }
  if (lastRescheduledAt !== undefined) {
    status.lastRescheduledAt = lastRescheduledAt;
  }
  if (unfinishedRun !== undefined) {
    status.unfinishedRun = unfinishedRun;
  }
  return { ...inputs, status };
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
  return { ...inputs, ...status, job: JSON.parse(status.jobJson) as Job };
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
