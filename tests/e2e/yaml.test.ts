/**
 * JobRerun from Pulumi YAML: one stack walked in order by the real Pulumi CLI, Pulumi's own YAML language host
 * (built from github.com/pulumi/pulumi-yaml by scripts/ensure-pulumi) and the `narrative` provider plugin,
 * against the simulator over loopback. The plugin is found the way a project names it: `plugins.providers` with
 * the directory npm puts the package's executables in.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { startSimulator, type Simulator } from "../../provider/simulator";
import type { PulumiWorkspace } from "../../scripts/pulumi-harness";
import { yamlProgram, yamlWorkspace } from "../support/yaml-program";
import { expectInNoOutput, expectInNoStateFile } from "../support/token-leaks";
import { cleanUpAfter, skipTheRestAfterAFailure } from "../support/e2e";
import { describeRequests, expectSucceeded, SEED_JOB_ID, watchRequests } from "../support/e2e-steps";
import {
  configureLanguageStack,
  failedWaitThenOneRerun,
  LANGUAGE_DURATIONS,
  previewShowsTheTriggerChange,
  redactedServerError,
  sigkillDuringWait,
  type LanguageContext,
} from "../support/language-scenarios";

const SNAPSHOT_ID = "1724919539450264600";

describe("e2e: a JobRerun from Pulumi YAML through the narrative plugin", function () {
  // Each CLI command takes a few seconds; a case runs up to four of them.
  this.timeout(180_000);

  // Not distinctiveToken(): its "narrative-" prefix is in every line the CLI prints about a narrative resource,
  // and tokenLeaks() looks for any 8 characters of the token.
  const token = `tok-YAML-${randomBytes(12).toString("hex")}`;
  let sim: Simulator;
  let workspace: PulumiWorkspace;

  before(async function () {
    this.timeout(600_000);
    sim = await startSimulator({
      frozen: true,
      token,
      durations: LANGUAGE_DURATIONS,
    });
    workspace = await yamlWorkspace("narrative-yaml-e2e", yamlProgram("narrative-yaml-e2e"));
    await configureLanguageStack(context());
  });

  cleanUpAfter(() => ({ workspaces: [workspace], servers: [sim] }));

  skipTheRestAfterAFailure();

  const context = (): LanguageContext => ({ workspace, sim, token });

  it("1. up creates the JobRerun: it reads the job once and sends nothing else; the job is stored exactly", async () => {
    const { result, requests } = await watchRequests(sim, () => workspace.pulumi(["up", "--yes"]));

    expectSucceeded(result);
    expect(result.output).to.match(/narrative:index:JobRerun rerun created/);
    expect(requests.map((request) => `${request.method} ${request.path}`)).to.deep.equal([
      `GET /jobs/${SEED_JOB_ID}`,
    ]);
    const outputs = await workspace.outputs();
    expect(outputs).to.include({ state: "completed", rescheduleCount: 0, snapshotId: SNAPSHOT_ID });
    expect(outputs["jobJson"]).to.include(`"snapshot_id":${SNAPSHOT_ID}`);
    expect(outputs["outcome"] ?? null, "no reschedule yet").to.equal(null);
  });

  it("2. a trigger change: preview shows the update of triggers and sends nothing", async () => {
    const preview = await previewShowsTheTriggerChange(context(), { reads: [] });

    expect(preview.output).to.match(/~ 1 to update/);
  });

  it('3. up reads the job, then sends exactly one POST {"force":true}; the outputs hold the result', async () => {
    const { result, requests } = await watchRequests(sim, () =>
      workspace.pulumi(["up", "--yes", "--skip-preview"]),
    );

    expectSucceeded(result);
    expect(
      requests.map((request) => `${request.method} ${request.path} ${request.body}`.trim()),
    ).to.deep.equal([`GET /jobs/${SEED_JOB_ID}`, `POST /jobs/${SEED_JOB_ID}/reschedule {"force":true}`]);
    expect(await workspace.outputs()).to.include({
      outcome: "rescheduled",
      rescheduleCount: 1,
      state: "pending",
      snapshotId: SNAPSHOT_ID,
    });
  });

  it("4. refresh reads the job and sends nothing else", async () => {
    const { result, requests } = await watchRequests(sim, () =>
      workspace.pulumi(["refresh", "--yes", "--skip-preview"]),
    );

    expectSucceeded(result);
    expect(requests.map((request) => `${request.method} ${request.path}`)).to.deep.equal([
      `GET /jobs/${SEED_JOB_ID}`,
    ]);
  });

  it("5. waitFor terminal: a failed run fails the up with the job's messages; the next up reruns it once", () =>
    failedWaitThenOneRerun(context(), { sqlHash: "v3" }));

  it("6. a 500 that echoes the token, escaped, fails the up with the token [REDACTED]", () =>
    redactedServerError(context(), { sqlHash: "v4" }));

  it("7. SIGKILL of the CLI during a wait: after pulumi cancel, the next up follows the run; one reschedule applied", () =>
    sigkillDuringWait(context(), {
      sqlHash: "v5",
      // Pulumi's YAML language host checks that the engine is alive only every 5 minutes (rpcutil.Healthcheck in
      // pulumi-yaml's main.go), so it outlives a killed CLI by up to that long; it holds no connection to the API.
      // The plugin, ours, must be gone within seconds.
      mayOutlive: {
        what: "Pulumi's YAML host",
        matches: (command) => command.includes("pulumi-language-yaml"),
      },
    }));

  it("8. the token is in no state file, no backup, no history and no output", async () => {
    await expectInNoStateFile(workspace, token);
    expectInNoOutput(workspace, token);
  });

  it("9. destroy sends nothing and empties the stack", async () => {
    const { result, requests } = await watchRequests(sim, () => workspace.pulumi(["destroy", "--yes"]));

    expectSucceeded(result);
    expect(requests, describeRequests(requests)).to.deep.equal([]);
    expect((await workspace.exportStack()).resources).to.have.length(0);
  });
});
