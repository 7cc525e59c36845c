import * as pulumi from "@pulumi/pulumi";
import type { JobRerunStatus, RerunOutcome, UnfinishedRun } from "../../jobrerun/decisions";
import type { JobRerunInputValues } from "../../jobrerun/inputs";
import { parseExact } from "../../common/json";
import { checkProviderResolvable } from "./resolvable";
import { JOB_RERUN_TYPE, PROVIDER_TEXT } from "./provider-text";
import { triggersProblem } from "../../jobrerun/triggers";
import type { Job, JsonValue } from "../../api/types";

/**
 * A JobRerun's arguments: each input of inputs.ts as a Pulumi input. `triggers` takes any value at compile time
 * (a typed object need not declare an index signature) and is checked as JSON data when known.
 */
export type JobRerunArgs = {
  [K in keyof JobRerunInputValues]: K extends "triggers"
    ? pulumi.Input<unknown>
    : pulumi.Input<JobRerunInputValues[K]>;
};

/**
 * Each input as an output of the resource: the optional ones are present when the program gives them (the stored
 * value, with its default, is in the state).
 */
export type JobRerunInputOutputs = {
  readonly [K in keyof JobRerunInputValues]: pulumi.Output<NonNullable<JobRerunInputValues[K]>>;
} & {
  /** The job re-run: the `jobId` given, or the newest job of `dataset` as last picked. */
  readonly jobId: pulumi.Output<string>;
};

// The class's input outputs come from the input table's types, so that a new input needs no line here.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface JobRerun extends JobRerunInputOutputs {}

/**
 * Re-runs a Narrative job when its triggers change. `pulumi preview` shows the pending rerun and sends
 * nothing; `pulumi up` calls `POST /jobs/{job_id}/reschedule` and stores what the API returned.
 *
 * The engine resolves one output, `status`, for everything the resource saw and did; `outcome`, `job`,
 * `state` and the others are read from it. Each property a program registers costs @pulumi/pulumi four
 * promises with a stack trace apiece, so registering them one by one made large previews markedly slower.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class JobRerun extends pulumi.CustomResource {
  /** Everything the resource saw and did, as stored; the getters below read single figures from it. */
  declare readonly status: pulumi.Output<JobRerunStatus>;

  readonly #figures = new Map<string, pulumi.Output<unknown>>();

  constructor(name: string, args: JobRerunArgs, opts?: pulumi.CustomResourceOptions) {
    // The dynamic provider host must be able to load the provider the stored text names (see resolvable.ts).
    checkProviderResolvable(name);
    // Triggers given as plain data are checked at once; parts still to come are checked once known, below.
    const problem = triggersProblem(args.triggers, "triggers", isEventual);
    if (problem !== undefined) {
      throw triggersError(name, problem);
    }
    super(
      JOB_RERUN_TYPE,
      name,
      {
        // Only the inputs given: the provider fills in the defaults, so the program and the state agree.
        ...args,
        // Registered even when a dataset picks the job, so that the program can read the job picked.
        jobId: args.jobId,
        // A function or a cycle cannot cross to the engine intact, so the program checks triggers itself,
        // once they are known, with the same rule the provider applies.
        triggers: pulumi.output(args.triggers as pulumi.Input<JsonValue>).apply((triggers: unknown) => {
          const known = triggersProblem(triggers);
          if (known !== undefined) {
            throw triggersError(name, known);
          }
          return triggers;
        }),
        status: undefined,
        // What pulumi.dynamic.Resource would store here, without its closure serializer (see shim.ts).
        __provider: PROVIDER_TEXT,
      },
      opts,
    );
  }

  /**
   * What the last reschedule came to: `rescheduled` or `skipped_terminal` (the API's answer to this stack's
   * reschedule), `run_observed` (a run the job showed that this stack cannot confirm as its own, followed instead
   * of rescheduling again), or undefined before the first one.
   */
  get outcome(): pulumi.Output<RerunOutcome | undefined> {
    return this.figure("outcome", (status) => status.outcome);
  }

  /**
   * The job exactly as the API last returned it, unknown fields included (parsed from `jobJson`). An integer
   * beyond ±(2^53−1), which a JavaScript number cannot hold, is its exact decimal string.
   */
  get job(): pulumi.Output<Job> {
    return this.figure("job", (status) => parseExact(status.jobJson) as Job);
  }

  /** The same job as the exact JSON text the API sent (integers beyond 2^53 are only exact here). */
  get jobJson(): pulumi.Output<string> {
    return this.figure("jobJson", (status) => status.jobJson);
  }

  /** The job's state when the API was last asked: pending, running, completed, failed... */
  get state(): pulumi.Output<string> {
    return this.figure("state", (status) => status.state);
  }

  /** How many reschedules this resource has applied. */
  get rescheduleCount(): pulumi.Output<number> {
    return this.figure("rescheduleCount", (status) => status.rescheduleCount);
  }

  /** When this resource last rescheduled the job (ISO 8601, UTC). */
  get lastRescheduledAt(): pulumi.Output<string | undefined> {
    return this.figure("lastRescheduledAt", (status) => status.lastRescheduledAt);
  }

  /**
   * What the next `pulumi up` owes a run this resource started: `"follow"` (the wait ended while the job was
   * still going: follow it, do not reschedule it again), `"rerun"` (it failed: reschedule it again) or
   * `"verify"` (the reschedule's answer was lost: read the job, reschedule only if it did not take effect).
   */
  get unfinishedRun(): pulumi.Output<UnfinishedRun | undefined> {
    return this.figure("unfinishedRun", (status) => status.unfinishedRun);
  }

  /** One figure of `status`, made once per resource and only when a program asks for it. */
  private figure<T>(name: string, read: (status: JobRerunStatus) => T): pulumi.Output<T> {
    let figure = this.#figures.get(name);
    if (figure === undefined) {
      // `status` is unset only in a state from a development build that stored every figure at the top level.
      figure = this.status.apply((status) => (status === undefined ? undefined : read(status)));
      this.#figures.set(name, figure);
    }
    return figure as pulumi.Output<T>;
  }
}

/** A Pulumi Output or a promise: a part of the triggers still to come. */
function isEventual(value: object): boolean {
  return pulumi.Output.isInstance(value) || value instanceof Promise;
}

/**
 * The error for refused triggers, without its stack: @pulumi/pulumi formats an error thrown in an `apply` with
 * util.inspect, which is slow on a stack through its own sources (docs/performance.md, Failures print at
 * once).
 */
function triggersError(name: string, problem: string): pulumi.InputPropertyError {
  const error = new pulumi.InputPropertyError({
    propertyPath: "triggers",
    reason: `JobRerun ${name}: ${problem}`,
  });
  error.stack = `${error.name}: ${error.message}`;
  return error;
}
