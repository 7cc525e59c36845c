/**
 * Waiting for the rerun, against the simulator's wall clock over loopback: a run that succeeds, fails, outlives
 * the wait or is cancelled, and what the next deployment does about each.
 */
import { expect } from "chai";
import type { StoredOutputs } from "../../provider/jobrerun/decisions";
import { JobRerunIncompleteError } from "../../provider/jobrerun/incomplete";
import type { IncompleteDynamicStep } from "../../provider/hosts/dynamic/provider";
import {
  COMPLETED_JOB,
  expectNoToken,
  providerHarness,
  rerunInputs,
  type Harness,
  type HarnessOptions,
  figures,
} from "../support/provider-harness";
import { rejection } from "../support/assertions";

const FAST_POLLS = { initialIntervalMs: 10, maxIntervalMs: 40, growth: 1.5, progressEveryMs: 100 };

describe("JobRerun waiting for the rerun", () => {
  let h: Harness;
  let created: StoredOutputs;

  async function start(options: HarnessOptions = {}): Promise<void> {
    h = await providerHarness({
      simulator: { frozen: false, durations: { pendingMs: 40, runningMs: 120 } },
      ...options,
      provider: { pollOptions: FAST_POLLS, ...options.provider },
    });
    created = (await h.provider.create(rerunInputs())).outs as StoredOutputs;
  }

  afterEach(async () => {
    await h?.close();
  });

  it("waits until the job finished, with progress lines, and stores the job as last seen", async () => {
    await start();
    const news = rerunInputs({ triggers: "v2", waitFor: "terminal" });
    const outs = (await h.provider.update(COMPLETED_JOB, created, news)).outs as StoredOutputs;
    expect(figures(outs).state).to.equal("completed");
    expect(figures(outs).outcome).to.equal("rescheduled");
    expect(figures(outs).unfinishedRun).to.equal(undefined);
    expect(figures(outs).job.executor).to.match(/^job-executor-/);
    expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(1);
    expect(h.lines.some((line) => /job 2a5b9ad7…: running for \S+ on job-executor-/.test(line))).to.equal(
      true,
    );
    expect(h.lines.at(-1)).to.match(/job 2a5b9ad7…: completed after/);
  });

  it("waits only until an executor picked the job up with waitFor running", async () => {
    await start();
    const news = rerunInputs({ triggers: "v2", waitFor: "running" });
    const outs = (await h.provider.update(COMPLETED_JOB, created, news)).outs as StoredOutputs;
    expect(figures(outs).state).to.equal("running");
  });

  it("fails the update on a failed run with the job, its state and its failure messages; the next up reruns it", async () => {
    await start();
    h.sim.setJobOutcome(COMPLETED_JOB, { state: "failed", message: "Snowflake warehouse suspended" });
    const news = rerunInputs({ triggers: "v2", waitFor: "terminal" });
    const error = await rejection(h.provider.update(COMPLETED_JOB, created, news));
    expect(error).to.be.instanceOf(JobRerunIncompleteError);
    expect(error.message)
      .to.include(COMPLETED_JOB)
      .and.include("failed")
      .and.include("Snowflake warehouse suspended");
    expectNoToken(error);
    // The engine records these properties (the resource is marked as not fully initialised).
    const recorded = (error as IncompleteDynamicStep).properties;
    expect(figures(recorded)).to.deep.include({
      triggers: "v2",
      unfinishedRun: "rerun",
      state: "failed",
      rescheduleCount: 1,
    });

    h.sim.setJobOutcome(COMPLETED_JOB, { state: "completed" });
    const outs = (await h.provider.update(COMPLETED_JOB, recorded, news)).outs as StoredOutputs;
    expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(2);
    expect(figures(outs)).to.deep.include({ state: "completed", rescheduleCount: 2 });
    expect(figures(outs)).not.to.have.property("unfinishedRun");
  });

  it("records a failed run without failing when failOnJobFailure is false", async () => {
    await start();
    h.sim.setJobOutcome(COMPLETED_JOB, { state: "failed", message: "boom" });
    const news = rerunInputs({ triggers: "v2", waitFor: "terminal", failOnJobFailure: false });
    const outs = (await h.provider.update(COMPLETED_JOB, created, news)).outs as StoredOutputs;
    expect(figures(outs).state).to.equal("failed");
    expect(figures(outs).unfinishedRun).to.equal(undefined);
  });

  it("after a wait that timed out, the next up follows the same run instead of rescheduling it", async () => {
    await start({ simulator: { frozen: false, durations: { pendingMs: 40, runningMs: 60_000 } } });
    const news = rerunInputs({ triggers: "v2", waitFor: "terminal", timeout: "0.3" });
    const error = await rejection(h.provider.update(COMPLETED_JOB, created, news));
    expect(error.message).to.match(/still running: the wait timed out after 300ms/);
    expect(error.message).to.include("follows this run");
    const recorded = (error as IncompleteDynamicStep).properties;
    expect(figures(recorded)).to.deep.include({ triggers: "v2", unfinishedRun: "follow", state: "running" });

    h.sim.advance(120_000);
    const outs = (await h.provider.update(COMPLETED_JOB, recorded, news)).outs as StoredOutputs;
    expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(1);
    expect(h.sim.writes()).to.have.length(1);
    expect(figures(outs)).to.deep.include({ state: "completed", rescheduleCount: 1 });
    expect(figures(outs)).not.to.have.property("unfinishedRun");
  });

  it("reschedules again when the triggers change while a run is being followed", async () => {
    await start({ simulator: { frozen: false, durations: { pendingMs: 40, runningMs: 60_000 } } });
    const news = rerunInputs({ triggers: "v2", waitFor: "terminal", timeout: "0.2" });
    const error = await rejection(h.provider.update(COMPLETED_JOB, created, news));
    const recorded = (error as IncompleteDynamicStep).properties;
    const outs = (await h.provider.update(COMPLETED_JOB, recorded, rerunInputs({ triggers: "v3" })))
      .outs as StoredOutputs;
    expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(2);
    expect(figures(outs).unfinishedRun).to.equal(undefined);
  });

  it("stops waiting when the deployment is cancelled and records the run to follow", async () => {
    const cancellation = new AbortController();
    await start({
      simulator: { frozen: false, durations: { pendingMs: 40, runningMs: 60_000 } },
      provider: { cancellation: cancellation.signal },
    });
    const update = h.provider.update(
      COMPLETED_JOB,
      created,
      rerunInputs({ triggers: "v2", waitFor: "terminal" }),
    );
    setTimeout(() => cancellation.abort(), 150);
    const error = await rejection(update);
    expect(error.message).to.include("the deployment was cancelled");
    expect(figures((error as IncompleteDynamicStep).properties).unfinishedRun).to.equal("follow");
    expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(1);
  });

  it("records the run to follow when reading the job fails after the reschedule was applied", async () => {
    await start();
    // The first read (before the reschedule: the run-since rule) is served; every read after it fails.
    h.sim.fault(
      `GET /jobs/${COMPLETED_JOB}`,
      { latencyMs: 0 },
      ...Array.from({ length: 200 }, () => ({ status: 500 })),
    );
    const error = await rejection(
      h.provider.update(COMPLETED_JOB, created, rerunInputs({ triggers: "v2", waitFor: "terminal" })),
    );
    expect(error).to.be.instanceOf(JobRerunIncompleteError);
    expect(error.message).to.include("500").and.include("the next `pulumi up` follows it");
    expect(figures((error as IncompleteDynamicStep).properties)).to.deep.include({
      triggers: "v2",
      unfinishedRun: "follow",
    });
    expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(1);
  });
});
