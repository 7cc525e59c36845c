/**
 * What only the plugin offers, on the shared lifecycle's client and decisions: the `getJob` function, and the
 * read behind `pulumi import`, which the dynamic host cannot serve (a dynamic resource cannot be imported).
 */
import { rerunOutputs, storedOutputs, type StoredOutputs } from "../../jobrerun/decisions";
import { getJobFailures, getJobSnapshot, type GetJobResult } from "../../jobrerun/get-job";
import { withDefaults } from "../../jobrerun/inputs";
import type { JobRerunProvider } from "../dynamic/provider";
import type { CheckFailure } from "../../jobrerun/inputs";

export async function invokeGetJob(
  lifecycle: JobRerunProvider,
  args: Record<string, unknown>,
): Promise<{ failures: CheckFailure[] } | { job: GetJobResult }> {
  const failures = getJobFailures(args);
  if (failures.length > 0) {
    return { failures };
  }
  const { client } = lifecycle.clientFor({ apiUrl: args["apiUrl"] as string | undefined });
  return { job: await getJobSnapshot(client, args["jobId"] as string) };
}

/**
 * A JobRerun adopted from an existing job (`pulumi import narrative:index:JobRerun <name> <jobId>`): the job read
 * now, nothing rescheduled. Its triggers are null until the program gives its own, so the first `pulumi up`
 * after the import reschedules the job once, as any trigger change does.
 */
export async function importJob(
  lifecycle: JobRerunProvider,
  jobId: string,
): Promise<{ id: string; outs: StoredOutputs; inputs: Record<string, unknown> }> {
  const { client, apiUrl } = lifecycle.clientFor({});
  const seen = await client.getJob(jobId);
  const inputs = { jobId: seen.job.job_id, triggers: null };
  const outs = storedOutputs(
    rerunOutputs({ ...withDefaults(inputs), jobId: inputs.jobId }, apiUrl, seen, undefined),
  );
  return { id: seen.job.job_id, outs, inputs };
}
