// Re-runs a Narrative job whenever the `sqlHash` configuration value changes, and reads the job as it was
// before this deployment with getJob.
package main

import (
	"github.com/narrative-io/pulumi-narrative-jobs/sdk/go/narrative"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		jobID := cfg.Require("jobId")
		waitFor := cfg.Get("waitFor")
		if waitFor == "" {
			waitFor = "none"
		}

		rerun, err := narrative.NewJobRerun(ctx, "rerun", &narrative.JobRerunArgs{
			JobId: pulumi.String(jobID),
			// Any value: a change reschedules the job on the next `pulumi up`.
			Triggers: pulumi.Map{"sql": pulumi.String(cfg.Require("sqlHash"))},
			WaitFor:  pulumi.String(waitFor),
		})
		if err != nil {
			return err
		}

		// Reads the job (in preview too) without rerunning it.
		current, err := narrative.GetJob(ctx, &narrative.GetJobArgs{JobId: jobID})
		if err != nil {
			return err
		}

		ctx.Export("outcome", rerun.Outcome)
		ctx.Export("state", rerun.State)
		ctx.Export("rescheduleCount", rerun.RescheduleCount)
		// `job` is the job exactly as the API returned it; an integer beyond 2^53 is its exact decimal string.
		ctx.Export("snapshotId", rerun.Job.ApplyT(func(job interface{}) interface{} {
			result, _ := job.(map[string]interface{})["result"].(map[string]interface{})
			return result["snapshot_id"]
		}))
		ctx.Export("stateWhenRead", pulumi.String(current.State))
		return nil
	})
}
