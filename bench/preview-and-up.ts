/**
 * Sections 2 and 3 at one resource count: preview and up of N JobReruns against the floor (N no-op resources),
 * and what the state footprint needs from those stacks. At the diagnosis count, two more no-op floors run in the
 * same rounds: one padded to a JobRerun's state size, one that also declares a JobRerun's properties (see
 * programs.ts); up then runs again without intermediate checkpoints.
 */
import type { PulumiWorkspace, StateResource } from "../scripts/pulumi-harness";
import type { Compared, BenchResults } from "./figures";
import { occurrences, resourceFootprint } from "./footprint";
import { FOOTPRINT_COUNT, type BenchOptions } from "./options";
import { progress } from "./progress";
import type { BenchServices } from "./services";
import { sideBySide, versus, type CommandMeasure, type Side } from "./timer";

/** How long the simulator holds each API request in the runs with latency. */
const SIMULATED_LATENCY_MS = 50;
const UP = ["up", "--yes", "--skip-preview"];

/** The stacks compared at one count, and the generation of triggers the last up applied. */
interface Contenders {
  count: number;
  rerun: PulumiWorkspace;
  floor: PulumiWorkspace;
  diagnosis: { name: string; workspace: PulumiWorkspace }[];
  generation: number;
}

/**
 * The padding that gives a no-op resource as many bytes of state as a JobRerun, from the two footprints measured
 * at N = 10; the padding is stored twice (inputs and outputs), with a few bytes of key and quotes each time.
 */
function paddingFor(results: BenchResults): number | undefined {
  const { jobRerun, floor } = results.footprint;
  if (jobRerun === undefined || floor === undefined) {
    return undefined;
  }
  return Math.max(0, Math.round((jobRerun.resourceBytes.median - floor.resourceBytes.median) / 2) - 12);
}

async function makeStacks(
  { stacks }: BenchServices,
  count: number,
  padding: number | undefined,
): Promise<Contenders> {
  const rerun = await stacks.create("job-rerun", count);
  const floor = await stacks.create("floor", count);
  const diagnosis =
    padding === undefined
      ? []
      : [
          { name: "padded floor", workspace: await stacks.create("padded-floor", count, padding) },
          { name: "shaped floor", workspace: await stacks.create("shaped-floor", count, padding) },
        ];
  return { count, rerun, floor, diagnosis, generation: 0 };
}

/** The first up of every stack, which creates its resources: timed once, not a goal. */
async function createResources({ timer }: BenchServices, stacks: Contenders, results: BenchResults) {
  const { count, generation } = stacks;
  const created = new RegExp(`\\+ ${count + 1} created`);
  const create = {
    jobRerun: (await timer.time(stacks.rerun, UP, generation, created)).seconds,
    floor: (await timer.time(stacks.floor, UP, generation, created)).seconds,
  };
  for (const { workspace } of stacks.diagnosis) {
    await timer.time(workspace, UP, generation, created);
  }
  progress(
    `N=${count}: created (JobRerun ${create.jobRerun.toFixed(1)} s, floor ${create.floor.toFixed(1)} s)`,
  );
  results.create.push({ count, ...create });
}

/** JobRerun's runs against the floor's, and against the diagnosis floors' when they ran. */
function compared(count: number, [jobRerun = [], floor = [], padded, shaped]: CommandMeasure[][]): Compared {
  return {
    count,
    ...sideBySide(jobRerun, floor),
    paddedFloor: versus(jobRerun, padded),
    shapedFloor: versus(jobRerun, shaped),
  };
}

/** Preview leaves the state alone: every run previews the same change of triggers. */
async function comparePreviews(
  { timer }: BenchServices,
  stacks: Contenders,
  runs: number,
): Promise<Compared> {
  const { count } = stacks;
  const previewed = new RegExp(`~ ${count} to update`);
  const next = stacks.generation + 1;
  const preview = (workspace: PulumiWorkspace) => () => timer.time(workspace, ["preview"], next, previewed);
  const sides: Side[] = [
    { name: "JobRerun", run: preview(stacks.rerun) },
    { name: "floor", run: preview(stacks.floor) },
    ...stacks.diagnosis.map(({ name, workspace }) => ({ name, run: preview(workspace) })),
  ];
  return compared(count, await timer.alternate(`N=${count} preview`, runs, sides));
}

interface UpConditions {
  label: string;
  /** Held on every API request the JobRerun side makes; 0 for none. */
  latencyMs: number;
  env: NodeJS.ProcessEnv;
  /** Whether the diagnosis floors run too. */
  diagnose: boolean;
}

/** Each round applies a new generation of triggers on every side. */
async function compareUps(
  { sim, timer }: BenchServices,
  stacks: Contenders,
  runs: number,
  { label, latencyMs, env, diagnose }: UpConditions,
): Promise<Compared> {
  const { count } = stacks;
  const updated = new RegExp(`~ ${count} updated`);
  const up = (workspace: PulumiWorkspace) => () => timer.time(workspace, UP, stacks.generation, updated, env);
  const jobRerun = async () => {
    stacks.generation += 1;
    if (latencyMs > 0) {
      const delayed = Array.from({ length: count }, () => ({ latencyMs }));
      sim.fault("POST /jobs/{job_id}/reschedule", ...delayed);
      sim.fault("GET /jobs/{job_id}", ...delayed);
    }
    try {
      return await up(stacks.rerun)();
    } finally {
      sim.clearFaults();
    }
  };
  const sides: Side[] = [
    { name: "JobRerun", run: jobRerun },
    { name: "floor", run: up(stacks.floor) },
    ...(diagnose ? stacks.diagnosis : []).map(({ name, workspace }) => ({ name, run: up(workspace) })),
  ];
  return compared(count, await timer.alternate(label, runs, sides));
}

/** Up as it is, with latency at the latency counts, and without checkpoints at the diagnosis count. */
async function measureUps(
  services: BenchServices,
  stacks: Contenders,
  options: BenchOptions,
  results: BenchResults,
): Promise<void> {
  const { count } = stacks;
  const latency = SIMULATED_LATENCY_MS;
  const rounds = (conditions: UpConditions) => compareUps(services, stacks, options.runs, conditions);
  results.up.push({
    latencyMs: 0,
    ...(await rounds({ label: `N=${count} up`, latencyMs: 0, env: {}, diagnose: true })),
  });
  if (options.latencyCounts.includes(count)) {
    const label = `N=${count} up +${latency} ms`;
    results.up.push({
      latencyMs: latency,
      ...(await rounds({ label, latencyMs: latency, env: {}, diagnose: false })),
    });
  }
  if (stacks.diagnosis.length > 0) {
    // PULUMI_SKIP_CHECKPOINTS: the engine writes the state once at the end instead of after every step.
    const env = { PULUMI_SKIP_CHECKPOINTS: "true" };
    const label = `N=${count} up without checkpoints`;
    results.checkpoints = await rounds({ label, latencyMs: 0, env, diagnose: true });
    const delayedLabel = `N=${count} up +${latency} ms without checkpoints`;
    results.checkpointsWithLatency = {
      latencyMs: latency,
      ...(await rounds({ label: delayedLabel, latencyMs: latency, env, diagnose: false })),
    };
  }
}

/**
 * The stack exports after the last up: their sizes, the token (which must never be there), and at the
 * footprint's count the floor's footprint and the JobRerun resources for the caller's.
 */
async function readExports(
  { token }: BenchServices,
  stacks: Contenders,
  results: BenchResults,
): Promise<StateResource[] | undefined> {
  const { count } = stacks;
  const exportBytes = async (workspace: PulumiWorkspace | undefined): Promise<number | undefined> =>
    workspace === undefined ? undefined : Buffer.byteLength((await workspace.exportStack()).text);
  const rerunExport = await stacks.rerun.exportStack();
  const floorExport = await stacks.floor.exportStack();
  results.exportBytes.push({
    count,
    jobRerun: Buffer.byteLength(rerunExport.text),
    floor: Buffer.byteLength(floorExport.text),
    paddedFloor: await exportBytes(stacks.diagnosis[0]?.workspace),
    shapedFloor: await exportBytes(stacks.diagnosis[1]?.workspace),
  });
  results.tokenInState += occurrences(rerunExport.text, token);
  if (count !== FOOTPRINT_COUNT) {
    return undefined;
  }
  results.footprint.floor = resourceFootprint(
    floorExport.resources.filter((resource) => resource.type.endsWith(":NoOp")),
  );
  return rerunExport.resources.filter((resource) => resource.type.endsWith(":JobRerun"));
}

/**
 * Preview and up at `count`, into `results`; returns the JobRerun resources of the footprint's stack when
 * `count` is the footprint's count.
 */
export async function measurePreviewAndUp(
  services: BenchServices,
  count: number,
  options: BenchOptions,
  results: BenchResults,
): Promise<StateResource[] | undefined> {
  const padding = options.diagnosisCount === count ? paddingFor(results) : undefined;
  const stacks = await makeStacks(services, count, padding);
  try {
    await createResources(services, stacks, results);
    results.preview.push(await comparePreviews(services, stacks, options.runs));
    await measureUps(services, stacks, options, results);
    const footprintResources = await readExports(services, stacks, results);
    if (padding !== undefined) {
      results.paddingBytes = padding;
    }
    return footprintResources;
  } finally {
    await services.stacks.dispose(
      stacks.rerun,
      stacks.floor,
      ...stacks.diagnosis.map((side) => side.workspace),
    );
  }
}
