/**
 * The checks a release (.github/workflows/release.yml) makes before it uploads anything, as an npm script the tests
 * run here:
 *
 *   npm run release -- check-tag v0.1.0      the tag must be v<package.json's version>: the schema, the SDKs and the
 *                                            plugin carry that version, and the CLI asks for the archives by it
 *   npm run release -- go-sdk-tag            prints sdk/go/v<version>: Go finds a module in a subdirectory of a
 *                                            repository by a tag named after that directory
 *   npm run release -- check-assets DIR      DIR holds every asset of the release, and nothing stale: each
 *                                            platform's plugin archive, listed with its right SHA-256 in the
 *                                            checksums file, the npm package and the Python SDK's sdist and wheel
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { archiveName, checksumsName, TARGETS } from "./standalone/targets";
import { pluginVersion } from "../provider/hosts/plugin/schema";

/** The version the plugin, the schema and the SDKs carry: package.json's, read by the package's one reader. */
export const packageVersion = pluginVersion;

/** Why `tag` cannot be released from this checkout, or undefined. */
export function tagProblem(tag: string, version = packageVersion()): string | undefined {
  if (tag !== `v${version}`) {
    return `the tag ${JSON.stringify(tag)} is not v${version}, package.json's version (the plugin, schema and SDKs carry it): bump the version (npm run schema, npm run sdks) or tag v${version}`;
  }
  return undefined;
}

export function goSdkTag(version = packageVersion()): string {
  return `sdk/go/v${version}`;
}

/** Every file name a release of `version` attaches. */
export function expectedAssets(version = packageVersion()): string[] {
  return [
    ...TARGETS.map((target) => archiveName(version, target)),
    checksumsName(version),
    `pulumi-narrative-jobs-${version}.tgz`,
    `pulumi_narrative-${version}.tar.gz`,
    `pulumi_narrative-${version}-py3-none-any.whl`,
  ].sort();
}

/** What is wrong with the release assets in `dir`: missing, unexpected, or a checksum that does not match. */
export async function assetProblems(dir: string, version = packageVersion()): Promise<string[]> {
  const expected = expectedAssets(version);
  const present = (await fs.readdir(dir)).sort();
  const problems = [
    ...expected.filter((name) => !present.includes(name)).map((name) => `missing: ${name}`),
    ...present.filter((name) => !expected.includes(name)).map((name) => `not a release asset: ${name}`),
  ];
  const checksums = path.join(dir, checksumsName(version));
  if (!present.includes(checksumsName(version))) {
    return problems;
  }
  const listed = new Map(
    (await fs.readFile(checksums, "utf8"))
      .trim()
      .split("\n")
      .map((line) => {
        const [sum = "", name = ""] = line.split("  ");
        return [name, sum] as const;
      }),
  );
  for (const target of TARGETS) {
    const name = archiveName(version, target);
    if (!present.includes(name)) {
      continue;
    }
    const actual = createHash("sha256")
      .update(await fs.readFile(path.join(dir, name)))
      .digest("hex");
    if (listed.get(name) !== actual) {
      problems.push(
        `${checksumsName(version)}: ${name} is listed as ${listed.get(name) ?? "nothing"}, but is ${actual}`,
      );
    }
  }
  return problems;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, argument] = argv;
  if (command === "check-tag" && argument !== undefined) {
    const problem = tagProblem(argument);
    if (problem !== undefined) {
      process.stderr.write(`release: ${problem}\n`);
      return 1;
    }
    return 0;
  }
  if (command === "go-sdk-tag") {
    process.stdout.write(`${goSdkTag()}\n`);
    return 0;
  }
  if (command === "check-assets" && argument !== undefined) {
    const problems = await assetProblems(path.resolve(argument));
    for (const problem of problems) {
      process.stderr.write(`release: ${problem}\n`);
    }
    return problems.length === 0 ? 0 : 1;
  }
  process.stderr.write("usage: npm run release -- check-tag <tag> | go-sdk-tag | check-assets <dir>\n");
  return 2;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`release: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
