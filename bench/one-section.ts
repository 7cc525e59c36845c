/**
 * `--only client` and `--only plugin`: one section measured alone, against services of its own, replacing that
 * section of results.json (or printed, with --no-write). The section records the command and the load average it
 * was measured with, since they differ from the rest of the run's.
 */
import { ensurePulumiCli } from "../scripts/pulumi-harness";
import { measureClient } from "./client";
import type { PluginResults } from "./figures";
import { MODES, PLUGIN_COUNTS, type BenchOptions } from "./options";
import { measurePlugin } from "./plugin";
import { progress } from "./progress";
import { replaceSection } from "./results-files";
import { withServices } from "./services";
import { formatSummary } from "./stats";

/** Section 4; the Pulumi CLI is not needed. */
export async function measureClientAlone(write: boolean): Promise<void> {
  const settings = { jobs: 1, loadSampleMs: 5_000, sampleLoadAtStart: true };
  const { client, loadAverage } = await withServices(settings, async (services) => ({
    client: await measureClient(services.sim.url, services.proxy, services.token, progress),
    loadAverage: services.loadAverage(),
  }));
  client.measuredBy = {
    command: "npm run bench -- --only client",
    date: new Date().toISOString(),
    loadAverage,
  };
  progress(
    `getJob over node-fetch alone ${formatSummary(client.overNodeFetch, 2)} ` +
      `(CPU time ${formatSummary(client.cpuOverNodeFetch, 2)}); over raw ${formatSummary(client.ratio, 2)}; ` +
      `load average ${loadAverage === undefined ? "not sampled" : formatSummary(loadAverage, 2)}`,
  );
  await replaceSection(write, 4, "client", client);
}

/** The command that measures section 6 alone as `options` asks, for the section's note. */
function pluginCommand(counts: readonly number[], runs: number): string {
  const args = [
    "--only plugin",
    ...(counts.join() === PLUGIN_COUNTS.join() ? [] : [`--n ${counts.join()}`]),
    ...(runs === MODES.full.runs ? [] : [`--runs ${runs}`]),
  ];
  return `npm run bench -- ${args.join(" ")}`;
}

/** Section 6, at the counts of `options` that section 6 measures. */
export async function measurePluginAlone(options: BenchOptions): Promise<void> {
  const counts = options.counts.filter((count) => PLUGIN_COUNTS.includes(count));
  await ensurePulumiCli({ showProgress: true });
  const settings = { jobs: Math.max(0, ...counts), loadSampleMs: 10_000, sampleLoadAtStart: true };
  const { measured, loadAverage } = await withServices(settings, async (services) => ({
    measured: await measurePlugin(services, counts, options.runs),
    loadAverage: services.loadAverage(),
  }));
  const plugin: PluginResults = {
    ...measured,
    measuredBy: { command: pluginCommand(counts, options.runs), date: new Date().toISOString(), loadAverage },
  };
  for (const [command, rows] of [
    ["preview", plugin.preview],
    ["up", plugin.up],
  ] as const) {
    for (const row of rows) {
      progress(`plugin ${command} N=${row.count}: YAML over dynamic ${formatSummary(row.ratio, 2)}`);
    }
  }
  progress(`load average ${loadAverage === undefined ? "not sampled" : formatSummary(loadAverage, 2)}`);
  await replaceSection(options.write, 6, "plugin", plugin);
}
