/**
 * What one resource costs in the state: its bytes in `pulumi stack export`, the share that is the serialized
 * provider (`__provider`, stored in both inputs and outputs), and whether that text grows with the code behind it.
 */
import * as pulumi from "@pulumi/pulumi";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { StateResource } from "../scripts/pulumi-harness";
import { summarize, type Summary } from "./stats";

export interface ResourceFootprint {
  resources: number;
  /** The resource as compact JSON, every field the export holds for it. */
  resourceBytes: Summary;
  /** One copy of `__provider`; the state holds two (inputs and outputs). */
  providerBytes: Summary;
  /** Medians, per resource: where the bytes go. */
  breakdown: { providerBothCopies: number; job: number; rest: number };
}

function bytes(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value), "utf8");
}

export function resourceFootprint(resources: readonly StateResource[]): ResourceFootprint {
  const resourceBytes = resources.map((resource) => bytes(resource));
  const providerText = (resource: StateResource): string => String(resource.inputs?.["__provider"] ?? "");
  const providerBytes = resources.map((resource) => Buffer.byteLength(providerText(resource), "utf8"));
  const part = (pick: (resource: StateResource) => number): number =>
    summarize(resources.map((resource) => pick(resource))).median;
  const providerBothCopies = part(
    (resource) => bytes(resource.inputs?.["__provider"]) + bytes(resource.outputs?.["__provider"]),
  );
  // The job as the resource stores it: JobRerun keeps its text under status; the naive fixture the parsed job.
  const job = part((resource) => {
    const status = resource.outputs?.["status"] as { jobJson?: string } | undefined;
    return bytes(status?.jobJson) + bytes(resource.outputs?.["job"]) + bytes(resource.outputs?.["jobJson"]);
  });
  const total = summarize(resourceBytes).median;
  return {
    resources: resources.length,
    resourceBytes: summarize(resourceBytes),
    providerBytes: summarize(providerBytes),
    breakdown: { providerBothCopies, job, rest: total - providerBothCopies - job },
  };
}

/** How often `secret` appears in `text`: a stack export must hold the API token nowhere. */
export function occurrences(text: string, secret: string): number {
  return text.split(secret).length - 1;
}

export interface TextGrowth {
  /** Bytes of the serialized provider text. */
  before: number;
  after: number;
  /** Bytes added to the code behind the provider. */
  codeAdded: number;
  identical: boolean;
}

export interface ProviderTextGrowth {
  /** This package: the stored text, before and after 100 KB is appended to lib/hosts/dynamic/provider.js and lib/api/client.js. */
  jobRerun: TextGrowth & { implementationBytes: { before: number; after: number } };
  /** The naive fixture: its text before and after its client class gains a 100 KB method. */
  naive: TextGrowth;
  /** The in-process text of the shim equals the `__provider` the CLI stored (checked by the caller). */
  shimText: string;
}

/** A method body of about `size` bytes: lines of string literals, as a large feature would add. */
function bulk(size: number): string {
  const lines: string[] = [];
  for (let index = 0; lines.join("\n").length < size && index < 100_000; index++) {
    lines.push(`      "generated line ${index} ${"x".repeat(80)}",`);
  }
  return lines.join("\n");
}

/** Loads a CommonJS module by a path known only at run time: the original or its grown copy. */
function loadModule<T>(file: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path chosen at run time, in this process
  return require(file) as T;
}

/** What Pulumi's dynamic.Resource stores as `__provider` for this provider object. */
async function serializedProvider(provider: unknown): Promise<string> {
  return (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
}

/**
 * The bytes of the .js files below `dir`: the compiled implementation. The applications beside it (the simulator
 * and the command-line tool, which no provider loads) are left out.
 */
async function jsBytes(dir: string): Promise<number> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  let total = 0;
  for (const entry of entries) {
    const file = path.join(entry.parentPath, entry.name);
    const top = path.relative(dir, file).split(path.sep)[0];
    if (entry.isFile() && entry.name.endsWith(".js") && top !== "simulator" && top !== "cli") {
      total += (await fs.stat(file)).size;
    }
  }
  return total;
}

/**
 * Grows the code behind each provider in a temporary copy and serializes the provider again, in this process,
 * the way dynamic.Resource does. `workDir` must be inside the repository, so that the copies resolve
 * @pulumi/pulumi and node-fetch from its node_modules.
 */
export async function providerTextGrowth(repoRoot: string, workDir: string): Promise<ProviderTextGrowth> {
  const libDir = path.join(repoRoot, "lib");
  const grownLib = path.join(workDir, "lib");
  await fs.cp(libDir, grownLib, { recursive: true });
  const addition = `\nfunction grownFeature() {\n  return [\n${bulk(100_000)}\n  ];\n}\nexports.grownFeature = grownFeature;\n`;
  for (const file of ["hosts/dynamic/provider.js", "api/client.js"]) {
    // appendFile would make a missing file and grow nothing: the files must be where the build puts them.
    await fs.access(path.join(grownLib, file));
    await fs.appendFile(path.join(grownLib, file), addition);
  }
  // JobRerun stores a fixed text (lib/hosts/dynamic/provider-text.js) rather than a serialized closure; read it from each copy.
  type ShimModule = { PROVIDER_TEXT: string };
  const shimBefore = loadModule<ShimModule>(
    path.join(libDir, "hosts", "dynamic", "provider-text.js"),
  ).PROVIDER_TEXT;
  const shimAfter = loadModule<ShimModule>(
    path.join(grownLib, "hosts", "dynamic", "provider-text.js"),
  ).PROVIDER_TEXT;

  const fixture = path.join(__dirname, "fixtures", "naive-job-rerun.js");
  const source = await fs.readFile(fixture, "utf8");
  const anchor = "  getJob(jobId) {";
  if (!source.includes(anchor)) {
    throw new Error(`${fixture} no longer has "${anchor}", where the growth experiment adds a method`);
  }
  const method = `  grownFeature() {\n    return [\n${bulk(100_000)}\n    ];\n  }\n\n`;
  const grownFixture = path.join(workDir, "naive-job-rerun.js");
  await fs.writeFile(grownFixture, source.replace(anchor, `${method}${anchor}`));
  type NaiveModule = { naiveProvider: (apiUrl: string) => unknown };
  const apiUrl = "http://127.0.0.1:9";
  const naiveBefore = await serializedProvider(loadModule<NaiveModule>(fixture).naiveProvider(apiUrl));
  const naiveAfter = await serializedProvider(loadModule<NaiveModule>(grownFixture).naiveProvider(apiUrl));

  const size = (text: string): number => Buffer.byteLength(text, "utf8");
  return {
    jobRerun: {
      before: size(shimBefore),
      after: size(shimAfter),
      codeAdded: 2 * Buffer.byteLength(addition),
      identical: shimBefore === shimAfter,
      implementationBytes: { before: await jsBytes(libDir), after: await jsBytes(grownLib) },
    },
    naive: {
      before: size(naiveBefore),
      after: size(naiveAfter),
      codeAdded: Buffer.byteLength(method),
      identical: naiveBefore === naiveAfter,
    },
    shimText: shimBefore,
  };
}
