import * as pulumi from "@pulumi/pulumi";
import { triggersProblem, type JobRerunStatus, type UnfinishedRun } from "./decisions";
import { checkProviderResolvable } from "./resolvable";
import { JOB_RERUN_TYPE, PROVIDER_TEXT } from "./shim";
import type { Job, JsonValue, RescheduleOutcome } from "./types";
import type { WaitFor } from "./wait";

export interface JobRerunArgs {
  /** The Narrative job to re-run, a UUID. Changing it replaces the resource. */
  jobId: pulumi.Input<string>;
  /**
   * Any JSON value (a git SHA, a schema version, a map of file hashes). When it changes, `pulumi up`
   * reschedules the job. Object key order does not matter; array order does.
   */
  triggers: pulumi.Input<unknown>;
  /** Reschedule even a job that already finished (completed, failed, cancelled). Default true. */
  force?: pulumi.Input<boolean>;
  /** Also reschedule when the resource is first created. Default false: creating only reads the job. */
  runOnCreate?: pulumi.Input<boolean>;
  /**
   * The API base URL for this resource, for a second environment. Default: the stack's `narrative:apiUrl`,
   * then `NARRATIVE_API_URL`, then https://api.narrative.io. The token is never an input.
   */
  apiUrl?: pulumi.Input<string>;
  /**
   * Whether `pulumi up` waits after rescheduling: `"none"` (default) returns once the API accepted the
   * reschedule, `"running"` waits until an executor picked the job up, `"terminal"` until it finished.
   */
  waitFor?: pulumi.Input<WaitFor>;
  /** How long to wait: seconds, or a duration such as `"30m"` or `"2h"`. Default 30 minutes, at most 24 hours. */
  timeout?: pulumi.Input<number | string>;
  /**
   * Fail the deployment when the job ends failed or cancelled, so that the next `pulumi up` reruns it. Default
   * true when `waitFor` is `"terminal"`.
   */
  failOnJobFailure?: pulumi.Input<boolean>;
}

/**
 * Re-runs a Narrative job when its triggers change. `pulumi preview` shows the pending rerun and sends
 * nothing; `pulumi up` calls `POST /jobs/{job_id}/reschedule` and stores what the API returned.
 *
 * The engine resolves one output, `status`, for everything the resource saw and did; `outcome`, `job`,
 * `state` and the others are read from it. Each property a program registers costs @pulumi/pulumi four
 * promises with a stack trace apiece, so registering them one by one made large previews markedly slower.
 */
export class JobRerun extends pulumi.CustomResource {
  declare readonly jobId: pulumi.Output<string>;
  declare readonly triggers: pulumi.Output<JsonValue>;
  /** Present when given; the stored value (with its default) is in the state. */
  declare readonly force?: pulumi.Output<boolean>;
  declare readonly runOnCreate?: pulumi.Output<boolean>;
  /** Present when given: the API base URL the resource talks to. */
  declare readonly apiUrl?: pulumi.Output<string>;
  declare readonly waitFor?: pulumi.Output<WaitFor>;
  declare readonly timeout?: pulumi.Output<number | string>;
  declare readonly failOnJobFailure?: pulumi.Output<boolean>;
  /** Everything the resource saw and did, as stored; the getters below read single figures from it. */
  declare readonly status: pulumi.Output<JobRerunStatus>;

  readonly #figures = new Map<string, pulumi.Output<unknown>>();

  constructor(name: string, args: JobRerunArgs, opts?: pulumi.CustomResourceOptions) {
    // The dynamic provider host must be able to load the provider the stored text names (see resolvable.ts).
    checkProviderResolvable(name);
    super(
      JOB_RERUN_TYPE,
      name,
      {
        // Only the inputs given: the provider fills in the defaults, so the program and the state agree.
        ...args,
        // A function or a cycle cannot cross to the engine intact, so the program checks triggers itself,
        // once they are known, with the same rule the provider applies.
        triggers: pulumi.output(args.triggers as pulumi.Input<JsonValue>).apply((triggers: unknown) => {
          const problem = triggersProblem(triggers);
          if (problem !== undefined) {
            throw new pulumi.InputPropertyError({
              propertyPath: "triggers",
              reason: `JobRerun ${name}: ${problem}`,
            });
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

  /** What the last reschedule did: `rescheduled`, `skipped_terminal`, or undefined before the first one. */
  get outcome(): pulumi.Output<RescheduleOutcome | undefined> {
    return this.figure("outcome", (status) => status.outcome);
  }

  /** The job exactly as the API last returned it, unknown fields included (parsed from `jobJson`). */
  get job(): pulumi.Output<Job> {
    return this.figure("job", (status) => JSON.parse(status.jobJson) as Job);
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
