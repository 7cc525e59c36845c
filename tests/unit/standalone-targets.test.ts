/**
 * The platforms `npm run plugin-archives` builds for (scripts/standalone/targets.ts) and the archive names the
 * Pulumi CLI asks for. tests/e2e/standalone.test.ts runs the whole build.
 */
import { expect } from "chai";
import { archiveName, checksumsName, TARGETS, targetNamed } from "../../scripts/standalone/targets";

describe("standalone build: platforms and archive names", () => {
  it("five platforms, named as the CLI names them in an archive's name; darwin-arm64 alone has no npm Node.js", () => {
    expect(TARGETS.map((target) => archiveName("0.1.0", target))).to.deep.equal([
      "pulumi-resource-narrative-v0.1.0-linux-amd64.tar.gz",
      "pulumi-resource-narrative-v0.1.0-linux-arm64.tar.gz",
      "pulumi-resource-narrative-v0.1.0-darwin-amd64.tar.gz",
      "pulumi-resource-narrative-v0.1.0-darwin-arm64.tar.gz",
      "pulumi-resource-narrative-v0.1.0-windows-amd64.tar.gz",
    ]);
    expect(checksumsName("0.1.0")).to.equal("pulumi-resource-narrative-v0.1.0-checksums.txt");
    expect(TARGETS.filter((target) => target.npm === undefined).map((target) => target.name)).to.deep.equal([
      "darwin-arm64",
    ]);
    expect(targetNamed("windows-amd64").executable).to.equal("pulumi-resource-narrative.exe");
    expect(() => targetNamed("linux-386")).to.throw(/no target "linux-386"; use linux-amd64, /);
  });
});
