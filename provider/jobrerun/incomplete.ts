/**
 * The error a create or update throws when it did part of its work, so that the engine records what was done.
 */
import { storedOutputs, type JobRerunOutputs, type StoredOutputs } from "./decisions";
import { PROVIDER_TEXT } from "../hosts/dynamic/provider-text";

/**
 * A create or update that did part of its work: the engine records `properties` as the resource's state (marked
 * as not fully initialised) instead of keeping the old state, so a reschedule that was applied is never lost.
 * The dynamic provider host turns an error carrying `id` and `properties` into that partial result.
 */
export class JobRerunIncompleteError extends Error {
  readonly reasons: string[];
  /** What the engine stores, in the state's shape. */
  readonly properties: StoredOutputs & { __provider: string };

  constructor(
    message: string,
    readonly id: string,
    outputs: JobRerunOutputs,
  ) {
    super(message);
    this.name = "JobRerunIncompleteError";
    this.reasons = [message];
    // The host adds the provider text to a step's outputs itself, but stores these as they are: without it, a
    // later refresh of the resource could not load its provider.
    this.properties = { ...storedOutputs(outputs), __provider: PROVIDER_TEXT };
  }
}
