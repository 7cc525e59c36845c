/**
 * The error a create or update throws when it applied its reschedule but failed after, so that the engine records
 * what was done. Each host turns it into its own partial failure: the dynamic host stores the outputs in its
 * nested shape with the provider text, the plugin sends them flat in the engine's ErrorResourceInitFailed.
 */
import type { JobRerunOutputs } from "./decisions";

/**
 * A create or update that did part of its work: the engine records `outputs` as the resource's state (marked as
 * not fully initialised) instead of keeping the old state, so a reschedule that was applied is never lost.
 */
export class JobRerunIncompleteError extends Error {
  readonly reasons: string[];

  constructor(
    message: string,
    /** The resource's id: the job's. */
    readonly id: string,
    /** What the state must record. */
    readonly outputs: JobRerunOutputs,
  ) {
    super(message);
    this.name = "JobRerunIncompleteError";
    this.reasons = [message];
  }
}
