/**
 * Choosing the job by its dataset, and self-healing reruns (`rerunFailed`), against the simulator over
 * loopback. The seed has two jobs on dataset 10736: the reschedule page's materialize-view (created 31 Oct) and
 * a newer delivery that failed (1 Nov).
 */
import { expect } from "chai";
import type { StoredOutputs } from "../../provider/jobrerun/decisions";
import { NarrativeConfigError } from "../../provider/api/errors";
import { SEEDED_JOB_IDS, type SimulatorJob } from "../../provider/simulator";
import {
  COMPLETED_JOB,
  figures,
  providerHarness,
  rerunInputs,
  rescheduleElsewhere,
  type Harness,
} from "../support/provider-harness";
import { rejection } from "../support/assertions";

const MATERIALIZE_VIEW = { id: 10736, jobType: "materialize-view" };

/** Inputs that pick the job by dataset: no jobId. */
function byDataset(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { jobId: _jobId, ...inputs } = rerunInputs();
  return { ...inputs, dataset: MATERIALIZE_VIEW, ...overrides };
}

describe("JobRerun choosing its job by dataset", () => {
  let h: Harness;

  afterEach(async () => {
    await h?.close();
  });

  it("creates by finding the newest job of the dataset and type, and stores its id as jobId", async () => {
    h = await providerHarness();
    const result = await h.provider.create(byDataset() as never);
    expect(result.id).to.equal(COMPLETED_JOB);
    expect((result.outs as StoredOutputs).jobId).to.equal(COMPLETED_JOB);
    expect(h.sim.requests.map((r) => `${r.method} ${r.path}`)).to.deep.equal(["GET /jobs"]);
    expect(h.sim.requests[0]?.query).to.deep.equal({
      dataset_id: "10736",
      type: "materialize-view",
      order_by: "created_at_desc",
      per_page: "1",
    });
    // The job's exact text comes from the page: the big integer keeps its digits.
    expect(figures(result.outs as StoredOutputs).jobJson).to.include('"snapshot_id":1724919539450264600');
    expect(h.lines).to.include(
      `info: dataset 10736 (type materialize-view): picked its newest job, ${COMPLETED_JOB}`,
    );
  });

  it("without a type, picks the newest job of the dataset whatever its type", async () => {
    h = await providerHarness();
    const result = await h.provider.create(byDataset({ dataset: { id: 10736 } }) as never);
    expect(result.id).to.equal(SEEDED_JOB_IDS.failed);
  });

  it("looks again before each reschedule, says which job it picked, and re-runs the newest", async () => {
    h = await providerHarness();
    const created = (await h.provider.create(byDataset() as never)).outs as StoredOutputs;
    const newer = { ...h.sim.job(COMPLETED_JOB)!, job_id: "0e6e2f1c-7a51-4f9b-9c8e-3d2b1a0f9e8d" };
    newer.created_at = "2024-01-01T00:00:00.000000";
    h.sim.addJob(newer as SimulatorJob);
    const outs = (await h.provider.update(COMPLETED_JOB, created, byDataset({ triggers: "v2" }) as never))
      .outs as StoredOutputs;
    expect(outs.jobId).to.equal(newer.job_id);
    expect(h.sim.appliedReschedules(newer.job_id)).to.equal(1);
    expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(0);
    expect(h.lines.join("\n")).to.include(
      `dataset 10736 (type materialize-view): its newest job is now ${newer.job_id} (was ${COMPLETED_JOB})`,
    );
  });

  it("treats the picked jobId as an output: the same dataset is no change, another dataset replaces", async () => {
    h = await providerHarness();
    const created = (await h.provider.create(byDataset() as never)).outs as StoredOutputs;
    expect((await h.provider.diff(COMPLETED_JOB, created, byDataset())).changes).to.equal(false);
    const other = await h.provider.diff(COMPLETED_JOB, created, byDataset({ dataset: { id: 10741 } }));
    expect(other).to.deep.include({ changes: true });
    expect(other.replaces).to.include("dataset");
    expect(h.sim.requests.filter((r) => r.method === "POST")).to.have.length(0);
  });

  it("fails clearly when no job matches, naming the dataset and type, with nothing rescheduled", async () => {
    h = await providerHarness();
    const error = await rejection(
      h.provider.create(byDataset({ dataset: { id: 99999, jobType: "materialize-view" } }) as never),
    );
    expect(error).to.be.instanceOf(NarrativeConfigError);
    expect(error.message).to.match(/^No job on 127\.0\.0\.1:\d+ has dataset 99999 \(type materialize-view\)/);
    expect(error.message).to.include("check dataset.id and dataset.jobType");
    expect(h.sim.writes()).to.have.length(0);
  });

  for (const [what, inputs, property, rule] of [
    [
      "both jobId and dataset",
      { ...rerunInputs(), dataset: MATERIALIZE_VIEW },
      "dataset",
      /^give jobId or dataset, not both/,
    ],
    [
      "neither jobId nor dataset",
      byDataset({ dataset: undefined }),
      "jobId",
      /or give dataset: \{ id, jobType \}/,
    ],
    [
      "a dataset id that is not a whole number",
      byDataset({ dataset: { id: "10736" } }),
      "dataset",
      /^dataset\.id must be/,
    ],
    [
      "a dataset with an unknown field",
      byDataset({ dataset: { id: 1, type: "x" } }),
      "dataset",
      /"type" is not one of its fields/,
    ],
    [
      "an empty jobType",
      byDataset({ dataset: { id: 1, jobType: "" } }),
      "dataset",
      /^dataset\.jobType must be/,
    ],
  ] as const) {
    it(`refuses ${what} in check, naming the input, with nothing sent`, async () => {
      h = await providerHarness();
      const { failures } = await h.provider.check({}, inputs as Record<string, unknown>);
      expect(failures?.map((failure) => failure.property)).to.deep.equal([property]);
      expect(failures?.[0]?.reason).to.match(rule);
      expect(h.sim.requests).to.have.length(0);
    });
  }
});

describe("JobRerun with rerunFailed", () => {
  let h: Harness;

  afterEach(async () => {
    await h?.close();
  });

  async function rescheduledOnce(inputs = rerunInputs({ rerunFailed: true })): Promise<StoredOutputs> {
    const created = (await h.provider.create(inputs)).outs as StoredOutputs;
    return (await h.provider.update(COMPLETED_JOB, created, { ...inputs, triggers: "v2" }))
      .outs as StoredOutputs;
  }

  it("after a refresh sees its run failed, plans a rerun and reschedules once with no trigger change", async () => {
    h = await providerHarness();
    const deployed = await rescheduledOnce();
    h.sim.setJobOutcome(COMPLETED_JOB, { state: "failed", message: "out of memory" });
    h.sim.advance(60_000);
    const refreshed = (await h.provider.read(COMPLETED_JOB, deployed)).props as StoredOutputs;
    expect(figures(refreshed)).to.deep.include({ state: "failed", unfinishedRun: "rerun" });
    expect(h.lines.join("\n")).to.include("the next `pulumi up` reschedules it again (rerunFailed)");
    const news = rerunInputs({ rerunFailed: true, triggers: "v2" });
    // Preview: a pending update although no input changed, and why; nothing sent.
    const writes = h.sim.writes().length;
    expect((await h.provider.diff(COMPLETED_JOB, refreshed, { ...news })).changes).to.equal(true);
    expect(h.lines.join("\n")).to.include("rerun pending (rerunFailed)");
    expect(h.sim.writes()).to.have.length(writes);
    const outs = (await h.provider.update(COMPLETED_JOB, refreshed, news)).outs as StoredOutputs;
    expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(2);
    expect(figures(outs)).to.deep.include({ outcome: "rescheduled", rescheduleCount: 2 });
    expect(figures(outs).unfinishedRun).to.equal(undefined);
    expect(h.lines.join("\n")).to.include("rescheduling it again (rerunFailed)");
    // Once is enough: the next refresh of the new run (still pending) owes nothing.
    const again = (await h.provider.read(COMPLETED_JOB, outs)).props as StoredOutputs;
    expect(figures(again).unfinishedRun).to.equal(undefined);
  });

  it("does nothing by default: a failed run is only shown", async () => {
    h = await providerHarness();
    const deployed = await rescheduledOnce(rerunInputs());
    h.sim.setJobOutcome(COMPLETED_JOB, { state: "failed", message: "out of memory" });
    h.sim.advance(60_000);
    const refreshed = (await h.provider.read(COMPLETED_JOB, deployed)).props as StoredOutputs;
    expect(figures(refreshed).state).to.equal("failed");
    expect(figures(refreshed).unfinishedRun).to.equal(undefined);
    expect(
      (await h.provider.diff(COMPLETED_JOB, refreshed, { ...rerunInputs({ triggers: "v2" }) })).changes,
    ).to.equal(false);
  });

  it("never reruns a failed run that started after its own run was seen to complete", async () => {
    h = await providerHarness();
    const deployed = await rescheduledOnce();
    h.sim.advance(60_000);
    const completed = (await h.provider.read(COMPLETED_JOB, deployed)).props as StoredOutputs;
    expect(figures(completed).state).to.equal("completed");
    // Someone else reruns the job, and that run fails.
    h.sim.setJobOutcome(COMPLETED_JOB, { state: "failed", message: "out of memory" });
    await rescheduleElsewhere(h.sim);
    h.sim.advance(60_000);
    const refreshed = (await h.provider.read(COMPLETED_JOB, completed)).props as StoredOutputs;
    expect(figures(refreshed).state).to.equal("failed");
    expect(figures(refreshed).unfinishedRun).to.equal(undefined);
  });

  it("never reruns a failed run this resource did not start", async () => {
    h = await providerHarness();
    // Created only (no reschedule of its own): the job then fails in a run someone else started.
    const created = (await h.provider.create(rerunInputs({ rerunFailed: true }))).outs as StoredOutputs;
    h.sim.setJobOutcome(COMPLETED_JOB, { state: "failed", message: "out of memory" });
    await rescheduleElsewhere(h.sim);
    h.sim.advance(60_000);
    const refreshed = (await h.provider.read(COMPLETED_JOB, created)).props as StoredOutputs;
    expect(figures(refreshed).state).to.equal("failed");
    expect(figures(refreshed).unfinishedRun).to.equal(undefined);
  });

  it("refuses rerunFailed with force: false in check, naming rerunFailed", async () => {
    h = await providerHarness();
    const { failures } = await h.provider.check({}, { ...rerunInputs(), rerunFailed: true, force: false });
    expect(failures).to.have.length(1);
    expect(failures?.[0]?.property).to.equal("rerunFailed");
    expect(failures?.[0]?.reason).to.include("force: false leaves untouched");
  });
});
