/**
 * Choosing the job by its dataset, and self-healing reruns, through the real Pulumi CLI against the simulator
 * (clock frozen: jobs move only when a case advances it). One stack, walked in order.
 */
import { expect } from "chai";
import { startSimulator, type Simulator } from "../../provider/simulator";
import { distinctiveToken, PulumiWorkspace } from "../../scripts/pulumi-harness";
import { skipTheRestAfterAFailure } from "../support/e2e";
import { describeRequests, expectSucceeded, watchRequests } from "../support/e2e-steps";

/** The seed's materialize-view job on dataset 10736 (the reschedule page's example). */
const VIEW_JOB = "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c";
const NEWER_JOB = "0e6e2f1c-7a51-4f9b-9c8e-3d2b1a0f9e8d";

/** One JobRerun that picks its job by dataset, with `rerunFailed`; triggers and the dataset from the configuration. */
const PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const narrative = require("pulumi-narrative-jobs");
const config = new pulumi.Config();
const rerun = new narrative.JobRerun("audience-view", {
  dataset: config.requireObject("dataset"),
  triggers: config.requireObject("triggers"),
  rerunFailed: config.getBoolean("rerunFailed"),
  force: config.getBoolean("force"),
});
exports.jobId = rerun.jobId;
exports.state = rerun.state;
exports.outcome = rerun.outcome.apply((outcome) => outcome ?? "none");
exports.rescheduleCount = rerun.rescheduleCount;
exports.unfinishedRun = rerun.unfinishedRun.apply((run) => run ?? "none");
`;

describe("e2e: choosing the job by dataset, and rerunFailed, through the Pulumi CLI", function () {
  this.timeout(120_000);

  const token = distinctiveToken("dataset");
  let sim: Simulator;
  let workspace: PulumiWorkspace;

  before(async function () {
    this.timeout(600_000);
    sim = await startSimulator({ frozen: true, token });
    workspace = await PulumiWorkspace.create({ project: "narrative-dataset", program: PROGRAM });
    await workspace.configureNarrative(sim.url, token);
    await workspace.setConfig("dataset", JSON.stringify({ id: 10736, jobType: "materialize-view" }));
    await workspace.setConfig("triggers", JSON.stringify({ sql: "v1" }));
    await workspace.setConfig("rerunFailed", "true");
  });

  after(async function () {
    this.timeout(60_000);
    await workspace?.dispose();
    await sim?.close();
  });

  skipTheRestAfterAFailure();

  it("up creates the resource on the newest job of the dataset, found by GET /jobs, and changes nothing", async () => {
    const { result, requests } = await watchRequests(sim, () =>
      workspace.pulumi(["up", "--yes", "--skip-preview"]),
    );
    expectSucceeded(result);
    expect(
      requests.map((r) => `${r.method} ${r.path}`),
      describeRequests(requests),
    ).to.deep.equal(["GET /jobs"]);
    expect(requests[0]?.query).to.include({
      dataset_id: "10736",
      type: "materialize-view",
      order_by: "created_at_desc",
    });
    expect(result.output).to.include(
      `dataset 10736 (type materialize-view): picked its newest job, ${VIEW_JOB}`,
    );
    expect(await workspace.outputs()).to.include({ jobId: VIEW_JOB, outcome: "none", rescheduleCount: 0 });
  });

  it("preview of a trigger change sends nothing; up re-reads the dataset and reschedules its newest job", async () => {
    const newer = { ...sim.job(VIEW_JOB)!, job_id: NEWER_JOB, created_at: "2024-01-01T00:00:00.000000" };
    sim.addJob(newer);
    await workspace.setConfig("triggers", JSON.stringify({ sql: "v2" }));
    const preview = await watchRequests(sim, () => workspace.pulumi(["preview"]));
    expectSucceeded(preview.result);
    expect(preview.requests, describeRequests(preview.requests)).to.have.length(0);
    expect(preview.result.output).to.match(/~ 1 to update|1 to update/);

    const { result } = await watchRequests(sim, () => workspace.pulumi(["up", "--yes", "--skip-preview"]));
    expectSucceeded(result);
    expect(result.output).to.include(`its newest job is now ${NEWER_JOB} (was ${VIEW_JOB})`);
    expect(sim.appliedReschedules(NEWER_JOB)).to.equal(1);
    expect(sim.appliedReschedules(VIEW_JOB)).to.equal(0);
    expect(await workspace.outputs()).to.include({
      jobId: NEWER_JOB,
      outcome: "rescheduled",
      rescheduleCount: 1,
    });
  });

  it("a refresh that sees its run failed makes the next preview show a rerun; up reschedules once, saying why", async () => {
    sim.setJobOutcome(NEWER_JOB, { state: "failed", message: "out of memory" });
    sim.advance(60_000);
    const refresh = await workspace.pulumi(["refresh", "--yes", "--skip-preview"]);
    expectSucceeded(refresh);
    expect(refresh.output).to.include("the next `pulumi up` reschedules it again (rerunFailed)");

    const preview = await watchRequests(sim, () => workspace.pulumi(["preview"]));
    expectSucceeded(preview.result);
    expect(preview.requests).to.have.length(0);
    expect(preview.result.output).to.match(/1 to update/);
    expect(preview.result.output).to.include("rerun pending (rerunFailed)");

    sim.setJobOutcome(NEWER_JOB, { state: "completed" });
    const { result } = await watchRequests(sim, () => workspace.pulumi(["up", "--yes", "--skip-preview"]));
    expectSucceeded(result);
    expect(result.output).to.include("rescheduling it again (rerunFailed)");
    expect(sim.appliedReschedules(NEWER_JOB)).to.equal(2);
    expect(await workspace.outputs()).to.include({ rescheduleCount: 2, unfinishedRun: "none" });

    // Once: the next up owes nothing.
    const again = await watchRequests(sim, () => workspace.pulumi(["up", "--yes", "--skip-preview"]));
    expectSucceeded(again.result);
    expect(again.requests).to.have.length(0);
  });

  it("refuses rerunFailed with force: false before anything is sent, naming rerunFailed", async () => {
    await workspace.setConfig("force", "false");
    const { result, requests } = await watchRequests(sim, () =>
      workspace.pulumi(["preview"], { allowFailure: true }),
    );
    expect(result.code).to.not.equal(0);
    expect(result.output).to.include("rerunFailed reschedules a job that ended failed or cancelled");
    expect(requests).to.have.length(0);
    await workspace.removeConfig("force");
  });

  it("fails clearly when no job of the dataset matches, naming the dataset and type", async () => {
    await workspace.setConfig("dataset", JSON.stringify({ id: 99999, jobType: "materialize-view" }));
    const { result, requests } = await watchRequests(sim, () =>
      workspace.pulumi(["up", "--yes", "--skip-preview"], { allowFailure: true }),
    );
    expect(result.code).to.not.equal(0);
    expect(result.output).to.include("has dataset 99999 (type materialize-view) as its input");
    expect(requests.filter((r) => r.method === "POST")).to.have.length(0);
  });
});
