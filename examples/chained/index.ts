/**
 * Three Narrative I/O jobs that feed each other: a materialized view, the column statistics computed from it,
 * and a delivery of the result. When the source data changes, `pulumi up` reruns all three, in that order.
 *
 *   npm install pulumi-narrative-jobs @pulumi/pulumi
 *   npm install --save-dev typescript@5 ts-node@10 @types/node@20   # Pulumi runs index.ts through ts-node
 *   pulumi config set --secret narrative:token <your Narrative API key>
 *   pulumi config set viewJobId <materialize-view job>
 *   pulumi config set statsJobId <column statistics job>
 *   pulumi config set deliveryJobId <delivery job>
 *   pulumi config set sourceVersion 2024-06-01     # change it to rerun the chain
 *
 * How the chain works: each downstream job's triggers hold its upstream's `rescheduleCount`, so a rerun of the
 * view changes the statistics' triggers, which reruns them, which changes the delivery's triggers. An upstream
 * that was not rescheduled (unchanged triggers, or a finished job left alone because force is false) leaves
 * its downstream alone too.
 *
 * The order: `dependsOn` makes each JobRerun wait for the one before it, and `waitFor: "terminal"` makes that
 * one finish only when its job has finished on Narrative. So the statistics are rescheduled after the new view
 * is built, and the delivery after the new statistics. A job that ends failed fails the `pulumi up` there
 * (failOnJobFailure defaults to true with waitFor "terminal"): nothing downstream reruns on bad data, and the
 * next `pulumi up` reschedules the failed job again, then carries on down the chain. `timeout` bounds each
 * wait (default 30 minutes).
 */
import * as pulumi from "@pulumi/pulumi";
import * as narrative from "pulumi-narrative-jobs";

const config = new pulumi.Config();

const view = new narrative.JobRerun("audience-view", {
  jobId: config.require("viewJobId"),
  triggers: { sourceVersion: config.require("sourceVersion") },
  waitFor: "terminal",
  timeout: "2h",
});

const stats = new narrative.JobRerun(
  "audience-view-stats",
  {
    jobId: config.require("statsJobId"),
    triggers: { viewReruns: view.rescheduleCount },
    waitFor: "terminal",
  },
  { dependsOn: [view] },
);

const delivery = new narrative.JobRerun(
  "audience-delivery",
  {
    jobId: config.require("deliveryJobId"),
    triggers: { statsReruns: stats.rescheduleCount },
    // The last job: nothing waits for it, so the deployment ends once Narrative accepted the reschedule.
  },
  { dependsOn: [stats] },
);

export const states = {
  view: view.state,
  stats: stats.state,
  delivery: delivery.state,
};
export const reruns = {
  view: view.rescheduleCount,
  stats: stats.rescheduleCount,
  delivery: delivery.rescheduleCount,
};
