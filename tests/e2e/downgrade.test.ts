/**
 * A downgrade through the real Pulumi CLI: a stack whose state a newer release of the package wrote, under
 * this build. The state is the fixture text-status-v4 (`pulumi stack export` of a stack this build's shape
 * wrote, tests/fixtures/state), edited as the next release could write it: a higher `status.schemaVersion`,
 * that release's version in `status.writtenBy`, and a `status` member this build does not know.
 *
 * `pulumi preview`, `pulumi up` (with or without its preview) and `pulumi refresh` must stop with the message
 * that names both releases and says which to install, send the API no request, and leave the state exactly as
 * it was; `pulumi destroy` sends nothing anyway and removes the JobReruns from the stack, as it always does.
 */
import { expect } from "chai";
import { promises as fs, readFileSync } from "node:fs";
import * as path from "node:path";
import { startSimulator, type Simulator } from "../../provider/simulator";
import { JOB_RERUN_TYPE } from "../../provider/hosts/dynamic/provider-text";
import { STATE_SCHEMA_VERSION } from "../../provider/jobrerun/state-version";
import { PulumiWorkspace, REPO_ROOT, type CliResult } from "../../scripts/pulumi-harness";
import { describeRequests, expectSucceeded, watchRequests } from "../support/e2e-steps";

const FIXTURE_DIR = path.join(REPO_ROOT, "tests", "fixtures", "state", "text-status-v4");
const INSTALLED = (
  JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }
).version;
/** The release that wrote the edited state: the next minor version after this one. */
const NEWER = ((): string => {
  const [major, minor] = INSTALLED.split(".").map(Number);
  return `${major ?? 0}.${(minor ?? 0) + 1}.0`;
})();
const NEWER_SCHEMA = STATE_SCHEMA_VERSION + 1;

interface FixtureInfo {
  stack: string;
  project: string;
  apiUrl: string;
  token: string;
  passphrase: string;
}

interface StateResource {
  urn: string;
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown> & { status?: Record<string, unknown> };
}

interface Exported {
  deployment: { resources?: StateResource[] };
}

/**
 * What the package stores for each JobRerun, by URN: its inputs and outputs. (A refresh that fails still has
 * the engine save the stack again, which may reorder resources and fill in bookkeeping of its own, such as
 * `propertyDependencies`; none of that is the package's state.)
 */
function storedByUrn(resources: readonly StateResource[]): Record<string, unknown> {
  return Object.fromEntries(
    resources.map((resource) => [resource.urn, { inputs: resource.inputs, outputs: resource.outputs }]),
  );
}

describe("e2e: a state a newer release wrote, under this build (a downgrade)", function () {
  this.timeout(180_000);

  const info = JSON.parse(readFileSync(path.join(FIXTURE_DIR, "fixture.json"), "utf8")) as FixtureInfo;
  const onStack = (args: readonly string[]): string[] => [...args, "--stack", info.stack];
  let sim: Simulator;
  let workspace: PulumiWorkspace;
  /** The JobReruns as imported: what every refused command must leave in place. */
  let importedReruns: StateResource[];

  async function jobReruns(): Promise<StateResource[]> {
    const exported = await workspace.pulumi(onStack(["stack", "export"]));
    return ((JSON.parse(exported.stdout) as Exported).deployment.resources ?? []).filter(
      (resource) => resource.type === JOB_RERUN_TYPE,
    );
  }

  /** Runs a command that must be refused: the message, no request, and the state as it was. */
  async function expectRefused(args: readonly string[]): Promise<CliResult> {
    const { result, requests } = await watchRequests(sim, () =>
      workspace.pulumi(onStack(args), { allowFailure: true }),
    );
    expect(result.code, `${result.command} succeeded:\n${result.output}`).not.to.equal(0);
    const output = result.output.replace(/\s+/g, " ");
    expect(output).to.include(
      `was written by pulumi-narrative-jobs ${NEWER} and holds state schemaVersion ${NEWER_SCHEMA} and ` +
        `status.lane, which pulumi-narrative-jobs ${INSTALLED}, installed here, does not know: it reads ` +
        `state schemaVersion ${STATE_SCHEMA_VERSION} and earlier.`,
    );
    expect(output).to.include(
      "Nothing was sent and the state is unchanged: a release never rewrites a newer state into an older " +
        "shape or reschedules on a guess.",
    );
    expect(output).to.include(
      `Install pulumi-narrative-jobs ${NEWER} or later (npm install pulumi-narrative-jobs@latest)`,
    );
    // The message alone: no stack trace through this package above it.
    expect(result.output).not.to.match(/^\s+at .+\(.+:\d+:\d+\)$/m);
    expect(requests, describeRequests(requests)).to.have.length(0);
    expect(storedByUrn(await jobReruns()), `${result.command} changed the state`).to.deep.equal(
      storedByUrn(importedReruns),
    );
    return result;
  }

  before(async function () {
    // Generous: on a machine without a cached CLI, ensure-pulumi builds one first.
    this.timeout(600_000);
    sim = await startSimulator({ frozen: true, token: info.token });
    workspace = await PulumiWorkspace.create({
      project: info.project,
      stack: "scratch",
      program: await fs.readFile(path.join(FIXTURE_DIR, "index.js"), "utf8"),
      env: { PULUMI_CONFIG_PASSPHRASE: info.passphrase },
    });
    const rewrite = (text: string): string => text.split(info.apiUrl).join(sim.url);
    const configFile = `Pulumi.${info.stack}.yaml`;
    await fs.writeFile(
      path.join(workspace.dir, configFile),
      rewrite(await fs.readFile(path.join(FIXTURE_DIR, configFile), "utf8")),
    );

    // The state as the next release could write it.
    const exported = JSON.parse(
      rewrite(await fs.readFile(path.join(FIXTURE_DIR, "export.json"), "utf8")),
    ) as Exported;
    const reruns = (exported.deployment.resources ?? []).filter(
      (resource) => resource.type === JOB_RERUN_TYPE,
    );
    expect(reruns).to.have.length.greaterThan(0);
    for (const rerun of reruns) {
      const status = rerun.outputs?.status;
      expect(status, rerun.urn).to.include({ schemaVersion: STATE_SCHEMA_VERSION, writtenBy: INSTALLED });
      Object.assign(status ?? {}, { schemaVersion: NEWER_SCHEMA, writtenBy: NEWER, lane: "priority" });
    }
    const importFile = path.join(workspace.dir, "newer.import.json");
    await fs.writeFile(importFile, JSON.stringify(exported, null, 2));
    await workspace.pulumi(["stack", "init", info.stack]);
    const { result, requests } = await watchRequests(sim, () =>
      workspace.pulumi(onStack(["stack", "import", "--file", importFile])),
    );
    expectSucceeded(result);
    expect(requests, describeRequests(requests)).to.have.length(0);
    importedReruns = await jobReruns();
    expect(importedReruns.map((rerun) => rerun.outputs?.status?.["schemaVersion"])).to.deep.equal(
      reruns.map(() => NEWER_SCHEMA),
    );
  });

  after(async function () {
    this.timeout(60_000);
    await workspace?.dispose();
    await sim?.close();
  });

  it("pulumi preview stops with the message, sends nothing and leaves the state", async () => {
    await expectRefused(["preview", "--diff"]);
  });

  it("pulumi up stops at its preview, the same way", async () => {
    await expectRefused(["up", "--yes"]);
  });

  it("pulumi up --skip-preview stops before any step, the same way", async () => {
    await expectRefused(["up", "--yes", "--skip-preview"]);
  });

  it("pulumi refresh stops rather than rewrite the state into this build's shape", async () => {
    await expectRefused(["refresh", "--yes", "--skip-preview"]);
  });

  it("pulumi destroy sends nothing and removes the JobReruns from the stack, as for any state", async () => {
    const { result, requests } = await watchRequests(sim, () =>
      workspace.pulumi(onStack(["destroy", "--yes", "--skip-preview"]), { allowFailure: true }),
    );
    expectSucceeded(result);
    expect(requests, describeRequests(requests)).to.have.length(0);
    expect(await jobReruns()).to.deep.equal([]);
  });
});
