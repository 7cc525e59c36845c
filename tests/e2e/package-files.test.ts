/**
 * What the npm tarball holds besides the compiled code: the licence `package.json` declares and the changelog,
 * so that a user who only has node_modules can read both.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { REPO_ROOT, runCommand } from "../../scripts/pulumi-harness";
import { packedTarball } from "../support/packing";

describe("e2e: the files the npm tarball ships", function () {
  this.timeout(120_000);

  it("holds LICENSE (the Apache License 2.0 that package.json names), CHANGELOG.md and README.md", async () => {
    const tarball = await packedTarball();
    const listed = await runCommand("tar", ["-tzf", tarball]);
    const files = listed.stdout.split("\n").filter((line) => line !== "");
    expect(files).to.include.members([
      "package/LICENSE",
      "package/CHANGELOG.md",
      "package/README.md",
      "package/package.json",
    ]);

    const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
      license?: string;
    };
    expect(manifest.license).to.equal("Apache-2.0");
    const licence = await runCommand("tar", ["-xzOf", tarball, "package/LICENSE"]);
    expect(licence.stdout).to.equal(readFileSync(path.join(REPO_ROOT, "LICENSE"), "utf8"));
    expect(licence.stdout).to.match(/^\s*Apache License\s+Version 2\.0, January 2004\s/);
    expect(licence.stdout).to.include("END OF TERMS AND CONDITIONS");
    expect(licence.stdout).to.match(/Copyright \d{4} The pulumi-narrative-jobs maintainers/);
  });

  it("holds a changelog in Keep a Changelog form, Unreleased first", async () => {
    const tarball = await packedTarball();
    const changelog = (await runCommand("tar", ["-xzOf", tarball, "package/CHANGELOG.md"])).stdout;
    const releases = [...changelog.matchAll(/^## \[([^\]]+)\]/gm)].map((match) => match[1]);
    expect(releases[0]).to.equal("Unreleased");
    const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    // The version package.json declares has its own section, so a release never ships without its entry.
    expect(releases).to.include(manifest.version);
  });
});
