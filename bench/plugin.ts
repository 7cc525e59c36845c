/**
 * Section 6, the provider plugin: at each count, the same JobReruns as a Pulumi YAML program through the
 * `narrative` plugin and as a Node.js program through the dynamic provider host, against the same simulator and
 * proxy, the same job ids and the same change of triggers, preview and up alternating (YAML first); then the
 * plugin's start-up against the dynamic host's.
 */
import { NarrativeJobsClient } from "../provider/api/client";
import type { PluginCompared, PluginResults } from "./figures";
import { measurePluginStart } from "./plugin-start";
import { benchJobId } from "./programs";
import { progress } from "./progress";
import type { BenchServices } from "./services";
import { formatSummary, pairedRatios } from "./stats";
import { STANDALONE } from "./stacks";
import { pluginSide, secondsOf, type CommandMeasure } from "./timer";

/** Starts of each provider for the start-up figure: a start is a fraction of a second. */
const PLUGIN_START_RUNS = 20;
const UP = ["up", "--yes", "--skip-preview"];

/**
 * Reschedules every job the plugin's figures use once, outside any figure. The YAML and the Node.js stacks
 * reschedule the same jobs in turn, and the run-since rule (decisions.ts) rightly takes a reschedule a stack did
 * not send for a run to follow rather than POST again. On the simulator's frozen clock every reschedule leaves a
 * job as the first one did (pending, the same `updated_at`), so after this one neither stack sees the other's.
 */
async function primeJobs({ sim, token }: BenchServices, count: number): Promise<void> {
  const client = new NarrativeJobsClient({ apiUrl: sim.url, token });
  try {
    for (let index = 0; index < count; index++) {
      await client.reschedule(benchJobId(index), { force: true });
    }
  } finally {
    client.close();
  }
}

function compare(count: number, [yamlRuns = [], dynamicRuns = []]: CommandMeasure[][]): PluginCompared {
  return {
    count,
    yaml: pluginSide(yamlRuns),
    dynamic: pluginSide(dynamicRuns),
    ratio: pairedRatios(secondsOf(yamlRuns), secondsOf(dynamicRuns)),
  };
}

/** Preview and up at one count, each side created first (untimed for the figure). */
async function compareAtCount(
  { stacks, timer }: BenchServices,
  count: number,
  runs: number,
): Promise<{ preview: PluginCompared; up: PluginCompared }> {
  const yaml = await stacks.createYaml(count);
  const dynamic = await stacks.create("job-rerun", count);
  try {
    const created = new RegExp(`\\+ ${count + 1} created`);
    let generation = 0;
    const createYaml = (await timer.timeYaml(yaml, UP, generation, created)).seconds;
    const createDynamic = (await timer.time(dynamic, UP, generation, created)).seconds;
    progress(
      `N=${count} plugin: created (YAML ${createYaml.toFixed(1)} s, dynamic ${createDynamic.toFixed(1)} s)`,
    );

    // Preview leaves the state alone: every run previews the same change of triggers.
    const previewed = new RegExp(`~ ${count} to update`);
    const next = generation + 1;
    const preview = await timer.alternate(`N=${count} plugin preview`, runs, [
      { name: "YAML", run: () => timer.timeYaml(yaml, ["preview"], next, previewed) },
      { name: "dynamic", run: () => timer.time(dynamic, ["preview"], next, previewed) },
    ]);

    // Each round applies a new generation of triggers on both sides.
    const updated = new RegExp(`~ ${count} updated`);
    const up = await timer.alternate(`N=${count} plugin up`, runs, [
      {
        name: "YAML",
        run: () => {
          generation += 1;
          return timer.timeYaml(yaml, UP, generation, updated);
        },
      },
      { name: "dynamic", run: () => timer.time(dynamic, UP, generation, updated) },
    ]);
    return { preview: compare(count, preview), up: compare(count, up) };
  } finally {
    await stacks.dispose(yaml, dynamic);
  }
}

export async function measurePlugin(
  services: BenchServices,
  counts: readonly number[],
  runs: number,
): Promise<Omit<PluginResults, "measuredBy">> {
  const preview: PluginCompared[] = [];
  const up: PluginCompared[] = [];
  if (counts.length > 0) {
    await primeJobs(services, Math.max(...counts));
  }
  for (const count of counts) {
    const compared = await compareAtCount(services, count, runs);
    preview.push(compared.preview);
    up.push(compared.up);
  }
  progress(`plugin start-up: ${PLUGIN_START_RUNS} starts of each`);
  const start = await measurePluginStart(PLUGIN_START_RUNS);
  progress(
    `plugin start-up ${formatSummary(start.plugin.port, 0, " ms")}, dynamic host ` +
      `${formatSummary(start.dynamicHost.port, 0, " ms")}; ratio ${formatSummary(start.portRatio, 2)}`,
  );
  return {
    counts: [...counts],
    runs,
    preview,
    up,
    start,
    ...(STANDALONE ? { yamlPlugin: "standalone" as const } : {}),
  };
}
