/**
 * The provider over a state a newer release wrote: every method that reads a stored state (diff for preview
 * and up, update, read for refresh) refuses it before the API hears anything, so the engine keeps the state as
 * it is; delete reads nothing, so `pulumi destroy` still removes the resource, through either host. The state
 * is what this build stores, then edited as a later release could write it.
 */
import { expect } from "chai";
import type { StoredOutputs } from "../../provider/jobrerun/decisions";
import { NarrativeStateError } from "../../provider/api/errors";
import { SEEDED_JOB_IDS, startSimulator, type Simulator } from "../../provider/simulator";
import { STATE_SCHEMA_VERSION } from "../../provider/jobrerun/state-version";
import {
  COMPLETED_JOB,
  providerHarness,
  rerunInputs,
  TOKEN,
  type Harness,
} from "../support/provider-harness";
import { ProviderHost, type HostKind } from "../support/provider-hosts";
import { rejection } from "../support/assertions";

describe("integration: the provider over a state a newer release wrote", () => {
  let h: Harness;
  let newer: StoredOutputs;
  /** The requests of the create that made the state. */
  let before: number;
  const sentSince = (): unknown[] => h.sim.requests.slice(before);

  beforeEach(async () => {
    h = await providerHarness();
    const { outs } = await h.provider.create(rerunInputs());
    expect(outs).not.to.equal(undefined);
    newer = {
      ...outs,
      status: {
        ...outs?.status,
        schemaVersion: STATE_SCHEMA_VERSION + 1,
        writtenBy: "99.0.0",
        lane: 2,
      },
    } as StoredOutputs;
    before = h.sim.requests.length;
  });

  afterEach(async () => {
    await h.close();
  });

  it("diff (preview, and up before it changes anything) refuses it, even with new triggers", async () => {
    const error = await rejection(
      h.provider.diff(COMPLETED_JOB, newer, { ...rerunInputs(), triggers: { sql: "changed" } }),
    );
    expect(error).to.be.instanceOf(NarrativeStateError);
    expect(error.message).to.include("written by pulumi-narrative-jobs 99.0.0");
    expect(error.message).to.include(`holds state schemaVersion ${STATE_SCHEMA_VERSION + 1} and status.lane`);
    expect(error.message).to.include("Install pulumi-narrative-jobs 99.0.0 or later");
    expect(sentSince()).to.have.length(0);
  });

  it("update refuses it before reading or rescheduling the job", async () => {
    const error = await rejection(
      h.provider.update(COMPLETED_JOB, newer, { ...rerunInputs(), triggers: { sql: "changed" } }),
    );
    expect(error).to.be.instanceOf(NarrativeStateError);
    expect(sentSince()).to.have.length(0);
    expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(0);
  });

  it("read (refresh) refuses it rather than rewrite it into this release's shape", async () => {
    const error = await rejection(h.provider.read(COMPLETED_JOB, newer));
    expect(error).to.be.instanceOf(NarrativeStateError);
    expect(sentSince()).to.have.length(0);
  });
});

for (const kind of ["dynamic", "plugin"] as HostKind[]) {
  describe(`integration: destroying a JobRerun a newer release wrote, through the ${kind} host`, function () {
    // A host process starts in about a second.
    this.timeout(30_000);

    let sim: Simulator;
    let host: ProviderHost;

    before(async () => {
      sim = await startSimulator({ frozen: true, token: TOKEN });
      host = await ProviderHost.start(kind);
      await host.configure({ "narrative:token": TOKEN, "narrative:apiUrl": sim.url });
    });

    after(async () => {
      await host?.close();
      await sim?.close();
    });

    it("delete succeeds, so the engine drops the resource, and sends nothing; the job is untouched", async () => {
      const jobId = SEEDED_JOB_IDS.completed;
      const { id, outputs } = await host.create({ jobId, triggers: { sql: "v1" } });
      // Where each host keeps the bookkeeping: the dynamic one under status, the plugin at the top.
      const bookkeeping = (kind === "dynamic" ? outputs["status"] : outputs) as Record<string, unknown>;
      Object.assign(bookkeeping, { schemaVersion: STATE_SCHEMA_VERSION + 1, writtenBy: "99.0.0" });
      // The edited state is one the host takes for a newer release's: refresh refuses it.
      const refused = (await rejection(host.read(id, outputs))).message;
      expect(refused).to.include("written by pulumi-narrative-jobs 99.0.0");
      sim.reset();

      await host.delete(id, outputs);

      expect(sim.requests).to.deep.equal([]);
      expect(sim.appliedReschedules(jobId)).to.equal(0);
    });
  });
}
