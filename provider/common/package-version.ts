/**
 * This package's own name and version, read from its package.json: provider/common/ in this repository and
 * lib/common/ in the installed package both sit two levels below it. The version goes into the User-Agent, into the stored
 * state (so that a release can say which release wrote a state it cannot read), and into messages that say
 * which release to install. A literal `require` rather than a file read, so that a bundler carries package.json
 * into the standalone plugin.
 */
export const PACKAGE_NAME = "pulumi-narrative-jobs";

let version: string | null | undefined;

/** The installed version, such as "0.1.0"; undefined when package.json cannot be read (a bundler moved it). */
export function packageVersion(): string | undefined {
  if (version === undefined) {
    version = null;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- see the file's comment
      const manifest = require("../../package.json") as { name?: unknown; version?: unknown };
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
