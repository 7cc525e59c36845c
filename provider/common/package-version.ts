/**
 * This package's own name, root and version, read from its package.json: provider/common/ in this repository
 * and lib/common/ in the installed package both sit two levels below it. The version goes into the User-Agent, into the stored
 * state (so that a release can say which release wrote a state it cannot read), and into messages that say
 * which release to install.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";

export const PACKAGE_NAME = "pulumi-narrative-jobs";

/** The package's root directory: where package.json and schema.json are, in this repository and installed. */
export const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");

let version: string | null | undefined;

/** The installed version, such as "0.1.0"; undefined when package.json cannot be read (a bundler moved it). */
export function packageVersion(): string | undefined {
  if (version === undefined) {
    version = null;
    try {
      const manifest = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (manifest.name === PACKAGE_NAME && typeof manifest.version === "string") {
        version = manifest.version;
      }
    } catch {
      // Left unknown: every use of the version is informative, none is needed to work.
    }
  }
  return version ?? undefined;
}

/**
 * Orders two release versions by their major, minor and patch numbers (a pre-release tag is ignored): below
 * zero when `a` is older, zero when the same release, above zero when newer; undefined when either is not a
 * version.
 */
export function compareVersions(a: string, b: string): number | undefined {
  const parts = (text: string): number[] | undefined => {
    const match = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(text.trim());
    return match === null ? undefined : match.slice(1, 4).map(Number);
  };
  const [left, right] = [parts(a), parts(b)];
  if (left === undefined || right === undefined) {
    return undefined;
  }
  for (let index = 0; index < 3; index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) {
      return difference;
    }
  }
  return 0;
}
