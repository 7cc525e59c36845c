/**
 * The dynamic provider host's door into the JobRerun lifecycle. This module is what the stored provider text
 * (provider-text.ts) requires by package name inside the provider process, so it is always the installed version
 * of the package that runs, and none of it is ever written into the state.
 *
 * It only translates: the host hands over outputs in the state's shape (`StoredOutputs`: the figures nested
 * under `status`, which a Node.js program reads as one output) and expects the same back, with the provider text
 * on a partial failure's properties so that a later refresh can load its provider.
 */
import type * as pulumi from "@pulumi/pulumi";
import {
  outputsFromState,
  storedOutputs,
  type JobRerunOutputs,
  type RerunDiff,
  type StoredOutputs,
} from "../../jobrerun/decisions";
import { JobRerunIncompleteError } from "../../jobrerun/incomplete";
import type { GivenInputs } from "../../jobrerun/inputs";
import {
  createJobRerunLifecycle,
  type JobRerunLifecycle,
  type LifecycleOptions,
} from "../../jobrerun/lifecycle";
import type { ConfigSource } from "../../jobrerun/settings";
import { deploymentCancellation } from "./cancellation";
import { PROVIDER_TEXT } from "./provider-text";

export type { LifecycleOptions as ProviderOptions, Reporter } from "../../jobrerun/lifecycle";

/** A step's partial failure as the dynamic host records it: `id` and `properties`, in the state's shape. */
export class IncompleteDynamicStep extends JobRerunIncompleteError {
  /** What the engine stores, in the state's shape, with the provider text the host would otherwise add. */
  readonly properties: StoredOutputs & { __provider: string };

  constructor(cause: JobRerunIncompleteError) {
    super(cause.message, cause.id, cause.outputs);
    this.properties = { ...storedOutputs(cause.outputs), __provider: PROVIDER_TEXT };
  }
}

export class JobRerunProvider implements pulumi.dynamic.ResourceProvider {
  private readonly lifecycle: JobRerunLifecycle;

  constructor(options: LifecycleOptions = {}) {
    // Inside the host, the engine's Cancel call is learnt by watching its gRPC server (cancellation.ts).
    this.lifecycle = createJobRerunLifecycle({
      ...options,
      cancellation: options.cancellation ?? deploymentCancellation(),
    });
  }

  async configure(req: { config: ConfigSource }): Promise<void> {
    this.lifecycle.configure(req.config);
  }

  async check(
    _olds: Record<string, unknown>,
    news: Record<string, unknown>,
  ): Promise<pulumi.dynamic.CheckResult> {
    const { inputs, failures } = this.lifecycle.check(news);
    return failures.length === 0 ? { inputs } : { inputs, failures };
  }

  async diff(_id: string, olds: Partial<StoredOutputs>, news: Record<string, unknown>): Promise<RerunDiff> {
    return this.lifecycle.diff(outputsFromState(olds), news);
  }

  async create(checked: GivenInputs): Promise<pulumi.dynamic.CreateResult<StoredOutputs>> {
    const { id, outputs } = await recorded(() => this.lifecycle.create(checked));
    return { id, outs: storedOutputs(outputs) };
  }

  async update(
    _id: string,
    olds: StoredOutputs,
    checked: GivenInputs,
  ): Promise<pulumi.dynamic.UpdateResult<StoredOutputs>> {
    const outputs = await recorded(() => this.lifecycle.update(fromState(olds), checked));
    return { outs: storedOutputs(outputs) };
  }

  async read(id: string, olds?: StoredOutputs): Promise<pulumi.dynamic.ReadResult<StoredOutputs>> {
    if (olds === undefined) {
      return { id };
    }
    const refreshed = await this.lifecycle.read(fromState(olds));
    // No id tells the engine the resource no longer exists.
    return refreshed === undefined ? {} : { id, props: storedOutputs(refreshed) };
  }

  /** Not exported to the host (see below); kept so that the class answers every step the lifecycle has. */
  async delete(id = ""): Promise<void> {
    await this.lifecycle.delete(id);
  }

  dispose(): void {
    this.lifecycle.dispose();
  }
}

function fromState(stored: Partial<StoredOutputs>): JobRerunOutputs {
  return outputsFromState(stored) as JobRerunOutputs;
}

/** A step whose partial failure the host must record, in its shape (see IncompleteDynamicStep). */
async function recorded<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw error instanceof JobRerunIncompleteError ? new IncompleteDynamicStep(error) : error;
  }
}

/**
 * The provider the dynamic provider host gets from the stored text: this module's exports, one lifecycle per
 * provider process, made at the engine's first call. Only the methods the host calls are exported under their
 * method names; no `delete`, so that the host's default, dropping the resource from the state, is what destroy
 * does (and `pulumi state delete` loses nothing).
 */
let instance: JobRerunProvider | undefined;
const provider = (): JobRerunProvider => (instance ??= new JobRerunProvider());

export const configure: JobRerunProvider["configure"] = (req) => provider().configure(req);
export const check: JobRerunProvider["check"] = (olds, news) => provider().check(olds, news);
export const diff: JobRerunProvider["diff"] = (id, olds, news) => provider().diff(id, olds, news);
export const create: JobRerunProvider["create"] = (inputs) => provider().create(inputs);
export const read: JobRerunProvider["read"] = (id, olds) => provider().read(id, olds);
export const update: JobRerunProvider["update"] = (id, olds, news) => provider().update(id, olds, news);
