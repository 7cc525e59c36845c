/**
 * The package as users get it: `npm pack` makes the tarball npm would publish, and a plain `npm install` puts
 * it in a fresh directory far from this repository and its node_modules.
 */
import { existsSync, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT, runCommand } from "../../scripts/pulumi-harness";

export interface PackedPackage {
  tarball: string;
  /** The directory holding the tarball; remove it when done. */
  dir: string;
}

/** Packs the built repository into a new temporary directory. */
export async function packPackage(): Promise<PackedPackage> {
  if (!existsSync(path.join(REPO_ROOT, "lib", "index.js"))) {
    throw new Error("lib/ is missing: run `npm run build` first (npm test does)");
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-e2e-pack-"));
  const packed = await runCommand("npm", ["pack", "--json", "--pack-destination", dir], { cwd: REPO_ROOT });
  const [manifest] = JSON.parse(packed.stdout) as { filename: string }[];
  if (manifest === undefined) {
    throw new Error(`npm pack printed no manifest:\n${packed.output}`);
  }
  return { tarball: path.join(dir, manifest.filename), dir };
}

/**
 * `npm install <specs>` in `dir`, as a user runs it. Packages come from the npm cache where they can (the
 * repository's own install filled it), else from the registry.
 */
export async function npmInstall(dir: string, specs: readonly string[]): Promise<void> {
  await runCommand(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--no-package-lock", ...specs],
    { cwd: dir, timeoutMs: 540_000 },
  );
}
