/**
 * Re-run a Narrative I/O job whenever a stack configuration value changes.
 *
 *   npm install pulumi-narrative-jobs @pulumi/pulumi
 *   npm install --save-dev typescript@5 ts-node@10 @types/node@20   # Pulumi runs index.ts through ts-node
 *   pulumi config set --secret narrative:token <your Narrative API key>
 *   pulumi config set jobId 2a5b9ad7-dc8f-47bb-8e62-843a38f8054c
 *   pulumi config set dataVersion 2024-06-01
 *   pulumi up                                  # reads the job; reruns nothing yet
 *
 *   pulumi config set dataVersion 2024-06-02   # new data landed
 *   pulumi preview --diff                      # shows the pending rerun, sends nothing
 *   pulumi up                                  # reschedules the job, once
 *
 * The repository's root Pulumi.yaml runs this program, and `npm run demo` walks through it against a local
 * simulator of the Narrative API.
 */
import * as pulumi from "@pulumi/pulumi";
import * as narrative from "pulumi-narrative-jobs";

const config = new pulumi.Config();

const rerun = new narrative.JobRerun("audience-view", {
  jobId: config.require("jobId"),
  // Any JSON value works as a trigger; when it differs from the one stored in the stack, `pulumi up` reruns
  // the job. Nothing else (a new version of this package, say) does.
  triggers: { dataVersion: config.require("dataVersion") },
});

export const jobId = rerun.jobId;
export const jobState = rerun.state;
// Stack outputs cannot be undefined: say so instead of leaving the output out.
export const outcome = rerun.outcome.apply((value) => value ?? "not rescheduled yet");
export const rescheduleCount = rerun.rescheduleCount;
export const lastRescheduledAt = rerun.lastRescheduledAt.apply((at) => at ?? "never");
