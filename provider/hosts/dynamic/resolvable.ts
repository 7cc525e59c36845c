/**
 * Whether Pulumi's dynamic provider host will be able to load this package's provider.
 *
 * The host compiles the stored provider text (shim.ts) as a module without a file, so its
 * `require("pulumi-narrative-jobs/provider")` looks only in the node_modules folders of the host's working
 * directory and its parents. The engine starts the host in the program's directory: the Pulumi project's
 * directory, or its `main` when that is a directory (the directory of `main` when it is a file). The language
 * host runs the program in that same directory, so the program's working directory is where to look.
 *
 * A program can load this package while that directory cannot resolve it: in a pnpm workspace where the
 * project depends on the package only through a library of its own, the package is in the library's
 * node_modules, not the project's. The host would then fail every JobRerun with `Cannot find module`; the
 * program fails first, saying what to add.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { PACKAGE_NAME, packageVersion } from "../../common/package-version";

/** The module the stored provider text requires, by package name. */
export const PROVIDER_MODULE = "pulumi-narrative-jobs/provider";

/**
 * Undefined when `PROVIDER_MODULE` resolves from `dir` the way the dynamic provider host resolves it;
 * otherwise a message that says which package.json needs the package as a direct dependency.
 */
export function providerResolutionProblem(dir: string): string | undefined {
  // A require function for a file in `dir` searches the node_modules folders of `dir` and its parents, as the
  // host does. It also resolves a package's own name from inside that package, which the host does not, but
  // only for a program whose own package is this one (this repository, which links itself into node_modules).
  const requireFromDir = createRequire(path.join(dir, "[pulumi-narrative-jobs provider check]"));
  try {
    requireFromDir.resolve(PROVIDER_MODULE);
    return undefined;
  } catch {
    const packageJson = nearestPackageJson(dir) ?? path.join(dir, "package.json");
    return (
      `Pulumi's dynamic provider host cannot load ${PROVIDER_MODULE} from ${dir}: it loads it from the ` +
      `Pulumi project's directory, and this program loaded the package from elsewhere (through a library of ` +
      `its own, say). Add "${PACKAGE_NAME}": "${ownVersion()}" to the dependencies in ${packageJson} and ` +
      `install again.`
    );
  }
}

let problem: string | null | undefined;

/**
 * Ends the program with the problem above (a RunError: the CLI prints the message without a stack trace),
 * checked once per process. Only in a program that the Pulumi CLI runs through its language host, which sets
 * PULUMI_NODEJS_MONITOR: an Automation API inline program runs in the caller's own process, whose working
 * directory need not be the one the engine gives the host (see docs/package-managers.md, The Automation API).
 */
export function checkProviderResolvable(resourceName: string): void {
  if (process.env["PULUMI_NODEJS_MONITOR"] === undefined) {
    return;
  }
  problem ??= providerResolutionProblem(process.cwd()) ?? null;
  if (problem !== null) {
    throw new pulumi.RunError(`JobRerun ${resourceName}: ${problem}`);
  }
}

function nearestPackageJson(dir: string): string | undefined {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const candidate = path.join(current, "package.json");
    if (existsSync(candidate)) {
      return candidate;
    }
    if (path.dirname(current) === current) {
      return undefined;
    }
  }
}

/** This package's version, for the dependency to add: the same as the copy the program loaded. */
function ownVersion(): string {
  return packageVersion() ?? "*";
}
