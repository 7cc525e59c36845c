/**
 * The compatibility suite (`npm run test:compat`, run by .ci/run): the package as npm would publish it,
 * installed into fresh programs outside this repository with each package manager and module system users
 * have, each driven through the real Pulumi CLI against the simulator: create, change the triggers, preview
 * (no request), up (exactly one reschedule), refresh (one read), destroy (no request). Each cell starts from
 * an empty directory; package managers and their caches are shared between cells (package-managers.ts).
 *
 * At the end it prints the matrix (cell, result, seconds), which docs/package-managers.md lists.
 *
 * @shards 3: the cells are independent and each spends minutes installing and waiting on the Pulumi CLI, so
 * scripts/run-tests.js runs a third of them in each of three processes side by side (see inThisShard below).
 */
import { expect } from "chai";
import { existsSync, promises as fs, readFileSync, realpathSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startSimulator, type Simulator } from "../../provider/simulator";
import {
  distinctiveToken,
  ensurePulumiCli,
  offlineEnvironment,
  PulumiWorkspace,
  REPO_ROOT,
  runCommand,
  type CliResult,
} from "../../scripts/pulumi-harness";
import { expectInstalledCopy, packedTarball, PULUMI_SDK } from "../support/packing";
import {
  describeRequests,
  destroySendsNothing,
  expectSucceeded,
  FIRST_TRIGGERS,
  previewShowsTheRerun,
  refreshReadsTheJob,
  SEED_JOB_ID,
  upCreatesWithoutRescheduling,
  upReschedulesOnce,
  watchRequests,
  type LifecycleContext,
} from "../support/e2e-steps";
import {
  COMPAT_CACHE,
  ensureTool,
  install,
  installByShellLine,
  TOOLS,
  type ToolName,
} from "../support/package-managers";
import { proxyCases, startProxiedApi, type ProxiedApi } from "../support/proxy-cell";
import { inThisShard } from "../support/shard";
import { PROJECT_NAME, RESOURCE_NAME, writeProgram, type ProgramKind } from "../support/compat-programs";

const DEV_DEPENDENCIES = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
  version: string;
  devDependencies: Record<string, string>;
};
/** What a TypeScript program needs beside the package, at the versions this repository develops with. */
const TYPESCRIPT_DEPENDENCIES = Object.fromEntries(
  ["typescript", "ts-node", "@types/node"].map((name) => [
    name,
    DEV_DEPENDENCIES.devDependencies[name] ?? "",
  ]),
);
const PULUMI_SDK_VERSION = PULUMI_SDK.slice(PULUMI_SDK.lastIndexOf("@") + 1);
/** The lowest @pulumi/pulumi the package's peer dependency range allows. */
const LOWEST_PULUMI_SDK_VERSION = "3.139.0";

/**
 * The README's install lines, word for word: the `npm install` lines of the first sh block under
 * "## Install".
 */
export function readmeInstallLines(): string[] {
  const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  const section = /^## Install\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? "";
  const block = /^```sh\n([\s\S]*?)^```/m.exec(section)?.[1] ?? "";
  return block.split("\n").filter((line) => line.startsWith("npm install "));
}

interface Cell {
  name: string;
  /** Writes the program into `root` and installs its dependencies; returns the Pulumi project's directory. */
  prepare(root: string, tarball: string): Promise<string>;
  /** Checks on the installed program, before the Pulumi CLI runs it. */
  checkInstall?(projectDir: string): void;
  scenario: "lifecycle" | "through-a-library" | "automation" | "plug-n-play" | "through-a-proxy";
  /** The package manager that installs it: the cells of one share a process when the suite is split. */
  manager: "npm" | ToolName;
}

/** Package.json dependencies: the packed package and the given @pulumi/pulumi, plus TypeScript's tools. */
function manifest(
  tarball: string,
  kind: ProgramKind,
  pulumiVersion = PULUMI_SDK_VERSION,
): { dependencies: Record<string, string>; devDependencies: Record<string, string> } {
  return {
    dependencies: { "pulumi-narrative-jobs": `file:${tarball}`, "@pulumi/pulumi": pulumiVersion },
    devDependencies: kind === "javascript" ? {} : TYPESCRIPT_DEPENDENCIES,
  };
}

function installedVersion(projectDir: string, name: string): string {
  const file = path.join(projectDir, "node_modules", name, "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

async function pnpm(args: readonly string[], dir: string): Promise<CliResult> {
  const store = ["--store-dir", path.join(COMPAT_CACHE, "pnpm-store")];
  return install(
    await ensureTool("pnpm"),
    [...args, ...store, "--prefer-offline", "--no-frozen-lockfile"],
    dir,
  );
}

const CELLS: Cell[] = [
  {
    name: "npm, TypeScript, the README's install lines",
    manager: "npm",
    scenario: "lifecycle",
    async prepare(root, tarball) {
      // The one stand-in: package.json names the tarball for pulumi-narrative-jobs, so the README's
      // `npm install pulumi-narrative-jobs` keeps that spec instead of asking the registry for the name.
      await writeProgram(root, "typescript", {
        dependencies: { "pulumi-narrative-jobs": `file:${tarball}` },
      });
      const lines = readmeInstallLines();
      expect(lines, "the README's install lines").to.have.length(2);
      for (const line of lines) {
        await installByShellLine(line, root);
      }
      return root;
    },
    checkInstall(projectDir) {
      expect(installedVersion(projectDir, "typescript")).to.match(/^5\./);
      expect(installedVersion(projectDir, "ts-node")).to.match(/^10\./);
    },
  },
  {
    name: `pnpm ${TOOLS.pnpm.version} (isolated node_modules), TypeScript`,
    manager: "pnpm",
    scenario: "lifecycle",
    async prepare(root, tarball) {
      await writeProgram(root, "typescript", manifest(tarball, "typescript"));
      await fs.writeFile(path.join(root, ".npmrc"), "node-linker=isolated\n");
      await pnpm(["install"], root);
      return root;
    },
    checkInstall(projectDir) {
      // Isolated: only the project's own dependencies at the top, everything else under .pnpm.
      expect(existsSync(path.join(projectDir, "node_modules", ".pnpm"))).to.equal(true);
      expect(existsSync(path.join(projectDir, "node_modules", "node-fetch"))).to.equal(false);
    },
  },
  {
    name: `Yarn ${TOOLS.yarnClassic.version} (classic), TypeScript`,
    manager: "yarnClassic",
    scenario: "lifecycle",
    async prepare(root, tarball) {
      await writeProgram(root, "typescript", manifest(tarball, "typescript"));
      await install(
        await ensureTool("yarnClassic"),
        ["install", "--non-interactive", "--prefer-offline"],
        root,
      );
      return root;
    },
  },
  {
    name: `Yarn ${TOOLS.yarnBerry.version}, nodeLinker: node-modules, TypeScript`,
    manager: "yarnBerry",
    scenario: "lifecycle",
    async prepare(root, tarball) {
      await writeProgram(root, "typescript", manifest(tarball, "typescript"));
      await fs.writeFile(path.join(root, ".yarnrc.yml"), "nodeLinker: node-modules\n");
      // An empty lockfile makes this directory the project's root, whatever lies above it.
      await fs.writeFile(path.join(root, "yarn.lock"), "");
      await install(process.execPath, [await ensureTool("yarnBerry"), "install"], root);
      return root;
    },
  },
  {
    name: `Yarn ${TOOLS.yarnBerry.version}, Plug'n'Play (its default): fails as the README says`,
    manager: "yarnBerry",
    scenario: "plug-n-play",
    async prepare(root, tarball) {
      await writeProgram(root, "javascript", manifest(tarball, "javascript"));
      await fs.writeFile(path.join(root, "yarn.lock"), "");
      await install(process.execPath, [await ensureTool("yarnBerry"), "install"], root);
      return root;
    },
  },
  {
    name: "npm, plain JavaScript",
    manager: "npm",
    scenario: "lifecycle",
    async prepare(root, tarball) {
      await writeProgram(root, "javascript", manifest(tarball, "javascript"));
      await install("npm", ["install"], root);
      return root;
    },
  },
  {
    name: 'npm, ES module TypeScript ("type": "module")',
    manager: "npm",
    scenario: "lifecycle",
    async prepare(root, tarball) {
      await writeProgram(root, "esm-typescript", manifest(tarball, "esm-typescript"));
      await install("npm", ["install"], root);
      return root;
    },
  },
  {
    name: "npm, plain JavaScript, through a proxy (HTTPS_PROXY with a password, NO_PROXY, NODE_EXTRA_CA_CERTS)",
    manager: "npm",
    scenario: "through-a-proxy",
    async prepare(root, tarball) {
      await writeProgram(root, "javascript", manifest(tarball, "javascript"));
      await install("npm", ["install"], root);
      return root;
    },
  },
  {
    name: `npm, @pulumi/pulumi ${LOWEST_PULUMI_SDK_VERSION} (the lowest the peer range allows), TypeScript`,
    manager: "npm",
    scenario: "lifecycle",
    async prepare(root, tarball) {
      await writeProgram(root, "typescript", manifest(tarball, "typescript", LOWEST_PULUMI_SDK_VERSION));
      await install("npm", ["install"], root);
      return root;
    },
    checkInstall(projectDir) {
      expect(installedVersion(projectDir, "@pulumi/pulumi")).to.equal(LOWEST_PULUMI_SDK_VERSION);
    },
  },
  {
    name: `pnpm ${TOOLS.pnpm.version} workspace, the package only through a library of the project's own`,
    manager: "pnpm",
    scenario: "through-a-library",
    async prepare(root, tarball) {
      await fs.writeFile(path.join(root, "pnpm-workspace.yaml"), 'packages:\n  - "infra"\n  - "jobs-lib"\n');
      await fs.writeFile(path.join(root, ".npmrc"), "node-linker=isolated\n");
      // The company's library of components: it depends on pulumi-narrative-jobs and re-exports JobRerun.
      const library = path.join(root, "jobs-lib");
      await fs.mkdir(library);
      const libraryManifest = {
        name: "@acme/jobs-lib",
        version: "1.0.0",
        main: "index.js",
        dependencies: { "pulumi-narrative-jobs": `file:${tarball}` },
        peerDependencies: { "@pulumi/pulumi": "^3.139.0" },
      };
      await fs.writeFile(path.join(library, "package.json"), JSON.stringify(libraryManifest, null, 2));
      await fs.writeFile(
        path.join(library, "index.js"),
        '"use strict";\nexports.JobRerun = require("pulumi-narrative-jobs").JobRerun;\n',
      );
      // The Pulumi project depends on the library and @pulumi/pulumi only.
      const infra = path.join(root, "infra");
      await writeProgram(infra, "javascript", {
        dependencies: { "@acme/jobs-lib": "workspace:*", "@pulumi/pulumi": PULUMI_SDK_VERSION },
      });
      const program = await fs.readFile(path.join(infra, "index.js"), "utf8");
      await fs.writeFile(
        path.join(infra, "index.js"),
        program.replace('require("pulumi-narrative-jobs")', 'require("@acme/jobs-lib")'),
      );
      await pnpm(["install"], root);
      return infra;
    },
  },
  {
    name: "Automation API inline program (examples/automation), run from a directory without node_modules",
    manager: "npm",
    scenario: "automation",
    async prepare(root, tarball) {
      const example = path.join(REPO_ROOT, "examples", "automation");
      for (const file of ["deploy.ts", "tsconfig.json"]) {
        await fs.copyFile(path.join(example, file), path.join(root, file));
      }
      const exampleManifest = JSON.parse(
        await fs.readFile(path.join(example, "package.json"), "utf8"),
      ) as object;
      const packageJson = { ...exampleManifest, ...manifest(tarball, "typescript") };
      await fs.writeFile(path.join(root, "package.json"), JSON.stringify(packageJson, null, 2));
      await install("npm", ["install"], root);
      await runCommand(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc")], {
        cwd: root,
      });
      // The same script without the fix, to show what the fix is for.
      const script = await fs.readFile(path.join(root, "deploy.js"), "utf8");
      const withoutMain = script.replace(/^\s*projectSettings: \{[^\n]*main: __dirname[^\n]*\n/m, "");
      expect(withoutMain, "deploy.js sets projectSettings.main").not.to.equal(script);
      await fs.writeFile(path.join(root, "deploy-without-main.js"), withoutMain);
      return root;
    },
  },
];

interface MatrixRow {
  cell: string;
  result: string;
  seconds: number;
}

describe("compat: the packed package in fresh programs through the Pulumi CLI", function () {
  this.timeout(180_000);
  const matrix: MatrixRow[] = [];
  const suiteStarted = Date.now();
  let tarball: string;
  let cliDir: string;

  before(async function () {
    // A fresh machine builds the pinned CLI first (.ci/run does that before the tests).
    this.timeout(900_000);
    cliDir = await ensurePulumiCli();
    tarball = await packedTarball();
  });

  after(() => {
    const width = Math.max(...matrix.map((row) => row.cell.length));
    const lines = matrix.map(
      (row) =>
        `  ${row.cell.padEnd(width)}  ${row.result.padEnd(7)}  ${row.seconds.toFixed(0).padStart(4)} s`,
    );
    const total = ((Date.now() - suiteStarted) / 1000).toFixed(0);
    const shard = process.env["TEST_SHARD"] ? `, the cells of shard ${process.env["TEST_SHARD"]}` : "";
    console.log(
      `\n  Compatibility matrix (${total} s in all, packing included${shard}):\n${lines.join("\n")}\n`,
    );
  });

  // Under scripts/run-tests.js the cells run in several processes at once (`@shards` above). An npm cell may
  // go anywhere: npm's cache takes concurrent installs. The cells of another package manager stay in one
  // process, one after another: Yarn classic's cache does not (it has --mutex for that), and the manager
  // itself is installed into COMPAT_CACHE on first use, which two processes must not do at once.
  for (const cell of inThisShard(CELLS, (cell) => (cell.manager === "npm" ? cell.name : cell.manager))) {
    describe(cell.name, function () {
      const row: MatrixRow = { cell: cell.name, result: "FAILED", seconds: 0 };
      const token = distinctiveToken("compat");
      let started = 0;
      let root: string;
      let projectDir: string;
      let sim: Simulator;
      /** The https API behind a proxy, for the proxy cell. */
      let proxied: ProxiedApi | undefined;
      let workspace: PulumiWorkspace | undefined;
      let context: LifecycleContext;
      let failed = false;
      let passed = 0;
      /** What the Automation API script printed, command by command (the CLI cells use the workspace's). */
      const scriptTranscript: CliResult[] = [];

      before(async function () {
        // The first cell of a package manager may fetch it and the packages from the registry.
        this.timeout(600_000);
        matrix.push(row);
        started = Date.now();
        root = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-compat-"));
        projectDir = await cell.prepare(root, tarball);
        sim = await startSimulator({ frozen: true, token });
        if (cell.scenario === "through-a-proxy") {
          proxied = await startProxiedApi(sim);
        }
        if (cell.scenario !== "automation") {
          workspace = await PulumiWorkspace.create({
            project: PROJECT_NAME,
            dir: projectDir,
            existingProject: true,
            removeDir: false,
            ...(proxied === undefined ? {} : { env: proxied.env }),
          });
          await workspace.configureNarrative(proxied?.apiUrl ?? sim.url, token);
          context = { workspace, sim, resourceName: RESOURCE_NAME };
        }
      });

      beforeEach(function () {
        if (failed) {
          this.skip();
        }
      });

      afterEach(function () {
        if (this.currentTest?.state === "failed") {
          failed = true;
        } else if (this.currentTest?.state === "passed") {
          passed += 1;
        }
      });

      after(async function () {
        this.timeout(60_000);
        row.seconds = (Date.now() - started) / 1000;
        row.result = !failed && passed === this.test?.parent?.tests.length ? "passed" : "FAILED";
        await workspace?.dispose();
        await proxied?.close();
        await sim?.close();
        if (root !== undefined) {
          await fs.rm(root, { recursive: true, force: true });
        }
      });

      if (cell.scenario === "lifecycle") {
        it("installs a copy of the package from the tarball", () => {
          expectInstalledCopy(projectDir);
          cell.checkInstall?.(projectDir);
        });
        lifecycleCases(() => context);
      } else if (cell.scenario === "through-a-library") {
        it("up stops before any request: add pulumi-narrative-jobs to the project's package.json", async () => {
          const packageJson = path.join(realpathSync(projectDir), "package.json");
          await context.workspace.setConfig("jobId", SEED_JOB_ID);
          await context.workspace.setConfig("triggers", JSON.stringify(FIRST_TRIGGERS));
          const { result, requests } = await watchRequests(sim, () =>
            context.workspace.pulumi(["up", "--yes"], { allowFailure: true }),
          );
          expect(result.code, result.output).not.to.equal(0);
          const output = result.output.replace(/\s+/g, " ");
          expect(output, result.output).to.include(
            `JobRerun ${RESOURCE_NAME}: Pulumi's dynamic provider host cannot load`,
          );
          expect(output, result.output).to.include(
            `Add "pulumi-narrative-jobs": "${DEV_DEPENDENCIES.version}" to the dependencies in ${packageJson}`,
          );
          expect(output, result.output).not.to.include("Cannot find module");
          expect(requests, describeRequests(requests)).to.have.length(0);
        });

        it("with the dependency added as the message says, pnpm install makes it resolve", async () => {
          const file = path.join(projectDir, "package.json");
          const packageJson = JSON.parse(await fs.readFile(file, "utf8")) as {
            dependencies: Record<string, string>;
          };
          // The tarball stands in for the registry's copy of the version the message names.
          packageJson.dependencies["pulumi-narrative-jobs"] = `file:${tarball}`;
          await fs.writeFile(file, JSON.stringify(packageJson, null, 2));
          await pnpm(["install"], path.dirname(projectDir));
          expectInstalledCopy(projectDir, path.dirname(projectDir));
        });
        lifecycleCases(() => context);
      } else if (cell.scenario === "through-a-proxy") {
        proxyCases(() => ({
          ...context,
          proxied: proxied as ProxiedApi,
          token,
          transcript: () => workspace?.transcript ?? [],
        }));
      } else if (cell.scenario === "plug-n-play") {
        it("preview stops before the program runs: Pulumi finds no node_modules", async () => {
          expect(existsSync(path.join(projectDir, ".pnp.cjs"))).to.equal(true);
          expect(existsSync(path.join(projectDir, "node_modules"))).to.equal(false);
          await context.workspace.setConfig("jobId", SEED_JOB_ID);
          await context.workspace.setConfig("triggers", JSON.stringify(FIRST_TRIGGERS));
          const { result, requests } = await watchRequests(sim, () =>
            context.workspace.pulumi(["preview"], { allowFailure: true }),
          );
          expect(result.code, result.output).not.to.equal(0);
          expect(result.output).to.include("It looks like the Pulumi SDK has not been installed");
          expect(requests, describeRequests(requests)).to.have.length(0);
        });
      } else {
        automationCases(() => ({ sim, root, cliDir, token, transcript: scriptTranscript }));
      }

      it("no CLI output holds the token", () => {
        for (const command of [...(workspace?.transcript ?? []), ...scriptTranscript]) {
          expect(`${command.command}\n${command.output}`, command.command).not.to.include(token);
        }
      });
    });
  }
});

function lifecycleCases(context: () => LifecycleContext): void {
  it("create: up reads the job once and reschedules nothing", () => upCreatesWithoutRescheduling(context()));
  it("new triggers: preview shows the update and sends no request", () => previewShowsTheRerun(context()));
  it("up reschedules exactly once", () => upReschedulesOnce(context()));
  it("refresh reads the job once", () => refreshReadsTheJob(context()));
  it("destroy sends no request", () => destroySendsNothing(context()));
}

/**
 * examples/automation/deploy.js, compiled, run as `node <dir>/deploy.js <command>` from an empty directory: the
 * case where an inline program's default `main` (the caller's directory) has no node_modules.
 */
function automationCases(
  context: () => { sim: Simulator; root: string; cliDir: string; token: string; transcript: CliResult[] },
): void {
  let elsewhere: string;
  let stateDir: string;

  before(async () => {
    const { root } = context();
    elsewhere = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-compat-elsewhere-"));
    stateDir = path.join(root, ".pulumi-state");
    await fs.mkdir(path.join(stateDir, "backend"), { recursive: true });
    await fs.mkdir(path.join(stateDir, "home"), { recursive: true });
  });

  after(async () => {
    await fs.rm(elsewhere, { recursive: true, force: true });
  });

  async function deploy(command: string, release: string, script = "deploy.js"): Promise<CliResult> {
    const { sim, token, root, cliDir, transcript } = context();
    const env = {
      ...offlineEnvironment(cliDir, path.join(stateDir, "backend"), path.join(stateDir, "home")),
      NARRATIVE_API_URL: sim.url,
      NARRATIVE_API_TOKEN: token,
      JOB_ID: SEED_JOB_ID,
      RELEASE: release,
    };
    expect(existsSync(path.join(elsewhere, "node_modules"))).to.equal(false);
    const result = await runCommand(process.execPath, [path.join(root, script), command], {
      cwd: elsewhere,
      env,
      allowFailure: true,
    });
    transcript.push(result);
    return result;
  }

  it("without projectSettings.main, the dynamic provider host cannot start there", async () => {
    const { sim } = context();
    const { result, requests } = await watchRequests(sim, () =>
      deploy("preview", "r1", "deploy-without-main.js"),
    );
    expect(result.code, result.output).not.to.equal(0);
    expect(result.output).to.include("Cannot find module '@pulumi/pulumi/cmd/dynamic-provider'");
    expect(requests, describeRequests(requests)).to.have.length(0);
  });

  it("create: up reads the job once and reschedules nothing", async () => {
    const { sim } = context();
    const { result, requests } = await watchRequests(sim, () => deploy("up", "r1"));
    expectSucceeded(result);
    expect(result.output).to.include(
      "JobRerun audience-view: outcome=none state=completed rescheduleCount=0",
    );
    expect(requests.map((request) => `${request.method} ${request.path}`)).to.deep.equal([
      `GET /jobs/${SEED_JOB_ID}`,
    ]);
  });

  it("new triggers: preview shows the update and sends no request", async () => {
    const { sim } = context();
    const { result, requests } = await watchRequests(sim, () => deploy("preview", "r2"));
    expectSucceeded(result);
    expect(result.output).to.match(/~ release\s*: "r1" => "r2"/);
    expect(requests, describeRequests(requests)).to.have.length(0);
  });

  it("up reschedules exactly once", async () => {
    const { sim } = context();
    const { result, writes, requests } = await watchRequests(sim, () => deploy("up", "r2"));
    expectSucceeded(result);
    expect(result.output).to.include(
      "JobRerun audience-view: outcome=rescheduled state=pending rescheduleCount=1",
    );
    expect(writes.map((request) => `${request.method} ${request.path} ${request.status}`)).to.deep.equal(
      [`POST /jobs/${SEED_JOB_ID}/reschedule 200`],
      describeRequests(requests),
    );
    expect(sim.appliedReschedules(SEED_JOB_ID)).to.equal(1);
  });

  it("refresh reads the job once", async () => {
    const { sim } = context();
    const { result, requests } = await watchRequests(sim, () => deploy("refresh", "r2"));
    expectSucceeded(result);
    expect(requests.map((request) => `${request.method} ${request.path}`)).to.deep.equal([
      `GET /jobs/${SEED_JOB_ID}`,
    ]);
  });

  it("destroy sends no request", async () => {
    const { sim } = context();
    const { result, requests } = await watchRequests(sim, () => deploy("destroy", "r2"));
    expectSucceeded(result);
    expect(result.output).to.match(/- 2 deleted/);
    expect(requests, describeRequests(requests)).to.have.length(0);
  });
}
