/**
 * `npm run plugin-archives`: the standalone `pulumi-resource-narrative` (no Node.js needed where it runs) for each
 * platform, as the release archives the Pulumi CLI downloads, and their SHA-256 checksums, in dist/:
 *
 *   npm run plugin-archives                          every platform this machine can build (see below)
 *   npm run plugin-archives -- linux-amd64 --out DIR  those platforms only, into DIR
 *   npm run plugin-archives -- --checksums-only       only the checksums file, of the archives already in dist/
 *
 * Each archive, pulumi-resource-narrative-v<version>-<os>-<arch>.tar.gz, holds the executable
 * (pulumi-resource-narrative, .exe on Windows), LICENSE, README.md and THIRD-PARTY-NOTICES;
 * pulumi-resource-narrative-v<version>-checksums.txt lists every archive of that version in the directory, in
 * `sha256sum -c` format. Offline once the Node.js executables are in the cache (node-dist.ts).
 *
 * What this machine can build: every platform npm serves Node.js for, except macOS ones where no tool can sign
 * them ad hoc (macOS's codesign, or rcodesign on PATH); darwin-arm64 only on a macOS arm64 machine.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bundlePlugin, thirdPartyNotices } from "./bundle";
import { canRunHere, checkInjected, injectBlob, macSigner, makeBlob, smokeTest } from "./executable";
import { blobMaker, nodeExecutable, nodeLicense } from "./node-dist";
import { writeTarGz } from "./tar";
import {
  archiveName,
  checksumsName,
  hostTarget,
  NODE_VERSION,
  PLUGIN_NAME,
  TARGETS,
  targetNamed,
  type Target,
} from "./targets";
import { pluginVersion } from "../../provider/hosts/plugin/schema";

const ROOT = path.resolve(__dirname, "..", "..");
export const DIST_DIR = path.join(ROOT, "dist");
/** A line of the plugin's own code, to find in each executable. */
const MARKER = "pulumi-resource-narrative: cannot listen on loopback";

export interface BuiltArchive {
  target: Target;
  archive: string;
  archiveBytes: number;
  executableBytes: number;
  sha256: string;
}

/** The version the plugin, the schema and the SDKs carry: package.json's, read by the package's one reader. */
export const packageVersion = pluginVersion;

/** Why `target` cannot be built here, or undefined when it can. */
export async function cannotBuildHere(target: Target): Promise<string | undefined> {
  const here = process.platform === target.nodePlatform && process.arch === target.nodeArch;
  if (target.npm === undefined && !(here && process.version === `v${NODE_VERSION}`)) {
    return `npm serves no Node.js ${NODE_VERSION} for ${target.name}: build it on such a machine with that node`;
  }
  if (target.os === "darwin" && (await macSigner()) === undefined) {
    return "macOS runs only signed executables, and no tool here signs ad hoc (codesign on macOS, or rcodesign)";
  }
  return undefined;
}

/** The archives' time: SOURCE_DATE_EPOCH, else the checkout's last commit, else now. */
function archiveTime(): number {
  const fromEnv = Number(process.env["SOURCE_DATE_EPOCH"] ?? "");
  if (Number.isInteger(fromEnv) && fromEnv > 0) {
    return fromEnv;
  }
  try {
    return Number(execFileSync("git", ["log", "-1", "--format=%ct"], { cwd: ROOT }).toString().trim());
  } catch {
    return Math.floor(Date.now() / 1000);
  }
}

async function sha256(file: string): Promise<string> {
  return createHash("sha256")
    .update(await fs.readFile(file))
    .digest("hex");
}

/** Writes the checksums file for `version` over every archive of that version in `outDir`; returns its path. */
export async function writeChecksums(outDir: string, version: string): Promise<string> {
  const prefix = `${PLUGIN_NAME}-v${version}-`;
  const archives = (await fs.readdir(outDir))
    .filter((n) => n.startsWith(prefix) && n.endsWith(".tar.gz"))
    .sort();
  if (archives.length === 0) {
    throw new Error(`no ${prefix}*.tar.gz in ${outDir} to list`);
  }
  const lines = await Promise.all(
    archives.map(async (name) => `${await sha256(path.join(outDir, name))}  ${name}\n`),
  );
  const file = path.join(outDir, checksumsName(version));
  await fs.writeFile(file, lines.join(""));
  return file;
}

/** Builds one target's executable into `stage` and its archive into `outDir`. */
async function buildTarget(options: {
  target: Target;
  blob: string;
  notices: (target: Target) => Promise<string>;
  stage: string;
  outDir: string;
  version: string;
  log: (line: string) => void;
}): Promise<BuiltArchive> {
  const { target, blob, stage, outDir, version, log } = options;
  const node = await nodeExecutable(target, stage, log);
  const dir = path.join(stage, target.name);
  await fs.mkdir(dir, { recursive: true });
  const executable = path.join(dir, target.executable);
  await injectBlob({
    target,
    node,
    blob,
    out: executable,
    signer: target.os === "darwin" ? await macSigner() : undefined,
  });
  await checkInjected(executable, MARKER);
  if (canRunHere(target)) {
    const port = await smokeTest(executable);
    log(`${target.name}: started with no PATH, it listened on port ${port}`);
  }
  const notices = path.join(dir, "THIRD-PARTY-NOTICES");
  await fs.writeFile(notices, await options.notices(target));
  const archive = path.join(outDir, archiveName(version, target));
  await writeTarGz(
    archive,
    [
      { name: target.executable, source: executable, mode: 0o755 },
      { name: "LICENSE", source: path.join(ROOT, "LICENSE"), mode: 0o644 },
      { name: "README.md", source: path.join(ROOT, "README.md"), mode: 0o644 },
      { name: "THIRD-PARTY-NOTICES", source: notices, mode: 0o644 },
    ],
    archiveTime(),
  );
  const built = {
    target,
    archive,
    archiveBytes: (await fs.stat(archive)).size,
    executableBytes: (await fs.stat(executable)).size,
    sha256: await sha256(archive),
  };
  log(`${path.basename(archive)}: ${mb(built.archiveBytes)} (executable ${mb(built.executableBytes)})`);
  return built;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Builds the archives of `targets` into `outDir`, then the checksums file. */
export async function buildArchives(options: {
  targets: readonly Target[];
  outDir: string;
  log?: (line: string) => void;
}): Promise<{ archives: BuiltArchive[]; checksums: string }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`plugin-archives: ${line}\n`));
  const version = packageVersion();
  await fs.mkdir(options.outDir, { recursive: true });
  const stage = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-standalone-"));
  try {
    const bundle = path.join(stage, "plugin.cjs");
    const metafile = await bundlePlugin(bundle);
    log(`bundled the plugin: ${mb((await fs.stat(bundle)).size)}`);
    const blob = await makeBlob(await blobMaker(hostTarget(), stage, log), bundle, stage);
    const archives: BuiltArchive[] = [];
    // Node.js's LICENSE from the first package that has one (the same text for every platform of a version).
    let license: string | undefined;
    const notices = (target: Target): Promise<string> => {
      license ??= nodeLicense(target, stage);
      return thirdPartyNotices(metafile, license);
    };
    for (const target of options.targets) {
      archives.push(
        await buildTarget({ target, blob, notices, stage, outDir: options.outDir, version, log }),
      );
    }
    return { archives, checksums: await writeChecksums(options.outDir, version) };
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}

async function main(argv: readonly string[]): Promise<void> {
  let outDir = DIST_DIR;
  let checksumsOnly = false;
  const named: Target[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? "";
    if (arg === "--out") {
      outDir = path.resolve(argv[++index] ?? "");
    } else if (arg === "--checksums-only") {
      checksumsOnly = true;
    } else {
      named.push(targetNamed(arg));
    }
  }
  if (checksumsOnly) {
    process.stdout.write(`${await writeChecksums(outDir, packageVersion())}\n`);
    return;
  }
  const targets: Target[] = [];
  for (const target of named.length > 0 ? named : TARGETS) {
    const reason = await cannotBuildHere(target);
    if (reason !== undefined && named.length > 0) {
      throw new Error(`${target.name} cannot be built here: ${reason}`);
    }
    if (reason !== undefined) {
      process.stderr.write(`plugin-archives: ${target.name} not built here: ${reason}\n`);
    } else {
      targets.push(target);
    }
  }
  const { archives, checksums } = await buildArchives({ targets, outDir });
  for (const built of archives) {
    process.stdout.write(`${built.archive}\n`);
  }
  process.stdout.write(`${checksums}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`plugin-archives: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
