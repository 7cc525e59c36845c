/**
 * JobRerun from Python: examples/python, word for word, on the Python SDK installed from the wheel that
 * scripts/build-python-sdk builds, walked in order by the real Pulumi CLI through the stand-in Python language
 * host (scripts/pulumi-cli/cmd/pulumi-language-python, which runs Pulumi's own executor script with the
 * virtual environment Pulumi.yaml names) and the `narrative` provider plugin, against the simulator over
 * loopback. `pulumi install --no-plugins` makes the program's venv/ from its requirements.txt, pip finding
 * pulumi-narrative in the wheel's directory and everything else in the pinned wheelhouse (tests/support/python.ts).
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import { startSimulator, type Simulator } from "../../provider/simulator";
import {
  E2E_ROOT,
  ensurePulumiCli,
  PulumiWorkspace,
  REPO_ROOT,
  runCommand,
} from "../../scripts/pulumi-harness";
import { expectInNoOutput, expectInNoStateFile } from "../support/token-leaks";
import { buildPythonSdk, copyPythonExample, ensurePythonEnvironment, offlinePip } from "../support/python";
import { cleanUpAfter, skipTheRestAfterAFailure } from "../support/e2e";
import { describeRequests, expectSucceeded, SEED_JOB_ID, watchRequests } from "../support/e2e-steps";
import {
  configureLanguageStack,
  failedWaitThenOneRerun,
  LANGUAGE_DURATIONS,
  previewShowsTheTriggerChange,
  redactedServerError,
  refreshSendsOnlyReads,
  sigkillDuringWait,
  upSendsOneForcedPost,
  type LanguageContext,
} from "../support/language-scenarios";

const SNAPSHOT_ID = "1724919539450264600";
/** The schema's pluginDownloadURL as the engine writes it into a default provider's name (":" and "/" folded). */
const DEFAULT_PROVIDER_URL = "github_/api.github.com/narrative-io/pulumi-narrative-jobs";

function methodsAndPaths(requests: readonly { method: string; path: string }[]): string[] {
  return requests.map((request) => `${request.method} ${request.path}`).sort();
}

describe("e2e: a JobRerun from Python (examples/python) through the Python SDK and the narrative plugin", function () {
  // Each CLI command starts Python and the plugin: a few seconds; a case runs up to four.
  this.timeout(180_000);

  const token = `tok-PY-${randomBytes(12).toString("hex")}`;
  const stagingToken = `tok-PYSTAGE-${randomBytes(12).toString("hex")}`;
  let sim: Simulator;
  let staging: Simulator | undefined;
  let workspace: PulumiWorkspace;
  let scratch: string;

  before(async function () {
    // A first ensure-python on this machine downloads and installs the pinned packages.
    this.timeout(900_000);
    await fs.mkdir(E2E_ROOT, { recursive: true });
    scratch = await fs.mkdtemp(path.join(E2E_ROOT, "narrative-python-"));
    const [venv, cliDir] = await Promise.all([ensurePythonEnvironment(), ensurePulumiCli()]);
    const sdk = await buildPythonSdk(path.join(scratch, "dist"));
    sim = await startSimulator({
      frozen: true,
      token,
      durations: LANGUAGE_DURATIONS,
    });
    const dir = path.join(scratch, "program");
    await copyPythonExample(dir);
    const inherited = (process.env["PATH"] ?? "").split(path.delimiter);
    // The plugin on PATH, as `npm install -g pulumi-narrative-jobs` puts it there; here the repository's build.
    const env = {
      PATH: [path.join(REPO_ROOT, "node_modules", ".bin"), cliDir, ...inherited].join(path.delimiter),
      ...offlinePip(venv, sdk.dir),
    };
    workspace = await PulumiWorkspace.create({
      project: "narrative-python",
      dir,
      existingProject: true,
      env,
    });
    await configureLanguageStack(context());
  });

  cleanUpAfter(() => ({ workspaces: [workspace], servers: [sim, staging], dirs: [scratch] }));

  skipTheRestAfterAFailure();

  const context = (): LanguageContext => ({ workspace, sim, token });

  it("1. pulumi install --no-plugins makes venv/ from requirements.txt: pulumi 3.248.0 and pulumi-narrative 0.1.0, pip check clean", async function () {
    this.timeout(300_000);
    const installed = await workspace.pulumi(["install", "--no-plugins"], { timeoutMs: 300_000 });

    expectSucceeded(installed);
    expect(installed.output).to.include("Successfully installed");
    const python = path.join(workspace.dir, "venv", "bin", "python");
    expect(existsSync(python), python).to.equal(true);
    const check = await runCommand(python, ["-m", "pip", "check"], { cwd: workspace.dir });
    expect(check.stdout).to.include("No broken requirements found");
    const versions = await runCommand(
      python,
      ["-c", "import importlib.metadata as m; print(m.version('pulumi'), m.version('pulumi-narrative'))"],
      { cwd: workspace.dir },
    );
    expect(versions.stdout.trim()).to.equal("3.248.0 0.1.0");
  });

  it("2. up creates the JobRerun reading the job only; get_job_output reads it; the big integer is exact", async () => {
    const { result, requests } = await watchRequests(sim, () =>
      workspace.pulumi(["up", "--yes", "--skip-preview"]),
    );

    expectSucceeded(result);
    expect(result.output).to.match(/narrative:index:JobRerun\s+rerun\s+created/);
    // One read for the resource, one for get_job_output; nothing that changes the job.
    expect(methodsAndPaths(requests)).to.deep.equal([`GET /jobs/${SEED_JOB_ID}`, `GET /jobs/${SEED_JOB_ID}`]);
    expect(await workspace.outputs()).to.include({
      state: "completed",
      stateWhenRead: "completed",
      rescheduleCount: 0,
      snapshotId: SNAPSHOT_ID,
    });
    // The host reported the plugin that the SDK's pulumi-plugin.json names, at its version and with its download
    // URL: the engine's default provider for narrative carries both in its name.
    const urns = (await workspace.exportStack()).resources.map((resource) => resource.urn);
    expect(
      urns.some((urn) => urn.endsWith(`::pulumi:providers:narrative::default_0_1_0_${DEFAULT_PROVIDER_URL}`)),
      urns.join("\n"),
    ).to.equal(true);
  });

  it("3. a trigger change: preview shows the update; get_job_output's read is the only request", async () => {
    await previewShowsTheTriggerChange(context(), { reads: [`GET /jobs/${SEED_JOB_ID}`] });
  });

  it('4. up sends exactly one POST {"force":true}; the outputs hold the result', () =>
    upSendsOneForcedPost(context()));

  it("5. refresh reads the job and sends nothing else", () => refreshSendsOnlyReads(context()));

  it('6. wait_for="terminal": a failed run fails the up with the job\'s message; the next up reruns it once', () =>
    failedWaitThenOneRerun(context(), { sqlHash: "v3", rescheduleTimeoutMs: 120_000 }));

  it("7. a 500 that echoes the token, escaped, fails the up with the token [REDACTED]", () =>
    redactedServerError(context(), { sqlHash: "v4" }));

  // The language host, the Python program and the plugin each watch the engine and end without it.
  it("8. SIGKILL of the CLI during a wait leaves no process behind; after pulumi cancel the next up applies no second reschedule", () =>
    sigkillDuringWait(context(), { sqlHash: "v5" }));

  it("9. an explicit narrative.Provider with a secret token: its resource reads with that token, from its API", async () => {
    staging = await startSimulator({ frozen: true, token: stagingToken });
    await workspace.setConfig("waitFor", "none");
    await workspace.setConfig("stagingApiUrl", staging.url);
    await workspace.setConfig("stagingJobId", SEED_JOB_ID);
    await workspace.setConfig("stagingToken", stagingToken, { secret: true });
    const stagingSim = staging;

    const { result, writes } = await watchRequests(sim, () =>
      watchRequests(stagingSim, () => workspace.pulumi(["up", "--yes", "--skip-preview"])),
    );

    expectSucceeded(result.result);
    expect(result.result.output).to.match(/narrative:index:JobRerun\s+staging-rerun\s+created/);
    expect(
      result.requests.map((request) => `${request.method} ${request.path} ${request.authorized}`),
    ).to.deep.equal([`GET /jobs/${SEED_JOB_ID} true`]);
    expect(writes, "nothing sent to the default provider's API but get_job_output's read").to.deep.equal([]);
    expect(await workspace.outputs()).to.include({ stagingState: "completed" });
    const { resources } = await workspace.exportStack();
    const provider = resources.find((resource) =>
      resource.urn.endsWith("::pulumi:providers:narrative::staging"),
    );
    expect(JSON.stringify(provider?.inputs?.["token"])).to.include("ciphertext");
  });

  it("10. the tokens are in no state file and no output; destroy sends nothing and empties the stack", async () => {
    const stagingSim = staging;
    if (stagingSim === undefined) {
      throw new Error("case 9 starts the staging simulator");
    }
    const { result, requests } = await watchRequests(sim, () =>
      watchRequests(stagingSim, () => workspace.pulumi(["destroy", "--yes"])),
    );

    expectSucceeded(result.result);
    expect([...requests, ...result.requests], describeRequests(requests)).to.deep.equal([]);
    expect((await workspace.exportStack()).resources).to.have.length(0);
    await expectInNoStateFile(workspace, token, stagingToken);
    expectInNoOutput(workspace, token, stagingToken);
  });
});
