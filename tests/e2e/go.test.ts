/**
 * JobRerun from Go: examples/go, a Go program on the SDK generated from the schema (sdk/go), walked in order by
 * the real Pulumi CLI through the stand-in Go language host (scripts/pulumi-cli/cmd/pulumi-language-go, which
 * builds the program with `go build`) and the `narrative` provider plugin, against the simulator over loopback.
 * The program is a copy of examples/go whose `replace` points at this repository's sdk/go.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
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
import { cleanUpAfter, skipTheRestAfterAFailure } from "../support/e2e";
import { describeRequests, expectSucceeded, SEED_JOB_ID, watchRequests } from "../support/e2e-steps";
import {
  configureLanguageStack,
  failedWaitFailsTheUp,
  LANGUAGE_DURATIONS,
  previewShowsTheTriggerChange,
  refreshSendsOnlyReads,
  upSendsOneForcedPost,
  type LanguageContext,
} from "../support/language-scenarios";

const SNAPSHOT_ID = "1724919539450264600";
const EXAMPLE = path.join(REPO_ROOT, "examples", "go");
const SDK_MODULE = "github.com/narrative-io/pulumi-narrative-jobs/sdk/go";

/** examples/go copied under .e2e/, its `replace` made absolute so that it still finds this repository's SDK. */
async function goProgram(): Promise<string> {
  await fs.mkdir(E2E_ROOT, { recursive: true });
  const dir = await fs.mkdtemp(path.join(E2E_ROOT, "narrative-go-"));
  for (const file of ["Pulumi.yaml", "main.go", "go.mod", "go.sum"]) {
    await fs.copyFile(path.join(EXAMPLE, file), path.join(dir, file));
  }
  await runCommand("go", ["mod", "edit", `-replace=${SDK_MODULE}=${path.join(REPO_ROOT, "sdk", "go")}`], {
    cwd: dir,
    env: { ...process.env, GOFLAGS: "-mod=mod" },
  });
  return dir;
}

describe("e2e: a JobRerun from Go (examples/go) through the Go SDK and the narrative plugin", function () {
  // Every command builds the program first, linking even with Go's build cache warm (CONTRIBUTING.md, The
  // Pulumi CLI, has the times).
  this.timeout(240_000);

  const token = `tok-GO-${randomBytes(12).toString("hex")}`;
  let sim: Simulator;
  let workspace: PulumiWorkspace;

  before(async function () {
    // The first build of a Pulumi Go program compiles the Go SDK: minutes on 2 cores with a cold cache.
    this.timeout(900_000);
    sim = await startSimulator({
      frozen: true,
      token,
      durations: LANGUAGE_DURATIONS,
    });
    const dir = await goProgram();
    const inherited = (process.env["PATH"] ?? "").split(path.delimiter);
    // The plugin on PATH, as `npm install -g pulumi-narrative-jobs` puts it there (plugin-install.test.ts proves
    // that path with the packed package); here the repository's own build.
    const env = {
      PATH: [path.join(REPO_ROOT, "node_modules", ".bin"), await ensurePulumiCli(), ...inherited].join(
        path.delimiter,
      ),
    };
    workspace = await PulumiWorkspace.create({ project: "narrative-go", dir, existingProject: true, env });
    await configureLanguageStack(context());
  });

  cleanUpAfter(() => ({ workspaces: [workspace], servers: [sim] }));

  skipTheRestAfterAFailure();

  const context = (): LanguageContext => ({ workspace, sim, token });

  it("1. up creates the JobRerun reading the job only; getJob reads it too; the job is stored exactly", async function () {
    this.timeout(900_000);
    const { result, requests } = await watchRequests(sim, () =>
      workspace.pulumi(["up", "--yes", "--skip-preview"], { timeoutMs: 900_000 }),
    );

    expectSucceeded(result);
    expect(result.output).to.match(/narrative:index:JobRerun\s+rerun\s+created/);
    // One read for the resource, one for getJob; nothing that changes the job.
    expect(requests.map((request) => `${request.method} ${request.path}`)).to.deep.equal([
      `GET /jobs/${SEED_JOB_ID}`,
      `GET /jobs/${SEED_JOB_ID}`,
    ]);
    expect(await workspace.outputs()).to.include({
      state: "completed",
      stateWhenRead: "completed",
      rescheduleCount: 0,
      snapshotId: SNAPSHOT_ID,
    });
  });

  // getJob's read is the only request.
  it("2. a trigger change: preview shows the update and sends nothing that changes the job", async () => {
    await previewShowsTheTriggerChange(context(), { reads: [`GET /jobs/${SEED_JOB_ID}`] });
  });

  it('3. up sends exactly one POST {"force":true}; the outputs hold the result exactly', () =>
    upSendsOneForcedPost(context()));

  it("4. refresh reads the job and sends nothing else", () => refreshSendsOnlyReads(context()));

  it("5. waitFor terminal: a failed run fails the up with the job's messages, the reschedule recorded", async () => {
    await failedWaitFailsTheUp(context(), {
      sqlHash: "v3",
      rescheduleTimeoutMs: 120_000,
      alsoStored: { rescheduleCount: 2 },
    });
  });

  it("6. the token is in no state file and no output; destroy sends nothing", async () => {
    const { result, requests } = await watchRequests(sim, () => workspace.pulumi(["destroy", "--yes"]));

    expectSucceeded(result);
    expect(requests, describeRequests(requests)).to.deep.equal([]);
    await expectInNoStateFile(workspace, token);
    expectInNoOutput(workspace, token);
  });
});
