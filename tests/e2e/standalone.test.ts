/**
 * The standalone `pulumi-resource-narrative` with no Node.js: its release archives as `npm run plugin-archives`
 * makes them, the linux-amd64 executable started with a PATH that holds no `node` (its first gRPC answers, then a
 * Pulumi YAML program's whole lifecycle through the real CLI against the simulator), and the linux-arm64 one
 * under Debian's qemu-user.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { existsSync, promises as fs, statSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startSimulator, type Simulator } from "../../provider/simulator";
import { E2E_ROOT, PulumiWorkspace, REPO_ROOT, runCommand } from "../../scripts/pulumi-harness";
import { expectInNoOutput, expectInNoStateFile } from "../support/token-leaks";
import { describeRequests, expectSucceeded, SEED_JOB_ID, watchRequests } from "../support/e2e-steps";
import {
  askPlugin,
  buildArchives,
  nodelessPath,
  nodesOn,
  sha256,
  unpack,
  VERSION,
  type Archives,
} from "../support/standalone";
import { cleanUpAfter, skipTheRestAfterAFailure } from "../support/e2e";
import { configureLanguageStack } from "../support/language-scenarios";
import { yamlProgram } from "../support/yaml-program";

const SNAPSHOT_ID = "1724919539450264600";
const SCHEMA = path.join(REPO_ROOT, "schema.json");
/** Debian's qemu-user and the arm64 C libraries it runs an arm64 executable with (.ci/run installs them). */
const QEMU = "/usr/bin/qemu-aarch64";
const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";
/** Debian's Wine (package wine64, which .ci/run installs), to run the windows-amd64 executable. */
const WINE = "/usr/lib/wine/wine64";

describe("e2e: the standalone plugin, with no Node.js on the machine's PATH", function () {
  this.timeout(180_000);

  const token = `tok-SEA-${randomBytes(12).toString("hex")}`;
  let built: Archives;
  let amd64: string;
  let arm64: string;
  let windows: string;
  let nodeless: string;
  let sim: Simulator;
  let workspace: PulumiWorkspace | undefined;
  const dirs: string[] = [];

  before(async function () {
    // Bundling and three injections take a while; the first build on a machine also fetches three Node.js
    // packages of tens of MB each.
    this.timeout(600_000);
    built = await buildArchives(["linux-amd64", "linux-arm64", "windows-amd64"]);
    amd64 = await unpack(built.archives["linux-amd64"] ?? "");
    arm64 = await unpack(built.archives["linux-arm64"] ?? "");
    windows = await unpack(built.archives["windows-amd64"] ?? "");
    nodeless = await nodelessPath();
    dirs.push(built.dir, amd64, arm64, windows, nodeless);
    sim = await startSimulator({ frozen: true, token });
  });

  cleanUpAfter(() => ({ workspaces: [workspace], servers: [sim], dirs }));

  it("each archive holds the executable, LICENSE, README.md and the third-party notices; the checksums match", async () => {
    const unpacked = { "linux-amd64": amd64, "linux-arm64": arm64, "windows-amd64": windows };
    const lines: string[] = [];
    for (const [target, dir] of Object.entries(unpacked)) {
      const archive = built.archives[target] ?? "";
      const name = `pulumi-resource-narrative-v${VERSION}-${target}.tar.gz`;
      const executable = target.startsWith("windows")
        ? "pulumi-resource-narrative.exe"
        : "pulumi-resource-narrative";
      expect(path.basename(archive)).to.equal(name);
      expect((await fs.readdir(dir)).sort()).to.deep.equal(
        ["LICENSE", "README.md", "THIRD-PARTY-NOTICES", executable].sort(),
      );
      expect(statSync(path.join(dir, executable)).mode & 0o777).to.equal(0o755);
      expect(await fs.readFile(path.join(dir, "LICENSE"), "utf8")).to.equal(
        await fs.readFile(path.join(REPO_ROOT, "LICENSE"), "utf8"),
      );
      const notices = await fs.readFile(path.join(dir, "THIRD-PARTY-NOTICES"), "utf8");
      expect(notices).to.include("Node.js").and.include("@grpc/grpc-js@").and.include("google-protobuf@");
      lines.push(`${await sha256(archive)}  ${name}`);
    }
    const listed = (await fs.readFile(built.checksums, "utf8")).trim().split("\n");
    expect([...listed].sort(), "one line per archive, any order").to.deep.equal(lines.sort());
    // The npm package stays JavaScript: package-contents.test.ts checks that no executable got into it.
  });

  it("npm run release -- check-assets names what a release would still lack, and finds these three archives right", async () => {
    const checked = await runCommand("npm", ["run", "--silent", "release", "--", "check-assets", built.dir], {
      cwd: REPO_ROOT,
      allowFailure: true,
    });

    expect(checked.code).to.equal(1);
    expect(checked.stderr.trim().split("\n").sort()).to.deep.equal(
      [
        `release: missing: pulumi-resource-narrative-v${VERSION}-darwin-amd64.tar.gz`,
        `release: missing: pulumi-resource-narrative-v${VERSION}-darwin-arm64.tar.gz`,
        `release: missing: pulumi-narrative-jobs-${VERSION}.tgz`,
        `release: missing: pulumi_narrative-${VERSION}.tar.gz`,
        `release: missing: pulumi_narrative-${VERSION}-py3-none-any.whl`,
      ].sort(),
    );
  });

  it("linux-amd64, started with a PATH holding no node, answers GetPluginInfo and GetSchema", async () => {
    expect(nodesOn(nodeless)).to.deep.equal([]);

    const answers = await askPlugin(path.join(amd64, "pulumi-resource-narrative"), [], { PATH: nodeless });

    expect(answers.version).to.equal(VERSION);
    expect(JSON.parse(answers.schema)).to.deep.equal(JSON.parse(await fs.readFile(SCHEMA, "utf8")));
  });

  it("linux-arm64 under qemu-user answers GetPluginInfo and GetSchema the same", async function () {
    // qemu-user translates every instruction: Node.js starts in seconds rather than a fraction of one.
    this.timeout(300_000);
    expect(existsSync(QEMU), `${QEMU} (Debian's qemu-user; .ci/run installs it)`).to.equal(true);
    const file = await runCommand("file", ["-b", path.join(arm64, "pulumi-resource-narrative")], {
      allowFailure: true,
    });
    if (file.code === 0) {
      expect(file.stdout).to.match(/ARM aarch64/);
    }

    const answers = await askPlugin(
      QEMU,
      ["-L", ARM64_SYSROOT, path.join(arm64, "pulumi-resource-narrative")],
      { PATH: nodeless },
      { timeoutMs: 240_000 },
    );

    expect(answers.version).to.equal(VERSION);
    expect(JSON.parse(answers.schema)).to.deep.equal(JSON.parse(await fs.readFile(SCHEMA, "utf8")));
  });

  it("windows-amd64 under Wine answers GetPluginInfo and GetSchema the same", async function () {
    // A new Wine prefix takes seconds to make; Node.js 20 refuses Wine's default, Windows 7, so it says Windows 10.
    this.timeout(300_000);
    expect(existsSync(WINE), `${WINE} (Debian's wine64; .ci/run installs it)`).to.equal(true);
    const prefix = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-wine-"));
    dirs.push(prefix);
    const env = { PATH: nodeless, HOME: os.homedir(), WINEPREFIX: prefix, WINEDEBUG: "-all" };
    try {
      await runCommand(WINE, ["winecfg", "/v", "win10"], { env, timeoutMs: 240_000 });

      const answers = await askPlugin(WINE, [path.join(windows, "pulumi-resource-narrative.exe")], env, {
        timeoutMs: 120_000,
        outputToFiles: true,
      });

      expect(answers.version).to.equal(VERSION);
      expect(JSON.parse(answers.schema)).to.deep.equal(JSON.parse(await fs.readFile(SCHEMA, "utf8")));
    } finally {
      // Wine's server outlives the programs it ran by a few seconds.
      await runCommand("/usr/lib/wine/wineserver64", ["-k"], { env, allowFailure: true });
    }
  });

  describe("a Pulumi YAML program through the real CLI, PATH holding no node", () => {
    skipTheRestAfterAFailure();

    before(async function () {
      this.timeout(120_000);
      await fs.mkdir(E2E_ROOT, { recursive: true });
      const dir = await fs.mkdtemp(path.join(E2E_ROOT, "narrative-standalone-"));
      await fs.writeFile(path.join(dir, "Pulumi.yaml"), yamlProgram("narrative-standalone", amd64));
      // PATH is the node-less directory for every command, and so for every plugin the CLI starts.
      const ws = await PulumiWorkspace.create({
        project: "narrative-standalone",
        dir,
        existingProject: true,
        removeDir: true,
        env: { PATH: nodeless },
      });
      workspace = ws;
      await configureLanguageStack({ workspace: ws, sim, token });
    });

    const ws = (): PulumiWorkspace => {
      if (workspace === undefined) {
        throw new Error("no workspace");
      }
      return workspace;
    };

    it("1. up creates the JobRerun: it reads the job and sends nothing else", async () => {
      const { result, requests } = await watchRequests(sim, () => ws().pulumi(["up", "--yes"]));

      expectSucceeded(result);
      expect(result.output).to.match(/narrative:index:JobRerun\s+rerun\s+created/);
      expect(requests.map((request) => `${request.method} ${request.path}`)).to.deep.equal([
        `GET /jobs/${SEED_JOB_ID}`,
      ]);
      expect(await ws().outputs()).to.include({
        state: "completed",
        rescheduleCount: 0,
        snapshotId: SNAPSHOT_ID,
      });
      // The release that wrote the state, from the package.json bundled into the executable.
      const { resources } = await ws().exportStack();
      const rerun = resources.find((resource) => resource.type === "narrative:index:JobRerun");
      expect(rerun?.outputs).to.deep.include({ writtenBy: VERSION });
    });

    it("2. a trigger change: preview shows the update and sends nothing", async () => {
      await ws().setConfig("sqlHash", "v2");

      const { result, requests } = await watchRequests(sim, () => ws().pulumi(["preview", "--diff"]));

      expectSucceeded(result);
      expect(result.output).to.match(/~ sql: "v1" => "v2"/);
      expect(requests, describeRequests(requests)).to.deep.equal([]);
    });

    it('3. up sends exactly one POST {"force":true}', async () => {
      const { result, requests } = await watchRequests(sim, () =>
        ws().pulumi(["up", "--yes", "--skip-preview"]),
      );

      expectSucceeded(result);
      expect(
        requests.map((request) => `${request.method} ${request.path} ${request.body}`.trim()),
      ).to.deep.equal([`GET /jobs/${SEED_JOB_ID}`, `POST /jobs/${SEED_JOB_ID}/reschedule {"force":true}`]);
      expect(await ws().outputs()).to.include({ outcome: "rescheduled", rescheduleCount: 1 });
    });

    it("4. refresh reads the job and sends nothing else", async () => {
      const { result, requests } = await watchRequests(sim, () =>
        ws().pulumi(["refresh", "--yes", "--skip-preview"]),
      );

      expectSucceeded(result);
      expect(requests.map((request) => `${request.method} ${request.path}`)).to.deep.equal([
        `GET /jobs/${SEED_JOB_ID}`,
      ]);
    });

    it("5. destroy sends nothing and empties the stack; the token is in no output or state file", async () => {
      const { result, requests } = await watchRequests(sim, () => ws().pulumi(["destroy", "--yes"]));

      expectSucceeded(result);
      expect(requests, describeRequests(requests)).to.deep.equal([]);
      expect((await ws().exportStack()).resources).to.have.length(0);
      await expectInNoStateFile(ws(), token);
      expectInNoOutput(ws(), token);
      // Every command ran with the node-less PATH.
      expect(ws().env["PATH"]).to.equal(nodeless);
    });
  });
});
