/**
 * The run-since rule against the simulator over loopback: before every reschedule the provider reads the job,
 * and a run started since this stack's last deployment (one a killed deployment sent, or another stack's) is
 * followed rather than rescheduled again. The end-to-end suite (tests/e2e/sigkill.test.ts) kills the real CLI;
 * these cases reach the same states directly, one decision at a time.
 */
import { expect } from "chai";
import type { StoredOutputs } from "../../provider/jobrerun/decisions";
import {
  COMPLETED_JOB,
  figures,
  providerHarness,
  rerunInputs,
  rescheduleElsewhere,
  type Harness,
  type HarnessOptions,
} from "../support/provider-harness";

const FAST_POLLS = { initialIntervalMs: 10, maxIntervalMs: 40, growth: 1.5, progressEveryMs: 100 };

describe("JobRerun and a run it did not record", () => {
  let h: Harness;
  let created: StoredOutputs;

  async function start(options: HarnessOptions = {}): Promise<void> {
    h = await providerHarness({
      ...options,
      provider: { pollOptions: FAST_POLLS, ...options.provider },
    });
    created = (await h.provider.create(rerunInputs())).outs as StoredOutputs;
  }

  const posts = (): number => h.sim.requests.filter((request) => request.method === "POST").length;

  afterEach(async () => {
    await h?.close();
  });

  it("reads the job before rescheduling, and reschedules when nothing happened since: 1 GET + 1 POST", async () => {
    await start();
    h.sim.reset();
    const outs = (await h.provider.update(COMPLETED_JOB, created, rerunInputs({ triggers: "v2" })))
      .outs as StoredOutputs;
    expect(h.sim.requests.map((request) => `${request.method} ${request.path}`)).to.deep.equal([
      `GET /jobs/${COMPLETED_JOB}`,
      `POST /jobs/${COMPLETED_JOB}/reschedule`,
    ]);
    expect(figures(outs).outcome).to.equal("rescheduled");
    expect(figures(outs).rescheduleCount).to.equal(1);
  });

  it("follows a run that started since the last deployment instead of sending a second reschedule", async () => {
    await start();
    await rescheduleElsewhere(h.sim);
    const outs = (await h.provider.update(COMPLETED_JOB, created, rerunInputs({ triggers: "v2" })))
      .outs as StoredOutputs;
    expect(posts()).to.equal(1);
    expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(1);
    expect(figures(outs)).to.deep.include({ outcome: "run_observed", rescheduleCount: 0, state: "pending" });
    expect(figures(outs).lastRescheduledAt).to.equal(undefined);
    expect(figures(outs).triggers).to.equal("v2");
    const warning = h.lines.find((line) => line.startsWith("warn: "));
    expect(warning).to.match(/job 2a5b9ad7-\S+ is pending \(updated \S+\) and was completed \(updated \S+\)/);
    expect(warning).to.include('onUnrecordedRun: "reschedule"');
  });

  it("reschedules anyway with onUnrecordedRun: reschedule", async () => {
    await start();
    await rescheduleElsewhere(h.sim);
    const news = rerunInputs({ triggers: "v2", onUnrecordedRun: "reschedule" });
    const outs = (await h.provider.update(COMPLETED_JOB, created, news)).outs as StoredOutputs;
    expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(2);
    expect(figures(outs)).to.deep.include({ outcome: "rescheduled", rescheduleCount: 1 });
  });

  it("does not restart a job that is running a run since: it follows it to the end with waitFor", async () => {
    await start({ simulator: { frozen: false, durations: { pendingMs: 30, runningMs: 150 } } });
    await rescheduleElsewhere(h.sim);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(h.sim.job(COMPLETED_JOB)?.state).to.equal("running");
    const news = rerunInputs({ triggers: "v2", waitFor: "terminal" });
    const outs = (await h.provider.update(COMPLETED_JOB, created, news)).outs as StoredOutputs;
    expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(1);
    expect(figures(outs)).to.deep.include({ outcome: "run_observed", state: "completed" });
  });

  it("still sees the run after a refresh, which shows the job as it is without moving the baseline", async () => {
    await start();
    await rescheduleElsewhere(h.sim);
    const refreshed = (await h.provider.read(COMPLETED_JOB, created)).props as StoredOutputs;
    expect(figures(refreshed).state).to.equal("pending");
    expect(refreshed.status.deployedJob).to.deep.include({ state: "completed" });
    const outs = (await h.provider.update(COMPLETED_JOB, refreshed, rerunInputs({ triggers: "v2" })))
      .outs as StoredOutputs;
    expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(1);
    expect(figures(outs).outcome).to.equal("run_observed");
    // After an update the baseline is the job as this deployment left it again.
    expect(outs.status.deployedJob).to.equal(undefined);
  });

  it("keeps the baseline through an update that only records a new input", async () => {
    await start();
    await rescheduleElsewhere(h.sim);
    const refreshed = (await h.provider.read(COMPLETED_JOB, created)).props as StoredOutputs;
    const recorded = (await h.provider.update(COMPLETED_JOB, refreshed, rerunInputs({ force: false })))
      .outs as StoredOutputs;
    expect(posts()).to.equal(1);
    expect(recorded.status.deployedJob).to.deep.equal(refreshed.status.deployedJob);
    const outs = (await h.provider.update(COMPLETED_JOB, recorded, rerunInputs({ triggers: "v2" })))
      .outs as StoredOutputs;
    expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(1);
    expect(figures(outs).outcome).to.equal("run_observed");
  });

  it("records another stack's reschedule, seen after its own POST failed, as observed and not its own", async () => {
    await start();
    h.sim.reset();
    // This stack's POST meets a slow 503, and another stack's reschedule lands while it waits for it.
    h.sim.fault(`POST /jobs/${COMPLETED_JOB}/reschedule`, { status: 503, latencyMs: 400 });
    const update = h.provider.update(COMPLETED_JOB, created, rerunInputs({ triggers: "v2" }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await rescheduleElsewhere(h.sim);
    const result = await update;
    const outs = result.outs as StoredOutputs;
    expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(1);
    expect(figures(outs)).to.deep.include({ outcome: "run_observed", rescheduleCount: 0 });
    expect(h.lines.join("\n")).to.include(
      "the answer to this stack's reschedule was lost, and the job shows a reschedule",
    );
  });
});
