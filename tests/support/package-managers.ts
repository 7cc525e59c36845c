/**
 * The package managers the compatibility suite installs programs with, each at a pinned version from the npm
 * registry, installed once into a cache outside the clone and reused; and the caches they share between cells.
 *
 * The cache is `$COMPAT_CACHE`, default `~/.cache/pulumi-narrative-jobs/compat`: tools/<name>@<version>/ holds
 * each package manager, pnpm-store/, yarn-classic/ and yarn-berry/ their package caches. npm uses its own
 * cache (~/.npm), as for any install on the machine.
 */
import { execFileSync } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCommand, type CliResult } from "../../scripts/pulumi-harness";

export const COMPAT_CACHE =
  process.env["COMPAT_CACHE"] ?? path.join(os.homedir(), ".cache", "pulumi-narrative-jobs", "compat");

interface Tool {
  /** The npm package that ships it. */
  package: string;
  version: string;
  /** Its executable in node_modules/.bin. */
  bin: string;
}

/** Pinned: a new release of a package manager changes what the suite tests only when this file changes. */
export const TOOLS = {
  pnpm: { package: "pnpm", version: "9.15.9", bin: "pnpm" },
  yarnClassic: { package: "yarn", version: "1.22.22", bin: "yarn" },
  // Yarn 2 and later are published on npm as @yarnpkg/cli-dist, a single JavaScript file.
  yarnBerry: { package: "@yarnpkg/cli-dist", version: "4.18.1", bin: "yarn" },
} as const satisfies Record<string, Tool>;

export type ToolName = keyof typeof TOOLS;

const installing = new Map<ToolName, Promise<string>>();

/** The path of the tool's executable, installing the pinned version into the cache on first use. */
export function ensureTool(name: ToolName): Promise<string> {
  let bin = installing.get(name);
  if (bin === undefined) {
    bin = installTool(TOOLS[name]);
    installing.set(name, bin);
  }
  return bin;
}

async function installTool(tool: Tool): Promise<string> {
  const dir = path.join(COMPAT_CACHE, "tools", `${tool.package.replace("/", "+")}@${tool.version}`);
  const bin = path.join(dir, "node_modules", ".bin", tool.bin);
  if (existsSync(bin)) {
    return bin;
  }
  // Installed beside its final place and renamed, so an interrupted install is never taken for a finished one.
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const staging = await fs.mkdtemp(`${dir}.partial-`);
  try {
    await fs.writeFile(path.join(staging, "package.json"), '{ "private": true }\n');
    await runCommand(
      "npm",
      ["install", "--no-audit", "--no-fund", "--no-package-lock", `${tool.package}@${tool.version}`],
      { cwd: staging, timeoutMs: 300_000 },
    );
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(staging, dir);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
  return bin;
}

let npmRegistry: string | undefined;

/**
 * The environment for package managers: the registry npm is configured with (Yarn's own default is another
 * host), their caches in COMPAT_CACHE, and no CI defaults that refuse to write a lockfile (pnpm's frozen
 * lockfile and Yarn's immutable installs are on when CI=true).
 */
export function installEnvironment(): NodeJS.ProcessEnv {
  npmRegistry ??= execFileSync("npm", ["config", "get", "registry"], { encoding: "utf8" }).trim();
  return {
    ...process.env,
    npm_config_registry: npmRegistry,
    YARN_REGISTRY: npmRegistry,
    YARN_NPM_REGISTRY_SERVER: npmRegistry.replace(/\/$/, ""),
    npm_config_prefer_offline: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    YARN_CACHE_FOLDER: path.join(COMPAT_CACHE, "yarn-classic"),
    YARN_GLOBAL_FOLDER: path.join(COMPAT_CACHE, "yarn-berry"),
    YARN_ENABLE_GLOBAL_CACHE: "true",
    YARN_ENABLE_IMMUTABLE_INSTALLS: "false",
    YARN_ENABLE_TELEMETRY: "false",
    YARN_ENABLE_PROGRESS_BARS: "false",
  };
}

/** Runs an installer command in `dir`; a failure names the command and shows its output. */
export function install(command: string, args: readonly string[], dir: string): Promise<CliResult> {
  return runCommand(command, args, { cwd: dir, env: installEnvironment(), timeoutMs: 540_000 });
}

/** Runs one line of shell exactly as written (the README's install lines), in `dir`. */
export function installByShellLine(line: string, dir: string): Promise<CliResult> {
  return runCommand("sh", ["-c", line], { cwd: dir, env: installEnvironment(), timeoutMs: 540_000 });
}
