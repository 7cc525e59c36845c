/**
 * `npm run check:package`: the package as npm would publish it, checked by the two linters of published
 * packages. It builds lib/ from scratch (`files` ships whatever lib/ holds, so a module deleted since the last
 * build would otherwise be published), packs the tarball with `npm pack`, then:
 *
 * - publint reads the tarball's package.json against the files it holds (entry points that exist and are
 *   published, `exports` in the right order, `bin` paths, the module format). Every message fails the check,
 *   suggestions included.
 * - arethetypeswrong (attw) resolves every `exports` entry as TypeScript does under each module resolution
 *   (node10, node16 from CommonJS and from ESM, bundler) and fails on a missing or wrong type declaration. No
 *   rule is ignored: the package is CommonJS with declarations beside each entry point, and `typesVersions`
 *   serves the subpaths to node10, which reads no `exports`.
 *
 * Exits non-zero on any finding. tests/e2e/package-contents.test.ts checks the tarball's file list and installs it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { packThisCheckout, type PackManifest } from "./pack";

const ROOT = path.resolve(__dirname, "..");

function run(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
}

async function buildAndPack(): Promise<{ tarball: string; manifest: PackManifest }> {
  rmSync(path.join(ROOT, "lib"), { recursive: true, force: true });
  run("npm", ["run", "build", "--silent"]);
  return packThisCheckout();
}

async function publintFindings(tarball: string): Promise<string[]> {
  // publint is an ES module; this script is CommonJS, so it is loaded with a dynamic import.
  const { publint } = await import("publint");
  const { formatMessage } = await import("publint/utils");
  const bytes = readFileSync(tarball);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const { messages, pkg } = await publint({ pack: { tarball: buffer }, level: "suggestion", strict: true });
  return messages.map((message) => `${message.type} ${message.code}: ${formatMessage(message, pkg) ?? ""}`);
}

function attwPasses(tarball: string): boolean {
  const attw = path.join(ROOT, "node_modules", ".bin", "attw");
  return (
    spawnSync(attw, [tarball, "--format", "table-flipped", "--no-color"], { cwd: ROOT, stdio: "inherit" })
      .status === 0
  );
}

async function main(): Promise<void> {
  const { tarball, manifest } = await buildAndPack();
  console.log(
    `${manifest.filename}: ${manifest.entryCount} files, ${manifest.size} bytes packed, ` +
      `${manifest.unpackedSize} unpacked`,
  );
  const findings = await publintFindings(tarball);
  console.log(findings.length === 0 ? "publint: no findings" : `publint:\n${findings.join("\n")}`);
  const typesOk = attwPasses(tarball);
  if (findings.length > 0 || !typesOk) {
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
