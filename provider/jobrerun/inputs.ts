/**
 * Every JobRerun input, declared once. The value types (with their documentation) are `JobRerunInputValues`;
 * the table `JOB_RERUN_INPUTS` says for each one its default, what a change does, and how it is checked. The
 * program's `JobRerunArgs`, the provider's check, diff and defaults, and the stored outputs all follow from
 * these two, so adding an input means adding it here.
 */
import { apiUrlProblem } from "../api/api-url";
import { parseDuration } from "../common/duration";
import { NarrativeConfigError } from "../api/errors";
import { EXAMPLE_JOB_ID, jobIdProblem, type JsonValue } from "../api/types";
import { isUnknown, triggersEqual, triggersProblem } from "./triggers";

export type WaitFor = "none" | "running" | "terminal";

/** How long `pulumi up` waits for the job when `timeout` is not given, and the longest it may be given. */
export const DEFAULT_WAIT_TIMEOUT_MS = 30 * 60_000;
export const MAX_WAIT_TIMEOUT_MS = 24 * 3_600_000;

/** A JobRerun's inputs as a program gives them (optional ones may be absent). */
export interface JobRerunInputValues {
  /** The Narrative job to re-run, a UUID. Give this or `dataset`. Changing it replaces the resource. */
  jobId?: string;
  /**
   * Pick the job by the dataset it builds instead of by its id: the newest job whose input has this dataset
   * (and, with `jobType`, of that type, such as "materialize-view"), looked up when the resource is created and
   * again before every reschedule, since Narrative may create newer jobs. The job picked is the `jobId` output.
   * Give this or `jobId`. Changing it replaces the resource.
   */
  dataset?: DatasetSelector;
  /**
   * Any JSON value (a git SHA, a schema version, a map of file hashes). When it changes, `pulumi up`
   * reschedules the job. Object key order does not matter; array order does. At most 64 levels deep and
   * 64 KiB as JSON: pass a hash of anything larger.
   */
  triggers: JsonValue;
  /** Reschedule even a job that already finished (completed, failed, cancelled). Default true. */
  force?: boolean;
  /** Also reschedule when the resource is first created. Default false: creating only reads the job. */
  runOnCreate?: boolean;
  /**
   * The API base URL for this resource, for a second environment. Default: the stack's `narrative:apiUrl`,
   * then `NARRATIVE_API_URL`, then https://api.narrative.io. The token is never an input.
   */
  apiUrl?: string;
  /**
   * Whether `pulumi up` waits after rescheduling: `"none"` (default) returns once the API accepted the
   * reschedule, `"running"` waits until an executor picked the job up, `"terminal"` until it finished.
   */
  waitFor?: WaitFor;
  /** How long to wait: seconds, or a duration such as `"30m"` or `"2h"`. Default 30 minutes, at most 24 hours. */
  timeout?: number | string;
  /**
   * Fail the deployment when the job ends failed or cancelled, so that the next `pulumi up` reruns it. Default
   * true when `waitFor` is `"terminal"`.
   */
  failOnJobFailure?: boolean;
  /**
   * What `pulumi up` does when, about to reschedule, it finds the job pending, running or finished in a run that
   * started after this stack's last deployment and that this stack did not record: most often the run of a
   * deployment killed after its reschedule reached the API. `"follow"` (default) takes that run as this change's
   * run and sends nothing, so a job is never rescheduled twice or restarted; `"reschedule"` reschedules anyway,
   * for jobs that other systems also rerun and whose every trigger change must get a run of its own.
   */
  onUnrecordedRun?: OnUnrecordedRun;
  /**
   * When a refresh (`pulumi refresh`, or `pulumi up --refresh`) sees that the run this resource started ended
   * failed or cancelled, the next `pulumi up` reschedules the job once more, with no trigger change. Default
   * false. A failed run that this resource did not start never triggers it. Needs `force` (the default).
   */
  rerunFailed?: boolean;
}

/** A dataset whose newest job a JobRerun re-runs, as `GET /jobs?dataset_id=…&type=…` finds it. */
export interface DatasetSelector {
  /** The dataset's id, as in the job's `input.dataset_id`. */
  id: number;
  /** The job type, such as "materialize-view"; any type when absent. */
  jobType?: string;
}

export type OnUnrecordedRun = "follow" | "reschedule";

export type InputName = keyof JobRerunInputValues;

/**
 * What a changed input does to the job: "replace" is a different resource, "rerun" reschedules the job,
 * "record" only rewrites the state.
 */
export type OnChange = "replace" | "rerun" | "record";

interface InputDefinition<T> {
  onChange: OnChange;
  /** Filled in by `withDefaults` and stored; an input without one is stored only when given. */
  default?: T;
  /** Why a given value (not undefined, not unknown) is refused, or undefined. A required input sees undefined. */
  problem(value: unknown): string | undefined;
  /** Equality for `diff`; default `===`. */
  same?(before: unknown, after: unknown): boolean;
  required?: true;
}

const WAIT_FOR_VALUES: readonly WaitFor[] = ["none", "running", "terminal"];
const ON_UNRECORDED_RUN_VALUES: readonly OnUnrecordedRun[] = ["follow", "reschedule"];

export const JOB_RERUN_INPUTS = {
  jobId: {
    onChange: "replace",
    problem: (value) => jobIdProblem(value),
  },
  triggers: {
    onChange: "rerun",
    required: true,
    problem: (value) =>
      value === undefined
        ? "triggers is required: give any JSON value (a git SHA, a schema version, a map of file hashes)"
        : triggersProblem(value),
    same: triggersEqual,
  },
  force: { onChange: "record", default: true, problem: booleanProblem("force") },
  runOnCreate: { onChange: "record", default: false, problem: booleanProblem("runOnCreate") },
  apiUrl: {
    onChange: "record",
    problem: (value) => {
      const problem = apiUrlProblem(value);
      return problem === undefined ? undefined : `apiUrl ${problem}`;
    },
  },
  waitFor: { onChange: "record", default: "none", problem: oneOfProblem("waitFor", WAIT_FOR_VALUES) },
  timeout: { onChange: "record", problem: timeoutProblem },
  failOnJobFailure: { onChange: "record", problem: booleanProblem("failOnJobFailure") },
  onUnrecordedRun: {
    onChange: "record",
    default: "follow",
    problem: oneOfProblem("onUnrecordedRun", ON_UNRECORDED_RUN_VALUES),
  },
  rerunFailed: { onChange: "record", problem: booleanProblem("rerunFailed") },
  dataset: { onChange: "replace", problem: datasetProblem, same: triggersEqual },
} as const satisfies { [K in InputName]-?: InputDefinition<NonNullable<JobRerunInputValues[K]>> };

const INPUT_NAMES = Object.keys(JOB_RERUN_INPUTS) as InputName[];

type Table = typeof JOB_RERUN_INPUTS;
/** The inputs that have a default. */
export type DefaultedInput = {
  [K in InputName]: Table[K] extends { default: unknown } ? K : never;
}[InputName];

/** The inputs with their defaults filled in (`withDefaults`), as create and update use them. */
export type JobRerunInputs = Omit<JobRerunInputValues, DefaultedInput> &
  Required<Pick<JobRerunInputValues, DefaultedInput>>;

/** The defaults of the table, by input name. */
export const INPUT_DEFAULTS = Object.fromEntries(
  Object.entries(JOB_RERUN_INPUTS).flatMap(([name, input]) =>
    "default" in input ? [[name, input.default]] : [],
  ),
) as { readonly [K in DefaultedInput]: Table[K] extends { default: infer D } ? D : never };

function definition(name: InputName): InputDefinition<unknown> {
  return JOB_RERUN_INPUTS[name] as InputDefinition<unknown>;
}

/** Output names the program registers (as undefined) so it can read them back; harmless among the inputs. */
const OUTPUT_NAMES = ["status"];

export interface CheckFailure {
  property: string;
  reason: string;
}

/** Rules over several inputs, each naming the input to change. A value not known yet passes. */
const COMBINATION_RULES: readonly ((news: Record<string, unknown>) => CheckFailure | undefined)[] = [
  ({ jobId, dataset }) => {
    if (jobId !== undefined && dataset !== undefined) {
      return {
        property: "dataset",
        reason:
          "give jobId or dataset, not both: jobId names the job, dataset picks the newest job of a dataset",
      };
    }
    if (jobId === undefined && dataset === undefined) {
      return {
        property: "jobId",
        reason:
          `jobId must be a Narrative job UUID such as ${EXAMPLE_JOB_ID}, or give dataset: { id, jobType } to ` +
          "re-run the newest job of a dataset; got nothing",
      };
    }
    return undefined;
  },
  ({ rerunFailed, force }) =>
    rerunFailed === true && force === false
      ? {
          property: "rerunFailed",
          reason:
            "rerunFailed reschedules a job that ended failed or cancelled, which force: false leaves untouched: " +
            "set force: true (the default) or leave rerunFailed out",
        }
      : undefined,
];

/**
 * Why each input is refused, naming the property and the rule it broke. Values the engine does not know yet
 * pass; they are checked again once known.
 */
export function inputFailures(news: Record<string, unknown>): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const name of INPUT_NAMES) {
    const { required, problem } = definition(name);
    const value = news[name];
    if ((value === undefined && required !== true) || isUnknown(value)) {
      continue;
    }
    const reason = problem(value);
    if (reason !== undefined) {
      failures.push({ property: name, reason });
    }
  }
  for (const rule of COMBINATION_RULES) {
    const failure = rule(news);
    if (failure !== undefined) {
      failures.push(failure);
    }
  }
  for (const name of Object.keys(news)) {
    if (name.startsWith("__") || (INPUT_NAMES as string[]).includes(name) || OUTPUT_NAMES.includes(name)) {
      continue;
    }
    const reason = /token|secret|key|password|authorization|credential/i.test(name)
      ? `${name} is not an input: the API token is read from the stack configuration; set it with \`pulumi config set --secret narrative:token <key>\``
      : `${name} is not an input of JobRerun (inputs: ${INPUT_NAMES.join(", ")})`;
    failures.push({ property: name, reason });
  }
  return failures;
}

/** Only the inputs of `values` (not `__provider` or registered outputs), in the table's order. */
export function givenInputs<T extends Partial<JobRerunInputValues>>(values: T): T {
  const given: Record<string, unknown> = {};
  for (const name of INPUT_NAMES) {
    if (values[name] !== undefined) {
      given[name] = values[name];
    }
  }
  return given as T;
}

/** The inputs as checked and stored: those with a default may be absent. */
export type GivenInputs = JobRerunInputValues;

/**
 * Inputs that passed check, typed. The engine creates and updates only with inputs its check accepted; a host
 * that receives them untyped (the plugin, from a protocol Struct) reads them here, and anything check would
 * refuse is refused again, naming the input, before anything is sent.
 */
export function checkedInputs(news: Record<string, unknown>): GivenInputs {
  const [failure] = inputFailures(news);
  if (failure !== undefined) {
    throw new NarrativeConfigError(`${failure.reason}. Nothing was sent.`, { property: failure.property });
  }
  const given: Partial<JobRerunInputValues> = givenInputs(news);
  return given as GivenInputs;
}

/** Checked inputs with the defaults of what was not given. */
export function withDefaults(inputs: GivenInputs): JobRerunInputs {
  const filled: Record<string, unknown> = { ...inputs };
  for (const [name, value] of Object.entries(INPUT_DEFAULTS)) {
    filled[name] ??= value;
  }
  return filled as JobRerunInputs;
}

/**
 * The inputs whose change needs more than rewriting the state: "replace" and "rerun" ones, and any other
 * input whose value differs. `effective` gives the value that applies when an input is absent (its default,
 * or for apiUrl the configuration's URL), so that leaving out a default is no change.
 */
export function changedInputs(
  olds: Partial<Record<InputName, unknown>>,
  news: Record<string, unknown>,
  effective: (name: InputName, value: unknown) => unknown,
): InputName[] {
  return INPUT_NAMES.filter((name) => {
    const { same } = definition(name);
    const before = effective(name, olds[name]);
    const after = effective(name, news[name]);
    if (isUnknown(after)) {
      return true;
    }
    return same === undefined ? before !== after : !same(before, after);
  });
}

function booleanProblem(name: InputName): (value: unknown) => string | undefined {
  return (value) =>
    typeof value === "boolean" ? undefined : `${name} must be true or false; got ${describe(value)}`;
}

function datasetProblem(value: unknown): string | undefined {
  const shape = 'dataset must be { id: <dataset id>, jobType?: "materialize-view" }';
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return `${shape}; got ${describe(value)}`;
  }
  const { id, jobType, ...others } = value as Record<string, unknown>;
  const unknownKeys = Object.keys(others);
  if (unknownKeys.length > 0) {
    return `${shape}; ${unknownKeys.map((key) => JSON.stringify(key)).join(", ")} is not one of its fields`;
  }
  if (!isUnknown(id) && !(typeof id === "number" && Number.isSafeInteger(id) && id >= 0)) {
    return `dataset.id must be a dataset's id, a whole number such as 10736; got ${describe(id)}`;
  }
  if (
    jobType !== undefined &&
    !isUnknown(jobType) &&
    (typeof jobType !== "string" || jobType.trim() === "")
  ) {
    return `dataset.jobType must be a job type such as "materialize-view"; got ${describe(jobType)}`;
  }
  return undefined;
}

function oneOfProblem(name: InputName, values: readonly string[]): (value: unknown) => string | undefined {
  return (value) =>
    values.includes(value as string)
      ? undefined
      : `${name} must be one of ${values.map((v) => `"${v}"`).join(", ")}; got ${describe(value)}`;
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

/** A value as a check failure quotes it: short, so that a pasted secret or a huge value stays out of logs. */
function describe(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  }
  if (value === undefined) {
    return "nothing";
  }
  if (typeof value === "object") {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 80)}…` : text;
  }
  return String(value);
}
