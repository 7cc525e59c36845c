/**
 * `npm run plugin-tarball` as docs/other-languages.md gives it, from a clone: it builds lib/, packs the package and wraps
 * the installed package for `pulumi plugin install --file`. The plugin-install file installs and serves such a
 * tarball, made there from the run's packed package; this file covers the building and packing.
 *
 * It runs in a copy of this checkout (the files a commit would hold, and a link to its node_modules): the
 * build rewrites the copy's lib/, never the one the other test files load and pack beside it.
 */
import { expect } from "chai";
import { existsSync, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT, runCommand } from "../../scripts/pulumi-harness";
import { copyOfThisCheckout } from "../support/e2e";

describe("e2e: npm run plugin-tarball from a clone", function () {
  this.timeout(300_000);

  let outDir: string;
  let checkout: string;

  before(async () => {
    outDir = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-plugin-build-"));
    checkout = await copyOfThisCheckout("narrative-plugin-build-checkout-");
  });

  after(async () => {
    await fs.rm(outDir, { recursive: true, force: true });
    await fs.rm(checkout, { recursive: true, force: true });
  });

  it("builds and packs this checkout, and the tarball holds the plugin script and the installed package", async () => {
    expect(existsSync(path.join(checkout, "lib")), "the copy starts without a build").to.equal(false);
    const ownEntryPoint = path.join(REPO_ROOT, "lib", "hosts", "plugin", "main.js");
    const ownBuiltAt = (await fs.stat(ownEntryPoint)).mtimeMs;
    const made = await runCommand("npm", ["run", "--silent", "plugin-tarball", "--", outDir], {
      cwd: checkout,
    });
    const { version } = JSON.parse(await fs.readFile(path.join(checkout, "package.json"), "utf8")) as {
      version: string;
    };
    const tarball = path.join(outDir, `pulumi-resource-narrative-v${version}.tar.gz`);
    expect(made.stdout.trim().split("\n").pop()).to.equal(tarball);

    const listing = (await runCommand("tar", ["-tzf", tarball])).stdout.split("\n");
    expect(listing).to.include.members([
      "./pulumi-resource-narrative",
      "./node_modules/pulumi-narrative-jobs/lib/hosts/plugin/main.js",
      "./node_modules/pulumi-narrative-jobs/schema.json",
      "./node_modules/@pulumi/pulumi/package.json",
    ]);
    // The packed package is the copy's own build, made by the script: the same plugin entry point, byte for byte.
    const packed = await runCommand("tar", [
      "-xzOf",
      tarball,
      "./node_modules/pulumi-narrative-jobs/lib/hosts/plugin/main.js",
    ]);
    expect(packed.stdout).to.equal(
      await fs.readFile(path.join(checkout, "lib", "hosts", "plugin", "main.js"), "utf8"),
    );
    expect((await fs.stat(ownEntryPoint)).mtimeMs, "this checkout's lib/ is left as it was").to.equal(
      ownBuiltAt,
    );
  });

  it("refuses a package tarball that does not exist, saying how to make one, and writes nothing", async () => {
    const before = await fs.readdir(outDir);
    const refused = await runCommand(
      path.join(checkout, "scripts", "plugin-tarball"),
      [outDir, path.join(outDir, "missing.tgz")],
      { allowFailure: true },
    );
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.include("no package tarball at").and.include("npm pack");
    expect(await fs.readdir(outDir)).to.deep.equal(before);
  });
});
