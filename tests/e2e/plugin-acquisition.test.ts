/**
 * The standalone plugin installed by the Pulumi CLI itself, from a release server on loopback serving what
 * `npm run plugin-archives` made: `pulumi plugin install resource narrative <version> --server <url>` (with and
 * without the checksum from the checksums file), and automatic acquisition, where a program with an empty
 * PULUMI_HOME, no plugin and no `node` on PATH gets the plugin downloaded and run by the CLI: a Pulumi YAML
 * program (the `pluginDownloadURL` resource option) and a Go program on the generated SDK, whose URL (the
 * schema's, GitHub releases) the CLI's PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES points at the server here.
 *
 * A program of another language is one more entry in ACQUIRING_PROGRAMS.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { existsSync, promises as fs, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startSimulator, type Simulator } from "../../provider/simulator";
import { ensurePulumiCli, PulumiWorkspace, REPO_ROOT, runCommand } from "../../scripts/pulumi-harness";
import { expectInNoOutput } from "../support/token-leaks";
import {
  buildArchives,
  nodelessPath,
  sha256,
  startReleaseServer,
  unpack,
  VERSION,
  type Archives,
  type ReleaseServer,
} from "../support/standalone";
import { describeRequests, expectSucceeded, SEED_JOB_ID, watchRequests } from "../support/e2e-steps";
import { cleanUpAfter } from "../support/e2e";
import { buildPythonSdk, copyPythonExample, ensurePythonEnvironment, offlinePip } from "../support/python";

const ARCHIVE = `pulumi-resource-narrative-v${VERSION}-linux-amd64.tar.gz`;
const INSTALLED = path.join("plugins", `resource-narrative-v${VERSION}`, "pulumi-resource-narrative");
/** The download URL the schema gives every SDK (scripts/schema.ts). */
const SCHEMA_DOWNLOAD_URL = (
  JSON.parse(readFileSync(path.join(REPO_ROOT, "schema.json"), "utf8")) as { pluginDownloadURL: string }
).pluginDownloadURL;
const GO_SDK_MODULE = "github.com/narrative-io/pulumi-narrative-jobs/sdk/go";

/** One JobRerun, the plugin found nowhere but in Pulumi's plugin cache. */
const CACHED_ONLY = `name: narrative-installed
runtime: yaml
resources:
  rerun:
    type: narrative:index:JobRerun
    properties:
      jobId: ${SEED_JOB_ID}
      triggers: v1
outputs:
  state: \${rerun.state}
`;

interface ProgramSetUp {
  /** Commands the program needs on PATH beside the CLI and the YAML host, by name. */
  commands: Record<string, string>;
  /** Environment on top of the harness's. */
  env: NodeJS.ProcessEnv;
}

interface AcquiringProgram {
  language: string;
  /** Writes the project into `dir`, its plugin to come from `server`. */
  setUp(dir: string, server: ReleaseServer): Promise<ProgramSetUp>;
  /** The first `pulumi up` may build the program (Go): minutes with a cold build cache. */
  firstUpTimeoutMs: number;
}

const ACQUIRING_PROGRAMS: readonly AcquiringProgram[] = [
  {
    language: "Pulumi YAML, the pluginDownloadURL resource option",
    firstUpTimeoutMs: 180_000,
    async setUp(dir, server) {
      await fs.writeFile(
        path.join(dir, "Pulumi.yaml"),
        `name: narrative-acquired
runtime: yaml
config:
  jobId:
    type: string
  sqlHash:
    type: string
resources:
  rerun:
    type: narrative:index:JobRerun
    properties:
      jobId: \${jobId}
      triggers:
        sql: \${sqlHash}
    options:
      version: ${VERSION}
      pluginDownloadURL: ${server.url}
outputs:
  outcome: \${rerun.outcome}
`,
      );
      return { commands: {}, env: {} };
    },
  },
  {
    language: "Go, the generated SDK's pluginDownloadURL (overridden to the server here)",
    firstUpTimeoutMs: 900_000,
    async setUp(dir, server) {
      const example = path.join(REPO_ROOT, "examples", "go");
      for (const file of ["Pulumi.yaml", "main.go", "go.mod", "go.sum"]) {
        await fs.copyFile(path.join(example, file), path.join(dir, file));
      }
      const go = await goCommand();
      await runCommand(
        go,
        ["mod", "edit", `-replace=${GO_SDK_MODULE}=${path.join(REPO_ROOT, "sdk", "go")}`],
        {
          cwd: dir,
        },
      );
      const cli = await ensurePulumiCli();
      return {
        commands: { go, "pulumi-language-go": path.join(cli, "pulumi-language-go") },
        // The regular expression is matched against the SDK's URL; the CLI asks the server for the same asset.
        env: { PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES: `^${escapeRegExp(SCHEMA_DOWNLOAD_URL)}$=${server.url}` },
      };
    },
  },
  {
    language: "Python, the wheel's pluginDownloadURL (overridden to the server here)",
    // The first up makes the program's venv/ and installs requirements.txt into it, from local wheels.
    firstUpTimeoutMs: 300_000,
    async setUp(dir, server) {
      const [venv, cli] = await Promise.all([ensurePythonEnvironment(), ensurePulumiCli()]);
      const sdk = await buildPythonSdk(path.join(path.dirname(dir), `${path.basename(dir)}-dist`));
      await copyPythonExample(dir);
      return {
        // The venv's python3 alone (its directory holds pip, not node), to make the program's venv with.
        commands: {
          python3: path.join(venv, "bin", "python3"),
          "pulumi-language-python": path.join(cli, "pulumi-language-python"),
        },
        env: {
          ...offlinePip(venv, sdk.dir),
          PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES: `^${escapeRegExp(SCHEMA_DOWNLOAD_URL)}$=${server.url}`,
        },
      };
    },
  },
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function goCommand(): Promise<string> {
  const found = await runCommand("sh", ["-c", "command -v go"], { allowFailure: true });
  const go = found.code === 0 ? found.stdout.trim() : "/usr/local/go/bin/go";
  if (!existsSync(go)) {
    throw new Error("the Go program needs Go (https://go.dev/doc/install)");
  }
  return go;
}

describe("e2e: the standalone plugin installed by the Pulumi CLI from a release server", function () {
  this.timeout(180_000);

  const token = `tok-ACQUIRE-${randomBytes(12).toString("hex")}`;
  let built: Archives;
  let released: string;
  let server: ReleaseServer;
  let sim: Simulator;
  const workspaces: PulumiWorkspace[] = [];
  const dirs: string[] = [];

  before(async function () {
    this.timeout(600_000);
    built = await buildArchives(["linux-amd64"]);
    const unpacked = await unpack(built.archives["linux-amd64"] ?? "");
    released = path.join(unpacked, "pulumi-resource-narrative");
    dirs.push(built.dir, unpacked);
    server = await startReleaseServer(built.dir);
    sim = await startSimulator({ frozen: true, token });
  });

  cleanUpAfter(() => ({ workspaces, servers: [server, sim], dirs }));

  /** A project in a new directory outside the repository, its PATH only `commands` (no node), a fresh home. */
  async function project(
    name: string,
    write: (dir: string) => Promise<ProgramSetUp>,
    acquisition: "on" | "off",
  ): Promise<PulumiWorkspace> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), `${name}-`));
    dirs.push(dir);
    const { commands, env } = await write(dir);
    const bin = await nodelessPath(commands);
    dirs.push(bin);
    const workspace = await PulumiWorkspace.create({
      project: name,
      dir,
      existingProject: true,
      removeDir: false,
      env: {
        ...env,
        PATH: bin,
        // Left unset, automatic acquisition is on: the harness turns it off for every other test.
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: acquisition === "on" ? undefined : "true",
      },
    });
    workspaces.push(workspace);
    expect(existsSync(path.join(workspace.homeDir, "plugins")), "an empty PULUMI_HOME").to.equal(false);
    return workspace;
  }

  it("pulumi plugin install --server installs the released archive, whose checksum is the listed one; a YAML program then runs it", async () => {
    const workspace = await project(
      "narrative-installed",
      async (dir) => {
        await fs.writeFile(path.join(dir, "Pulumi.yaml"), CACHED_ONLY);
        return { commands: {}, env: {} };
      },
      "off",
    );
    // The check a user makes of a release: the archive and the checksums file, both downloaded, then sha256sum.
    const download = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-download-"));
    dirs.push(download);
    for (const name of [ARCHIVE, path.basename(built.checksums)]) {
      const response = await fetch(`${server.url}/${name}`);
      expect(response.status, name).to.equal(200);
      await fs.writeFile(path.join(download, name), Buffer.from(await response.arrayBuffer()));
    }
    const checked = await runCommand(
      "sha256sum",
      ["-c", "--ignore-missing", path.basename(built.checksums)],
      {
        cwd: download,
      },
    );
    expect(checked.stdout).to.include(`${ARCHIVE}: OK`);
    const before = server.requests.length;

    // No --checksum: CLI 3.248.0 leaves the last bytes an HTTP/1.1 response delivers out of the sum it checks
    // (docs/install-plugin.md), so it refuses even the right archive from a server like this one.
    await workspace.pulumi(["plugin", "install", "resource", "narrative", VERSION, "--server", server.url]);

    expect(server.requests.slice(before)).to.deep.equal([`/${ARCHIVE}`]);
    expect(await sha256(path.join(workspace.homeDir, INSTALLED))).to.equal(await sha256(released));
    const listed = await workspace.pulumi(["plugin", "ls"]);
    expect(listed.stdout).to.match(new RegExp(`narrative\\s+resource\\s+${VERSION.replace(/\./g, "\\.")}`));
    await workspace.configureNarrative(sim.url, token);
    const { result, writes } = await watchRequests(sim, () =>
      workspace.pulumi(["up", "--yes", "--skip-preview"]),
    );
    expectSucceeded(result);
    expect(writes).to.deep.equal([]);
    expect(await workspace.outputs()).to.include({ state: "completed" });
  });

  for (const program of ACQUIRING_PROGRAMS) {
    it(`automatic acquisition, ${program.language}: downloaded, checked and run; create, one forced POST, destroy`, async function () {
      this.timeout(program.firstUpTimeoutMs + 180_000);
      const workspace = await project("narrative-acquired", (dir) => program.setUp(dir, server), "on");
      await workspace.configureNarrative(sim.url, token);
      await workspace.setConfig("jobId", SEED_JOB_ID);
      await workspace.setConfig("sqlHash", "v1");
      const before = server.requests.length;

      const created = await watchRequests(sim, () =>
        workspace.pulumi(["up", "--yes", "--skip-preview"], { timeoutMs: program.firstUpTimeoutMs }),
      );

      expectSucceeded(created.result);
      expect(created.result.output).to.match(/narrative:index:JobRerun\s+rerun\s+created/);
      expect(server.requests.slice(before), "the archive, downloaded once").to.deep.equal([`/${ARCHIVE}`]);
      expect(await sha256(path.join(workspace.homeDir, INSTALLED)), "the released executable").to.equal(
        await sha256(released),
      );
      expect(created.writes, describeRequests(created.requests)).to.deep.equal([]);

      await workspace.setConfig("sqlHash", "v2");
      const updated = await watchRequests(sim, () => workspace.pulumi(["up", "--yes", "--skip-preview"]));
      expectSucceeded(updated.result);
      expect(
        updated.writes.map((request) => `${request.method} ${request.path} ${request.body}`),
      ).to.deep.equal([`POST /jobs/${SEED_JOB_ID}/reschedule {"force":true}`]);
      expect(await workspace.outputs()).to.include({ outcome: "rescheduled" });

      const destroyed = await watchRequests(sim, () =>
        workspace.pulumi(["destroy", "--yes", "--skip-preview"]),
      );
      expectSucceeded(destroyed.result);
      expect(destroyed.writes).to.deep.equal([]);
      expect(server.requests.slice(before), "no second download").to.deep.equal([`/${ARCHIVE}`]);
      expectInNoOutput(workspace, token);
    });
  }
});
