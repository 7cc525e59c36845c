/**
 * End-to-end case 10: the package as users get it. `npm pack` makes the tarball npm would publish; a fresh
 * program in the system's temporary directory, far from this repository and its node_modules, installs it
 * with @pulumi/pulumi from the npm registry, then cases 1 to 3 run there. This catches what the in-repository
 * cases cannot: a file missing from the tarball, a dependency only the repository has, a provider that
 * resolves something through the repository instead of the user's node_modules.
 */
import { expect } from "chai";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import { distinctiveToken, PulumiWorkspace, REPO_ROOT, runCommand } from "../../scripts/pulumi-harness";
import { expectInstalledCopy, installedProgram, type InstalledProgram } from "../support/packing";
import { skipTheRestAfterAFailure } from "../support/e2e";
import { casesOneToThree, type LifecycleContext } from "../support/e2e-steps";

const RESOURCE_NAME = "nightly-audience";

describe("e2e: 10. installed from the npm tarball into a fresh program outside the repository", function () {
  this.timeout(120_000);

  const token = distinctiveToken("packed");
  let installed: InstalledProgram | undefined;
  let programDir: string;
  let workspace: PulumiWorkspace;
  let context: LifecycleContext;

  before(async function () {
    // npm install may fetch @pulumi/pulumi and its dependencies from the registry.
    this.timeout(600_000);
    installed = await installedProgram({
      project: "narrative-user-program",
      resourceName: RESOURCE_NAME,
      token,
    });
    ({ programDir, workspace } = installed);
    context = { workspace, sim: installed.sim, resourceName: RESOURCE_NAME };
  });

  after(async function () {
    this.timeout(60_000);
    await installed?.dispose();
  });

  skipTheRestAfterAFailure();

  it("installs a copy of the package from the tarball, not a link to this repository", () => {
    expectInstalledCopy(programDir);
    // The tarball ships the compiled package, not its sources, tests or development scripts.
    const shipped = path.join(programDir, "node_modules", "pulumi-narrative-jobs");
    expect(existsSync(path.join(shipped, "lib", "hosts", "dynamic", "provider.js"))).to.equal(true);
    expect(existsSync(path.join(shipped, "provider"))).to.equal(false);
    expect(existsSync(path.join(shipped, "tests"))).to.equal(false);
    expect(existsSync(path.join(shipped, "scripts"))).to.equal(false);
  });

  casesOneToThree(() => context);

  it("ships type declarations a TypeScript program compiles against", async () => {
    const source = `import * as pulumi from "@pulumi/pulumi";
import * as narrative from "pulumi-narrative-jobs";

const args: narrative.JobRerunArgs = { jobId: "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c", triggers: { sql: "abc" } };
const rerun = new narrative.JobRerun("typed", args, { protect: false });
export const state: pulumi.Output<string> = rerun.state;
export const job: pulumi.Output<narrative.Job> = rerun.job;
export const isDone = narrative.isTerminalJobState("completed");
const read: pulumi.Output<narrative.GetJobResult> = narrative.getJobOutput({ jobId: rerun.jobId });
export const readState: pulumi.Output<string> = read.state;
export const readJob: Promise<narrative.Job> = narrative.getJob({ jobId: args.jobId as string }).then((r) => r.job);
`;
    await fs.writeFile(path.join(programDir, "typed.ts"), source);
    const tsconfig = {
      compilerOptions: { strict: true, module: "node16", noEmit: true, skipLibCheck: true, types: [] },
      files: ["typed.ts"],
    };
    await fs.writeFile(path.join(programDir, "tsconfig.typed.json"), JSON.stringify(tsconfig));
    const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    // The compiler comes from this repository; every module it resolves comes from the program's node_modules.
    const compiled = await runCommand(process.execPath, [tsc, "-p", "tsconfig.typed.json"], {
      cwd: programDir,
      allowFailure: true,
    });
    expect(compiled.code, compiled.output).to.equal(0);
  });
});
