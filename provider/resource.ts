import * as pulumi from "@pulumi/pulumi";
import { INPUT_DEFAULTS, triggersProblem, type JobRerunOutputs, type UnfinishedRun } from "./decisions";
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
 */
export class JobRerun extends pulumi.CustomResource {
  declare readonly jobId: pulumi.Output<string>;
  declare readonly triggers: pulumi.Output<JsonValue>;
  declare readonly force: pulumi.Output<boolean>;
  declare readonly runOnCreate: pulumi.Output<boolean>;
  /** The API base URL the resource talks to. */
  declare readonly apiUrl: pulumi.Output<string>;
  /** What the last reschedule did: `rescheduled`, `skipped_terminal`, or undefined before the first one. */
  declare readonly outcome: pulumi.Output<RescheduleOutcome | undefined>;
  /** The job exactly as the API last returned it, unknown fields included. */
  declare readonly job: pulumi.Output<Job>;
  /** The same job as the exact JSON text the API sent (integers beyond 2^53 are only exact here). */
  declare readonly jobJson: pulumi.Output<string>;
  /** The job's state when the API was last asked: pending, running, completed, failed... */
  declare readonly state: pulumi.Output<string>;
  /** How many reschedules this resource has applied. */
  declare readonly rescheduleCount: pulumi.Output<number>;
  /** When this resource last rescheduled the job (ISO 8601, UTC). */
  declare readonly lastRescheduledAt: pulumi.Output<string | undefined>;
  declare readonly waitFor: pulumi.Output<WaitFor>;
  declare readonly timeout: pulumi.Output<number | string | undefined>;
  declare readonly failOnJobFailure: pulumi.Output<boolean | undefined>;
  /**
   * What the next `pulumi up` owes a run this resource started: `"follow"` (the wait ended while the job was
   * still going: follow it, do not reschedule it again), `"rerun"` (it failed: reschedule it again) or
   * `"verify"` (the reschedule's answer was lost: read the job, reschedule only if it did not take effect).
   */
  declare readonly unfinishedRun: pulumi.Output<UnfinishedRun | undefined>;

  constructor(name: string, args: JobRerunArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs: Record<keyof Omit<JobRerunOutputs, keyof JobRerunArgs>, undefined> = {
      outcome: undefined,
      job: undefined,
      jobJson: undefined,
      state: undefined,
      rescheduleCount: undefined,
      lastRescheduledAt: undefined,
      unfinishedRun: undefined,
    };
    super(
      JOB_RERUN_TYPE,
      name,
      {
        ...args,
        // The defaults check() fills in, given here too so that the inputs the engine compares on refresh match.
        force: args.force ?? INPUT_DEFAULTS.force,
        runOnCreate: args.runOnCreate ?? INPUT_DEFAULTS.runOnCreate,
        waitFor: args.waitFor ?? INPUT_DEFAULTS.waitFor,
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
        ...outputs,
        // What pulumi.dynamic.Resource would store here, without its closure serializer (see shim.ts).
        __provider: PROVIDER_TEXT,
      },
      opts,
    );
  }
}
