/**
 * `npm run plugin-tarball` as the README gives it, from a clone: it builds lib/, packs the package and wraps
 * the installed package for `pulumi plugin install --file`. The plugin-install file installs and serves such a
 * tarball, made there from the run's packed package; this file covers the building and packing.
 *
 * @runsAlone it runs `npm run build`, which rewrites lib/ while other test files load (and pack) it.
 */
import { expect } from "chai";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT, runCommand } from "../../scripts/pulumi-harness";

describe("e2e: npm run plugin-tarball from a clone", function () {
  this.timeout(300_000);

  let outDir: string;

  before(async () => {
    outDir = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-plugin-build-"));
  });

  after(async () => {
    await fs.rm(outDir, { recursive: true, force: true });
  });

  it("builds and packs this checkout, and the tarball holds the plugin script and the installed package", async () => {
    const made = await runCommand("npm", ["run", "--silent", "plugin-tarball", "--", outDir], {
      cwd: REPO_ROOT,
    });
    const { version } = JSON.parse(await fs.readFile(path.join(REPO_ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    const tarball = path.join(outDir, `pulumi-resource-narrative-v${version}.tar.gz`);
    expect(made.stdout.trim().split("\n").pop()).to.equal(tarball);

    const listing = (await runCommand("tar", ["-tzf", tarball])).stdout.split("\n");
    expect(listing).to.include.members([
      "./pulumi-resource-narrative",
      "./node_modules/pulumi-narrative-jobs/lib/plugin/main.js",
      "./node_modules/pulumi-narrative-jobs/schema.json",
      "./node_modules/@pulumi/pulumi/package.json",
    ]);
    // The packed package is this checkout's build: the same plugin entry point, byte for byte.
    const packed = await runCommand("tar", [
      "-xzOf",
      tarball,
      "./node_modules/pulumi-narrative-jobs/lib/plugin/main.js",
    ]);
    expect(packed.stdout).to.equal(
      await fs.readFile(path.join(REPO_ROOT, "lib", "plugin", "main.js"), "utf8"),
    );
  });

  it("refuses a package tarball that does not exist, saying how to make one, and writes nothing", async () => {
    const before = await fs.readdir(outDir);
    const refused = await runCommand(
      path.join(REPO_ROOT, "scripts", "plugin-tarball"),
      [outDir, path.join(outDir, "missing.tgz")],
      { allowFailure: true },
    );
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.include("no package tarball at").and.include("npm pack");
    expect(await fs.readdir(outDir)).to.deep.equal(before);
  });
});
