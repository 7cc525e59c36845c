/**
 * One standalone `pulumi-resource-narrative`: a copy of the target's Node.js executable with the bundled plugin
 * injected as a single executable application's blob (postject), signed ad hoc for macOS, then checked.
 */
import { execFile, spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { SEA_FUSE, type Target } from "./targets";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..");
const POSTJECT = path.join(ROOT, "node_modules", "postject", "dist", "cli.js");

/**
 * The blob from the bundle, made by `maker` (a Node.js of the targets' version). No snapshot and no code cache:
 * without them the blob is the same for every platform, so one Linux machine makes it for all of them.
 */
export async function makeBlob(maker: string, bundle: string, stage: string): Promise<string> {
  const blob = path.join(stage, "plugin.blob");
  const config = path.join(stage, "sea-config.json");
  await fs.writeFile(
    config,
    JSON.stringify({
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      useSnapshot: false,
      useCodeCache: false,
    }),
  );
  await run(maker, ["--experimental-sea-config", config], { cwd: stage });
  return blob;
}

/** How a darwin executable gets its ad hoc signature here, if it can: macOS's codesign, else rcodesign. */
export async function macSigner(): Promise<"codesign" | "rcodesign" | undefined> {
  if (process.platform === "darwin") {
    return "codesign";
  }
  const found = await run("sh", ["-c", "command -v rcodesign"]).catch(() => undefined);
  return found !== undefined && found.stdout.trim() !== "" ? "rcodesign" : undefined;
}

async function removeMacSignature(file: string, signer: "codesign" | "rcodesign"): Promise<void> {
  // rcodesign replaces a signature when it signs; macOS's codesign wants the old one gone before the injection.
  if (signer === "codesign") {
    await run("codesign", ["--remove-signature", file]);
  }
}

async function signMac(file: string, signer: "codesign" | "rcodesign"): Promise<void> {
  if (signer === "codesign") {
    await run("codesign", ["--sign", "-", "--force", file]);
  } else {
    await run("rcodesign", ["sign", file], { maxBuffer: 16 * 1024 * 1024 });
  }
}

/** Writes the executable for `target` to `out`. */
export async function injectBlob(options: {
  target: Target;
  node: string;
  blob: string;
  out: string;
  signer: "codesign" | "rcodesign" | undefined;
}): Promise<void> {
  const { target, node, blob, out, signer } = options;
  await fs.copyFile(node, out);
  await fs.chmod(out, 0o755);
  const mac = target.os === "darwin";
  if (mac) {
    if (signer === undefined) {
      throw new Error(`${target.name}: no tool to sign it ad hoc here (macOS's codesign, or rcodesign)`);
    }
    await removeMacSignature(out, signer);
  }
  const args = [POSTJECT, out, "NODE_SEA_BLOB", blob, "--sentinel-fuse", SEA_FUSE];
  if (mac) {
    args.push("--macho-segment-name", "NODE_SEA");
  }
  // postject prints LIEF's warnings about ELF note sections it leaves alone; they are no failure.
  await run(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  if (mac && signer !== undefined) {
    await signMac(out, signer);
  }
}

/**
 * Checks, for any platform, that the blob is in the executable and its fuse set: Node.js starts the blob only
 * when the sentinel reads `:1`, and runs as a plain `node` otherwise.
 */
export async function checkInjected(file: string, marker: string): Promise<void> {
  const bytes = await fs.readFile(file);
  if (!bytes.includes(`${SEA_FUSE}:1`)) {
    throw new Error(`${file}: the fuse ${SEA_FUSE} is not set; the blob was not injected`);
  }
  if (!bytes.includes(marker)) {
    throw new Error(`${file}: the bundled plugin's code is not in it`);
  }
}

/**
 * Starts an executable this machine can run, with no PATH at all, and waits for the port line the engine reads
 * first; the engine address it is given is a closed port, so the plugin then exits by itself.
 */
export function smokeTest(file: string, timeoutMs = 30_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, ["127.0.0.1:1"], { env: {}, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${file} printed no port within ${timeoutMs} ms:\n${stdout}${stderr}`));
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = /^(\d+)\n/.exec(stdout);
      if (line?.[1] !== undefined) {
        clearTimeout(timer);
        child.kill("SIGKILL");
        resolve(Number(line[1]));
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export function canRunHere(target: Target): boolean {
  return target.nodePlatform === process.platform && target.nodeArch === process.arch;
}
