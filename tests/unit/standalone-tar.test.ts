/** The standalone build's tar writer (scripts/standalone/tar.ts), read back by the system's tar. */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeTarGz } from "../../scripts/standalone/tar";

describe("standalone build: the tar writer", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-standalone-unit-"));
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
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
});
