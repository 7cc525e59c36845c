"""Re-runs a Narrative job whenever the `sqlHash` configuration value changes, and reads the job as it was
before this deployment with get_job_output (in `pulumi preview` too)."""

import pulumi
import pulumi_narrative as narrative

config = pulumi.Config()
job_id = config.require("jobId")

rerun = narrative.JobRerun(
    "rerun",
    job_id=job_id,
    # Any JSON value: a change reschedules the job on the next `pulumi up`.
    triggers={"sql": config.require("sqlHash")},
    # "none" (the default) returns once the API accepted the reschedule; "running" or "terminal" wait.
    wait_for=config.get("waitFor") or "none",
)

# Reads the job and reschedules nothing.
current = narrative.get_job_output(job_id=job_id)

pulumi.export("outcome", rerun.outcome)
pulumi.export("state", rerun.state)
pulumi.export("rescheduleCount", rerun.reschedule_count)
pulumi.export("unfinishedRun", rerun.unfinished_run)
# `job` is the job exactly as the API returned it; an integer beyond 2**53 is its exact decimal string.
pulumi.export("snapshotId", rerun.job.apply(lambda job: job["result"]["snapshot_id"]))
pulumi.export("stateWhenRead", current.state)

# A second Narrative environment through an explicit provider, when the stack names one: its token is a
# secret (`pulumi config set --secret stagingToken ...`), kept encrypted in the state.
staging_token = config.get_secret("stagingToken")
if staging_token is not None:
    staging = narrative.Provider(
        "staging",
        api_url=config.require("stagingApiUrl"),
        token=staging_token,
    )
    staging_rerun = narrative.JobRerun(
        "staging-rerun",
        job_id=config.require("stagingJobId"),
        triggers={"sql": config.require("sqlHash")},
        opts=pulumi.ResourceOptions(provider=staging),
    )
    pulumi.export("stagingState", staging_rerun.state)
