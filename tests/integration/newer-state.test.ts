/**
 * The provider over a state a newer release wrote: every method that reads a stored state (diff for preview
 * and up, update, read for refresh) refuses it before the API hears anything, so the engine keeps the state as
 * it is. The state is what this build stores, then edited as a later release could write it.
 */
import { expect } from "chai";
import type { StoredOutputs } from "../../provider/jobrerun/decisions";
import { NarrativeStateError } from "../../provider/api/errors";
import { STATE_SCHEMA_VERSION } from "../../provider/jobrerun/state-version";
import {
  COMPLETED_JOB,
  expectFailure,
  providerHarness,
  rerunInputs,
  type Harness,
} from "../support/provider-harness";

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
    const error = await expectFailure(
      h.provider.diff(COMPLETED_JOB, newer, { ...rerunInputs(), triggers: { sql: "changed" } }),
    );
    expect(error).to.be.instanceOf(NarrativeStateError);
    expect(error.message).to.include("written by pulumi-narrative-jobs 99.0.0");
    expect(error.message).to.include(`holds state schemaVersion ${STATE_SCHEMA_VERSION + 1} and status.lane`);
    expect(error.message).to.include("Install pulumi-narrative-jobs 99.0.0 or later");
    expect(sentSince()).to.have.length(0);
  });

  it("update refuses it before reading or rescheduling the job", async () => {
    const error = await expectFailure(
      h.provider.update(COMPLETED_JOB, newer, { ...rerunInputs(), triggers: { sql: "changed" } }),
    );
    expect(error).to.be.instanceOf(NarrativeStateError);
    expect(sentSince()).to.have.length(0);
    expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(0);
  });

  it("read (refresh) refuses it rather than rewrite it into this release's shape", async () => {
    const error = await expectFailure(h.provider.read(COMPLETED_JOB, newer));
    expect(error).to.be.instanceOf(NarrativeStateError);
    expect(sentSince()).to.have.length(0);
  });

  it("delete needs nothing from the state and sends nothing", async () => {
    await h.provider.delete();
    expect(sentSince()).to.have.length(0);
  });
});
