/**
 * The package as users get it: `npm pack` makes the tarball npm would publish, once per test run (once per
 * mocha process when mocha runs without scripts/run-tests.js), and a program outside this repository installs
 * it. Used by the packed-install, uninstall, package-files and CLI cases and the compatibility suite.
 */
import { expect } from "chai";
import { existsSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { promises as fs } from "node:fs";
import { startSimulator, type Simulator } from "../../provider/simulator";
import { packThisCheckout } from "../../scripts/pack";
import { PulumiWorkspace, REPO_ROOT, runCommand } from "../../scripts/pulumi-harness";
import { jobRerunProgram } from "./e2e-programs";

/** The @pulumi/pulumi a user of the pinned CLI would install (Node 20 rules out later releases). */
export const PULUMI_SDK = "@pulumi/pulumi@3.248.0";

let tarball: Promise<string> | undefined;

/**
 * The path of the packed tarball, made on the first call from the compiled lib/. Under scripts/run-tests.js,
 * which packs once for the whole run (several files in several processes use it), the tarball it made.
 */
export function packedTarball(): Promise<string> {
  tarball ??= (async () => {
    const shared = process.env["TEST_PACKED_TARBALL"];
    if (shared !== undefined && shared !== "") {
      if (!existsSync(shared)) {
        throw new Error(`TEST_PACKED_TARBALL names ${shared}, which does not exist`);
      }
      return shared;
    }
    return (await packThisCheckout()).tarball;
  })();
  tarball.catch(() => {
    tarball = undefined;
  });
  return tarball;
}

/**
 * Checks that a program in `programDir` loads the package, its provider, @pulumi/pulumi and node-fetch from
 * the node_modules its installer made in `installRoot` (a copy from the tarball), never from this repository.
 * `installRoot` is the program's directory, or the root of the workspace it belongs to.
 */
export function expectInstalledCopy(programDir: string, installRoot = programDir): void {
  // Resolve as the program does: from its own file. (From this file, Node would resolve the package's own
  // name to this repository first, as a self-reference.)
  const programRequire = createRequire(path.join(programDir, "index.js"));
  const resolve = (request: string): string => realpathSync(programRequire.resolve(request));
  const installedRoot = realpathSync(path.join(installRoot, "node_modules"));
  for (const request of ["pulumi-narrative-jobs", "pulumi-narrative-jobs/provider", "@pulumi/pulumi"]) {
    expect(resolve(request), request).to.satisfy((file: string) => file.startsWith(installedRoot));
  }
  expect(resolve("pulumi-narrative-jobs")).not.to.include(realpathSync(REPO_ROOT));
  // node-fetch is the package's own dependency: resolved from the package, wherever the installer put it.
  const packageRequire = createRequire(resolve("pulumi-narrative-jobs"));
  expect(realpathSync(packageRequire.resolve("node-fetch"))).to.satisfy((file: string) =>
    file.startsWith(installedRoot),
  );
}

/**
 * `npm install <specs>` in `dir`, as a user runs it. Packages come from the npm cache where they can (the
 * repository's own install filled it), else from the registry.
 */
export async function npmInstall(dir: string, specs: readonly string[]): Promise<void> {
  await runCommand(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--no-package-lock", ...specs],
    { cwd: dir, timeoutMs: 540_000 },
  );
}

/** A Pulumi program in a fresh directory outside this repository, with the packed package installed. */
export interface InstalledProgram {
  tarball: string;
  programDir: string;
  workspace: PulumiWorkspace;
  sim: Simulator;
  /** Removes the stack, the simulator and the directory. */
  dispose(): Promise<void>;
}

/**
 * Packs the package, installs it with @pulumi/pulumi into a new directory whose program declares one JobRerun
 * (tests/support/e2e-programs.ts), and starts a simulator with `token` that the stack is configured for.
 */
export async function installedProgram(options: {
  project: string;
  resourceName: string;
  token: string;
}): Promise<InstalledProgram> {
  const tarball = await packedTarball();
  const programDir = await fs.mkdtemp(path.join(os.tmpdir(), `${options.project}-`));
  const workspace = await PulumiWorkspace.create({
    project: options.project,
    dir: programDir,
    program: jobRerunProgram({ resourceName: options.resourceName }),
  });
  await npmInstall(programDir, [tarball, PULUMI_SDK]);
  const sim = await startSimulator({ frozen: true, token: options.token });
  await workspace.configureNarrative(sim.url, options.token);
  return {
    tarball,
    programDir,
    workspace,
    sim,
    dispose: async () => {
      await workspace.dispose();
      await sim.close();
      await fs.rm(programDir, { recursive: true, force: true });
    },
  };
}
