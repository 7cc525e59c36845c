/**
 * Section 1, the state footprint, as far as it is not read from the stacks of sections 2 and 3: whether the
 * stored provider text grows with the code (in a scratch copy of lib/), the footprint's own JobRerun stack when
 * the counts measured leave it out, and the naive provider's stack.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { E2E_ROOT, REPO_ROOT, type StateResource } from "../scripts/pulumi-harness";
import type { BenchResults } from "./figures";
import { occurrences, providerTextGrowth, resourceFootprint } from "./footprint";
import { FOOTPRINT_COUNT } from "./options";
import { progress } from "./progress";
import type { BenchServices } from "./services";

const UP = ["up", "--yes", "--skip-preview"];
const CREATED = new RegExp(`\\+ ${FOOTPRINT_COUNT + 1} created`);
const UPDATED = new RegExp(`~ ${FOOTPRINT_COUNT} updated`);

/**
 * The provider texts before and after the code behind them grows; returns the JobRerun text, which the
 * footprint then compares with what the CLI stored. The scratch copy lives under .e2e/ (inside the repository,
 * so that it resolves the repository's node_modules), which a fresh clone does not have yet.
 */
export async function measureTextGrowth(results: BenchResults): Promise<string> {
  await fs.mkdir(E2E_ROOT, { recursive: true });
  const growthDir = await fs.mkdtemp(path.join(E2E_ROOT, "bench-growth-"));
  try {
    const { shimText, ...growth } = await providerTextGrowth(REPO_ROOT, growthDir);
    results.footprint.growth = growth;
    progress(
      `provider text: ${growth.jobRerun.before} B, after +${growth.jobRerun.codeAdded} B of implementation ` +
        `${growth.jobRerun.after} B; naive ${growth.naive.before} B -> ${growth.naive.after} B`,
    );
    return shimText;
  } finally {
    await fs.rm(growthDir, { recursive: true, force: true });
  }
}

/** The JobRerun footprint from its stack's resources, and whether each stored the in-process text. */
export function recordJobRerunFootprint(
  results: BenchResults,
  resources: readonly StateResource[],
  shimText: string,
): void {
  results.footprint.jobRerun = resourceFootprint(resources);
  results.footprint.storedEqualsInProcess = resources.every(
    (resource) => resource.inputs?.["__provider"] === shimText,
  );
}

/** The footprint's stack on its own, for a run whose counts did not include it: created, then updated once. */
export async function measureJobRerunFootprint(
  { stacks, timer }: BenchServices,
  results: BenchResults,
  shimText: string,
): Promise<void> {
  const stack = await stacks.create("job-rerun", FOOTPRINT_COUNT);
  try {
    await timer.time(stack, UP, 0, CREATED);
    await timer.time(stack, UP, 1, UPDATED);
    const resources = (await stack.jobReruns()).filter((resource) => resource.type.endsWith(":JobRerun"));
    recordJobRerunFootprint(results, resources, shimText);
  } finally {
    await stacks.dispose(stack);
  }
}

/** The naive fixture's footprint: created, then updated once, like the JobRerun stack it is compared with. */
export async function measureNaiveFootprint(
  { stacks, timer, token }: BenchServices,
  results: BenchResults,
): Promise<void> {
  const naive = await stacks.create("naive", FOOTPRINT_COUNT);
  try {
    await timer.time(naive, UP, 0, CREATED);
    await timer.time(naive, UP, 1, UPDATED);
    const exported = await naive.exportStack();
    results.tokenInState += occurrences(exported.text, token);
    results.footprint.naive = resourceFootprint(
      exported.resources.filter((resource) => resource.type.endsWith(":NaiveJobRerun")),
    );
  } finally {
    await stacks.dispose(naive);
  }
}
