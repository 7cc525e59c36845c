/**
 * The whole run (`npm run bench`, `--quick`): every section in turn against one set of services, then
 * results.json and results.md. Preview and up use the real Pulumi CLI against the in-process simulator over
 * loopback, through the counting proxy (api-proxy.ts).
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensurePulumiCli, REPO_ROOT, runCommand } from "../scripts/pulumi-harness";
import { measureClient } from "./client";
import type { BenchResults, Machine } from "./figures";
import {
  measureJobRerunFootprint,
  measureNaiveFootprint,
  measureTextGrowth,
  recordJobRerunFootprint,
} from "./footprint-runs";
import { FOOTPRINT_COUNT, PLUGIN_COUNTS, type BenchOptions } from "./options";
import { measurePlugin } from "./plugin";
import { measurePolling } from "./polling";
import { measurePreviewAndUp } from "./preview-and-up";
import { progress } from "./progress";
import { writeResults } from "./results-files";
import { withServices, type BenchServices } from "./services";

async function describeMachine(cliDir: string): Promise<Machine> {
  const pulumi = path.join(cliDir, "pulumi");
  const env = { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" };
  const version = (await runCommand(pulumi, ["version"], { env })).stdout.trim();
  const help = (await runCommand(pulumi, ["up", "--help"], { env })).stdout;
  const parallel = /--parallel\b.*\(default (\d+)\)/.exec(help)?.[1];
  const sdk = JSON.parse(
    await fs.readFile(path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8"),
  ) as { version: string };
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model.trim() ?? "unknown",
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    pulumiCli: version,
    pulumiSdk: sdk.version,
    parallelDefault: parallel === undefined ? undefined : Number(parallel),
    date: new Date().toISOString(),
  };
}

/** The figures before anything is measured: every section empty. */
function noFiguresYet(options: BenchOptions, machine: Machine): BenchResults {
  return {
    mode: options.mode,
    command: `npm run bench${options.mode === "quick" ? " -- --quick" : ""}`,
    counts: options.counts,
    runs: options.runs,
    machine,
    totalSeconds: 0,
    loadAverage: undefined,
    create: [],
    preview: [],
    up: [],
    checkpoints: undefined,
    checkpointsWithLatency: undefined,
    paddingBytes: undefined,
    exportBytes: [],
    tokenInState: 0,
    footprint: {
      count: FOOTPRINT_COUNT,
      jobRerun: undefined,
      naive: undefined,
      floor: undefined,
      growth: undefined,
      storedEqualsInProcess: undefined,
    },
    client: undefined,
    plugin: undefined,
    polling: undefined,
  };
}

/**
 * Every section against one set of services. Preview and up at the footprint's count (the first) come before
 * the larger counts, whose diagnosis floors are padded to the footprints measured there.
 */
async function measureSections(services: BenchServices, options: BenchOptions, results: BenchResults) {
  const shimText = await measureTextGrowth(results);
  for (const count of options.counts) {
    const resources = await measurePreviewAndUp(services, count, options, results);
    if (resources !== undefined) {
      recordJobRerunFootprint(results, resources, shimText);
    }
  }
  if (results.footprint.jobRerun === undefined) {
    // The counts measured did not include the footprint's stack: make it on its own.
    await measureJobRerunFootprint(services, results, shimText);
  }
  const pluginCounts = options.counts.filter((count) => PLUGIN_COUNTS.includes(count));
  results.plugin = { ...(await measurePlugin(services, pluginCounts, options.runs)), measuredBy: undefined };
  await measureNaiveFootprint(services, results);
  results.client = await measureClient(services.sim.url, services.proxy, services.token, progress);
  results.polling = await measurePolling(services.token);
  results.loadAverage = services.loadAverage();
}

export async function runWholeBench(options: BenchOptions): Promise<void> {
  const startedAt = performance.now();
  // Ctrl+C reaches the CLI too, which cancels; the failed command then unwinds through the clean-ups.
  process.on("SIGINT", () => progress("interrupted: stopping after the current command"));
  progress(`${options.mode} mode: N = ${options.counts.join(", ")}, ${options.runs} runs per side`);
  const cliDir = await ensurePulumiCli({ showProgress: true });
  const results = noFiguresYet(options, await describeMachine(cliDir));
  const settings = {
    jobs: Math.max(...options.counts, FOOTPRINT_COUNT),
    loadSampleMs: 10_000,
    sampleLoadAtStart: false,
  };
  await withServices(settings, (services) => measureSections(services, options, results));
  results.totalSeconds = (performance.now() - startedAt) / 1_000;
  await writeResults(results, options.write);
  progress(`done in ${(results.totalSeconds / 60).toFixed(1)} min`);
}
