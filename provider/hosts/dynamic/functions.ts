/**
 * `getJob` and `getJobOutput`: a job read in the program, for a stack that exports a job's result or feeds its
 * state to another resource without rerunning it. The read is get-job.ts's, the one the provider plugin's
 * `narrative:index:getJob` makes; here the program makes it itself, with the stack's `narrative:*`
 * configuration and the NARRATIVE_* fallbacks, in `pulumi preview` as in `pulumi up`.
 */
import * as pulumi from "@pulumi/pulumi";
import { NarrativeError } from "../../api/errors";
import { getJobResult, type GetJobArgs, type GetJobResult } from "../../jobrerun/get-job";
import { resolveSettings, type ConfigSource, type ProviderSettings } from "../../jobrerun/settings";

export type { GetJobArgs, GetJobResult } from "../../jobrerun/get-job";

/** `getJobOutput`'s arguments: those of `getJob`, each may be an Output. */
export interface GetJobOutputArgs {
  jobId: pulumi.Input<string>;
  apiUrl?: pulumi.Input<string>;
}

/**
 * Pulumi's options of a function. The read is made by the program, not by a provider, so `parent`, `provider`
 * and `version` change nothing; `dependsOn` (getJobOutput) waits for those resources before reading.
 */
export type GetJobOptions = pulumi.InvokeOptions;
export interface GetJobOutputOptions extends pulumi.InvokeOptions {
  dependsOn?: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource>;
}

const NAMESPACE = "narrative";

/**
 * The settings JobRerun's provider would resolve: stack configuration first, then the environment, under the
 * same https rule. The token is read as a plain value and handed to the client alone: as `getSecret`'s Output
 * it would make every result of the read a secret, and it is never part of one. (`get` on a secret key prints
 * no warning: @pulumi/pulumi disabled it, pulumi/pulumi#7127.)
 */
function programSettings(): ProviderSettings {
  const config = new pulumi.Config(NAMESPACE);
  const source: ConfigSource = {
    get: (key) => (key.startsWith(`${NAMESPACE}:`) ? config.get(key.slice(NAMESPACE.length + 1)) : undefined),
  };
  return resolveSettings(source, process.env);
}

/**
 * Reads a Narrative job and changes nothing: one `GET /jobs/{job_id}`, in preview too. Resolves with the job as
 * the API returned it (`job`, with integers beyond 2^53 as exact decimal strings), its exact text (`jobJson`)
 * and its `state`. Rejects with the client's errors: a NarrativeConfigError naming `jobId`, `narrative:token`
 * or the API URL before any request, a NarrativeApiError (404: no such job) and the others after.
 */
export async function getJob(args: GetJobArgs, _opts?: GetJobOptions): Promise<GetJobResult> {
  try {
    return await getJobResult(programSettings(), args);
  } catch (error) {
    throw withShortStack(error);
  }
}

/**
 * A NarrativeError whose stack is its first line. @pulumi/pulumi prints a program's unhandled error with
 * util.inspect, which formats the stack through its own source-mapped frames, slowly enough to keep a failed
 * preview silent for minutes (docs/performance.md, Failures print at once). The message says all there is to
 * know; any other error, a bug, keeps its stack.
 */
function withShortStack(error: unknown): unknown {
  if (error instanceof NarrativeError) {
    error.stack = `${error.name}: ${error.message}`;
  }
  return error;
}

/**
 * `getJob` for arguments that may be Outputs: the read waits for them (and for `opts.dependsOn`) and is made
 * once they are known; while one is unknown in preview, so is the result. A secret argument makes the result
 * secret; the token never does.
 */
export function getJobOutput(
  args: GetJobOutputArgs,
  opts?: GetJobOutputOptions,
): pulumi.Output<GetJobResult> {
  return pulumi
    .all([pulumi.output(args), resourcesDone(opts?.dependsOn)])
    .apply(([given]) => getJob(given as GetJobArgs));
}

/**
 * Known once every resource is: a custom resource when it has its id (created or updated), a component when it
 * is registered. Its dependencies become the result's, as Pulumi's own `dependsOn` of a function does.
 */
function resourcesDone(dependsOn: GetJobOutputOptions["dependsOn"]): pulumi.Output<unknown> {
  if (dependsOn === undefined) {
    return pulumi.output(undefined);
  }
  // Resources stay themselves inside an Output (pulumi.output does not unwrap them); only Inputs are resolved.
  const resolved = pulumi.output(dependsOn) as unknown as pulumi.Output<unknown>;
  return resolved.apply((given) => {
    const resources = (Array.isArray(given) ? given : [given]).filter(pulumi.Resource.isInstance);
    return pulumi.all(
      resources.map((resource) => (pulumi.CustomResource.isInstance(resource) ? resource.id : resource.urn)),
    );
  });
}
