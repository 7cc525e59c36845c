/**
 * `npm run bench`: what a JobRerun costs, measured side by side with a floor, and written to bench/results.md and
 * bench/results.json. Issue 5 lists the asks; bench/results.md explains every figure.
 *
 *   npm run bench              the full run: N = 10, 100 and 500 (about 20 minutes on 2 cores)
 *   npm run bench -- --quick   N = 10 and 100 only (a few minutes); results.md says which mode produced it
 *   npm run bench -- --n 100 --runs 3 --no-diagnosis --no-write   a quick look at one count, nothing written
 *   npm run bench -- --only client   the client's own cost alone (about a minute), into the existing results
 *   npm run bench -- --help    every option (USAGE below)
 *
 * Every timed figure is the median of `runs` runs, with min and max; the two sides of a ratio run alternately
 * (A, B, A, B, ...) and each ratio is taken run by run. Preview and up use the real Pulumi CLI against the
 * in-process simulator over loopback, through a counting proxy (api-proxy.ts).
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as prettier from "prettier";
import { NarrativeJobsClient } from "../provider/client";
import { startSimulator, SEEDED_JOB_IDS, type Simulator } from "../provider/simulator";
import { DEFAULT_WAIT_TIMEOUT_MS, type WaitFor } from "../provider/inputs";
import { waitForJob } from "../provider/wait";
import {
  distinctiveToken,
  E2E_ROOT,
  ensurePulumiCli,
  PulumiWorkspace,
  REPO_ROOT,
  runCommand,
  type StateResource,
} from "../scripts/pulumi-harness";
import { startApiProxy, type ApiProxy } from "./api-proxy";
import { measureClient } from "./client";
import { providerTextGrowth, resourceFootprint } from "./footprint";
import { measurePluginStart, standalonePlugin } from "./plugin-start";
import {
  benchJobId,
  GENERATION_VARIABLE,
  programText,
  YAML_GENERATION_KEY,
  yamlProgramText,
  type ProgramKind,
} from "./programs";
import {
  renderMarkdown,
  type BenchResults,
  type ClientResults,
  type Compared,
  type Machine,
  type PluginCompared,
  type PluginResults,
  type SideBySide,
  type Versus,
} from "./report";
import { formatSummary, pairedRatios, summarize } from "./stats";

interface BenchOptions {
  mode: "full" | "quick";
  /** Resource counts for preview and up. */
  counts: number[];
  /** Runs per side for every CLI figure. */
  runs: number;
  /** Counts at which `up` is also measured with 50 ms of latency per API request. */
  latencyCounts: number[];
  /**
   * The count at which preview and up also run against two more floors (padded to a JobRerun's state size, and
   * shaped like a JobRerun too), and up runs again without intermediate checkpoints.
   */
  diagnosisCount: number | undefined;
  /** Write bench/results.{md,json}; off for a trial run with other settings. */
  write: boolean;
}

const MODES: Record<BenchOptions["mode"], Omit<BenchOptions, "write">> = {
  full: {
    mode: "full",
    counts: [10, 100, 500],
    runs: 5,
    latencyCounts: [10, 100],
    diagnosisCount: 100,
  },
  quick: {
    mode: "quick",
    counts: [10, 100],
    runs: 5,
    latencyCounts: [10, 100],
    diagnosisCount: 100,
  },
};

/** The stack the state footprint is read from: small, so that the export is quick. */
const FOOTPRINT_COUNT = 10;
const SIMULATED_LATENCY_MS = 50;
const POLLING_RUNS = 25;
/** How long the polled job runs, in simulated time. */
const POLLED_JOB_RUNNING_MS = 10 * 60_000;
const POLLED_JOB_PENDING_MS = 2_000;
/** The counts at which the plugin's YAML program is compared with the dynamic resource (issue 16). */
const PLUGIN_COUNTS = [10, 100];
/** Starts of each provider for the start-up figure: a start is a fraction of a second. */
const PLUGIN_START_RUNS = 20;
/** The directory npm puts the package's executables in, which a YAML project names in `plugins.providers`. */
const PLUGIN_DIR = path.join(REPO_ROOT, "node_modules", ".bin");
/** BENCH_STANDALONE=1: section 6's YAML programs run the standalone plugin (npm run plugin-archives) instead. */
const STANDALONE = process.env["BENCH_STANDALONE"] === "1";

async function yamlPluginDir(): Promise<string> {
  const built = STANDALONE ? await standalonePlugin() : undefined;
  if (STANDALONE && built === undefined) {
    throw new BenchUsageError("BENCH_STANDALONE=1: this machine builds no standalone plugin for itself");
  }
  return built?.dir ?? PLUGIN_DIR;
}
/** An up of 500 resources takes minutes on 2 cores; a hung engine must still end the run. */
const COMMAND_TIMEOUT_MS = 20 * 60_000;

const RESULTS_MD = path.join(__dirname, "results.md");
const RESULTS_JSON = path.join(__dirname, "results.json");

const USAGE = `Usage: npm run bench -- [options]

  (no option)          the full run: N = ${MODES.full.counts.join(", ")} (about 20 minutes on 2 cores)
  --quick              N = ${MODES.quick.counts.join(", ")} only (a few minutes); results.md says which mode produced it
  --n <10,100,...>     these resource counts instead
  --runs <n>           runs per side for every CLI figure (default ${MODES.full.runs})
  --no-diagnosis       leave out the extra floors and the runs without checkpoints
  --no-write           write neither bench/results.md nor bench/results.json
  --only client        only the client's own cost (section 4, about a minute; no Pulumi CLI): replaces that
                       section of bench/results.json and writes results.md again from it
  --only plugin        only the provider plugin against the dynamic resource (section 6, a few minutes), the same
                       way; with --n and --runs as given
  --render             write results.md again from results.json, measuring nothing
  -h, --help           show this help

Fewer than ${MODES.full.runs} runs, or other counts than the mode's, make it a quick run.`;

/** A bad command line: main prints the message and the usage, without a stack. */
class BenchUsageError extends Error {}

type ParsedArgs = BenchOptions & { render: boolean; help: boolean; only: "client" | "plugin" | undefined };

function parseOptions(argv: readonly string[]): ParsedArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: "boolean" },
        n: { type: "string" },
        runs: { type: "string" },
        "no-diagnosis": { type: "boolean" },
        "no-write": { type: "boolean" },
        render: { type: "boolean" },
        only: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  const mode = values.quick === true ? "quick" : "full";
  const options: ParsedArgs = {
    ...MODES[mode],
    write: values["no-write"] !== true,
    render: values.render === true,
    help: values.help === true,
    only: undefined,
  };
  if (values.only !== undefined) {
    if (values.only !== "client" && values.only !== "plugin") {
      throw new BenchUsageError(`--only takes "client" or "plugin", got ${JSON.stringify(values.only)}`);
    }
    options.only = values.only;
  }
  if (values.runs !== undefined) {
    if (!/^\d+$/.test(values.runs) || Number(values.runs) < 1) {
      throw new BenchUsageError(`--runs takes a whole number from 1, got ${JSON.stringify(values.runs)}`);
    }
    options.runs = Number(values.runs);
  }
  if (values.n !== undefined) {
    if (!/^\d+(,\d+)*$/.test(values.n)) {
      throw new BenchUsageError(
        `--n takes counts separated by commas (10,100), got ${JSON.stringify(values.n)}`,
      );
    }
    const counts = values.n.split(",").map(Number);
    options.counts = counts;
    options.latencyCounts = options.latencyCounts.filter((count) => counts.includes(count));
    options.diagnosisCount = counts.find((count) => count > FOOTPRINT_COUNT);
  }
  if (values["no-diagnosis"] === true) {
    options.diagnosisCount = undefined;
  }
  if (options.runs < MODES.full.runs || options.counts.join() !== MODES[mode].counts.join()) {
    options.mode = "quick";
  }
  return options;
}

function progress(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

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

/** What one CLI command cost. */
interface CommandMeasure {
  seconds: number;
  requests: number;
  writes: number;
  maxInFlight: number;
}

class Bench {
  /** Every workspace made, so that an interrupted run still removes them. */
  private readonly workspaces = new Set<PulumiWorkspace>();
  /** The `generation` each YAML workspace's configuration holds. */
  private readonly yamlGenerations = new Map<PulumiWorkspace, number>();

  constructor(
    private readonly sim: Simulator,
    private readonly proxy: ApiProxy,
    readonly token: string,
  ) {}

  async workspace(kind: ProgramKind, count: number, paddingBytes = 0): Promise<PulumiWorkspace> {
    const workspace = await PulumiWorkspace.create({
      project: `bench-${kind}-${count}`,
      program: programText(kind, count, paddingBytes),
      // The naive fixture reads the token at call time; JobRerun takes it from the stack configuration.
      env: kind === "naive" ? { NARRATIVE_API_TOKEN: this.token } : {},
    });
    this.workspaces.add(workspace);
    if (kind === "job-rerun") {
      await workspace.configureNarrative(this.proxy.url, this.token);
    } else if (kind === "naive") {
      await workspace.setConfig("apiUrl", this.proxy.url);
    }
    return workspace;
  }

  /** The same JobReruns as `workspace("job-rerun", count)`, as a YAML program through the provider plugin. */
  async yamlWorkspace(count: number): Promise<PulumiWorkspace> {
    const project = `bench-yaml-${count}`;
    await fs.mkdir(E2E_ROOT, { recursive: true });
    const dir = await fs.mkdtemp(path.join(E2E_ROOT, `${project}-`));
    await fs.writeFile(path.join(dir, "Pulumi.yaml"), yamlProgramText(project, count, await yamlPluginDir()));
    const workspace = await PulumiWorkspace.create({ project, dir, existingProject: true, removeDir: true });
    this.workspaces.add(workspace);
    await workspace.configureNarrative(this.proxy.url, this.token);
    return workspace;
  }

  /**
   * `measure` for a YAML workspace, whose triggers come from its `generation` setting: set before the clock
   * starts (a command of its own, as a person changing a setting), and only when it changes.
   */
  async measureYaml(
    workspace: PulumiWorkspace,
    args: string[],
    generation: number,
    expected: RegExp,
  ): Promise<CommandMeasure> {
    if (this.yamlGenerations.get(workspace) !== generation) {
      await workspace.setConfig(YAML_GENERATION_KEY, String(generation));
      this.yamlGenerations.set(workspace, generation);
    }
    return this.measure(workspace, args, generation, expected);
  }

  async dispose(workspace: PulumiWorkspace): Promise<void> {
    this.workspaces.delete(workspace);
    this.yamlGenerations.delete(workspace);
    await workspace.dispose();
  }

  async disposeAll(): Promise<void> {
    for (const workspace of [...this.workspaces]) {
      await this.dispose(workspace).catch(() => undefined);
    }
  }

  /**
   * Runs one command with the triggers at `generation` and checks it did what the figure claims (every resource
   * previewed or applied as an update), so that a figure never silently measures a no-op.
   */
  async measure(
    workspace: PulumiWorkspace,
    args: string[],
    generation: number,
    expected: RegExp,
    env: NodeJS.ProcessEnv = {},
  ): Promise<CommandMeasure> {
    const before = this.sim.requests.length;
    this.proxy.resetCounters();
    const startedAt = performance.now();
    const result = await workspace.pulumi(args, {
      env: { [GENERATION_VARIABLE]: String(generation), ...env },
      timeoutMs: COMMAND_TIMEOUT_MS,
      allowFailure: true,
    });
    const seconds = (performance.now() - startedAt) / 1_000;
    if (result.code !== 0 || !expected.test(result.output)) {
      throw new Error(
        `${result.command} (${workspace.dir}) ${result.code === 0 ? `did not print ${expected}` : `exited with ${result.code}`}:\n` +
          result.output.slice(-4_000),
      );
    }
    const requests = this.sim.requests.slice(before);
    return {
      seconds,
      requests: requests.length,
      writes: requests.filter((request) => request.method !== "GET").length,
      maxInFlight: this.proxy.maxInFlight,
    };
  }

  /** `runs` rounds of every side in turn (A, B, A, B, ...); returns each side's measures in run order. */
  async alternate(label: string, runs: number, sides: readonly Side[]): Promise<CommandMeasure[][]> {
    const measures: CommandMeasure[][] = sides.map(() => []);
    for (let run = 0; run < runs; run++) {
      for (const [index, side] of sides.entries()) {
        measures[index]?.push(await side.run());
      }
      const last = sides.map(
        (side, index) => `${side.name} ${measures[index]?.at(-1)?.seconds.toFixed(2)} s`,
      );
      progress(`${label} run ${run + 1}/${runs}: ${last.join(", ")}`);
    }
    return measures;
  }
}

interface Side {
  name: string;
  run: () => Promise<CommandMeasure>;
}

const secondsOf = (measures: readonly CommandMeasure[]): number[] =>
  measures.map((measure) => measure.seconds);

function sideBySide(jobRerun: readonly CommandMeasure[], floor: readonly CommandMeasure[]): SideBySide {
  return {
    jobRerun: {
      seconds: summarize(secondsOf(jobRerun)),
      requests: summarize(jobRerun.map((measure) => measure.requests)),
      writes: summarize(jobRerun.map((measure) => measure.writes)),
      maxInFlight: summarize(jobRerun.map((measure) => measure.maxInFlight)),
    },
    floor: { seconds: summarize(secondsOf(floor)) },
    ratio: pairedRatios(secondsOf(jobRerun), secondsOf(floor)),
  };
}

/** A diagnosis side: its time, and JobRerun's over it run by run. */
function versus(
  jobRerun: readonly CommandMeasure[],
  other: readonly CommandMeasure[] | undefined,
): Versus | undefined {
  return other === undefined || other.length === 0
    ? undefined
    : { seconds: summarize(secondsOf(other)), ratio: pairedRatios(secondsOf(jobRerun), secondsOf(other)) };
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

/**
 * Preview and up at one resource count, plus what the footprint and the diagnosis need from those stacks. At the
 * diagnosis count, two more no-op floors run in the same rounds: one padded to a JobRerun's state size, one that
 * also declares a JobRerun's properties (see programs.ts).
 */
async function measureScale(
  bench: Bench,
  sim: Simulator,
  count: number,
  options: BenchOptions,
  results: BenchResults,
): Promise<StateResource[] | undefined> {
  const padding = options.diagnosisCount === count ? paddingFor(results) : undefined;
  const rerun = await bench.workspace("job-rerun", count);
  const floor = await bench.workspace("floor", count);
  const diagnosis =
    padding === undefined
      ? []
      : [
          { name: "padded floor", workspace: await bench.workspace("padded-floor", count, padding) },
          { name: "shaped floor", workspace: await bench.workspace("shaped-floor", count, padding) },
        ];
  let footprintResources: StateResource[] | undefined;
  try {
    const up = ["up", "--yes", "--skip-preview"];
    const created = new RegExp(`\\+ ${count + 1} created`);
    const updated = new RegExp(`~ ${count} updated`);
    let generation = 0;
    const create = {
      jobRerun: (await bench.measure(rerun, up, generation, created)).seconds,
      floor: (await bench.measure(floor, up, generation, created)).seconds,
    };
    for (const { workspace } of diagnosis) {
      await bench.measure(workspace, up, generation, created);
    }
    progress(
      `N=${count}: created (JobRerun ${create.jobRerun.toFixed(1)} s, floor ${create.floor.toFixed(1)} s)`,
    );
    results.create.push({ count, ...create });

    const withDiagnosis = (
      jobRerun: CommandMeasure[] = [],
      noOp: CommandMeasure[] = [],
      padded?: CommandMeasure[],
      shaped?: CommandMeasure[],
    ): Compared => ({
      count,
      ...sideBySide(jobRerun, noOp),
      paddedFloor: versus(jobRerun, padded),
      shapedFloor: versus(jobRerun, shaped),
    });

    // Preview leaves the state alone: every run previews the same change of triggers.
    const previewed = new RegExp(`~ ${count} to update`);
    const next = generation + 1;
    const preview = (workspace: PulumiWorkspace) => () =>
      bench.measure(workspace, ["preview"], next, previewed);
    const previewSides: Side[] = [
      { name: "JobRerun", run: preview(rerun) },
      { name: "floor", run: preview(floor) },
      ...diagnosis.map(({ name, workspace }) => ({ name, run: preview(workspace) })),
    ];
    results.preview.push(
      withDiagnosis(...(await bench.alternate(`N=${count} preview`, options.runs, previewSides))),
    );

    // Each round applies a new generation of triggers on every side.
    const upRounds = async (label: string, latencyMs: number, env: NodeJS.ProcessEnv, diagnose: boolean) => {
      const sides: Side[] = [
        {
          name: "JobRerun",
          run: async () => {
            generation += 1;
            if (latencyMs > 0) {
              const delayed = Array.from({ length: count }, () => ({ latencyMs }));
              sim.fault("POST /jobs/{job_id}/reschedule", ...delayed);
              sim.fault("GET /jobs/{job_id}", ...delayed);
            }
            try {
              return await bench.measure(rerun, up, generation, updated, env);
            } finally {
              sim.clearFaults();
            }
          },
        },
        { name: "floor", run: () => bench.measure(floor, up, generation, updated, env) },
        ...(diagnose ? diagnosis : []).map(({ name, workspace }) => ({
          name,
          run: () => bench.measure(workspace, up, generation, updated, env),
        })),
      ];
      return withDiagnosis(...(await bench.alternate(label, options.runs, sides)));
    };

    results.up.push({ latencyMs: 0, ...(await upRounds(`N=${count} up`, 0, {}, true)) });
    if (options.latencyCounts.includes(count)) {
      const label = `N=${count} up +${SIMULATED_LATENCY_MS} ms`;
      results.up.push({
        latencyMs: SIMULATED_LATENCY_MS,
        ...(await upRounds(label, SIMULATED_LATENCY_MS, {}, false)),
      });
    }
    if (diagnosis.length > 0) {
      // PULUMI_SKIP_CHECKPOINTS: the engine writes the state once at the end instead of after every step.
      const skip = { PULUMI_SKIP_CHECKPOINTS: "true" };
      results.checkpoints = await upRounds(`N=${count} up without checkpoints`, 0, skip, true);
      results.checkpointsWithLatency = {
        latencyMs: SIMULATED_LATENCY_MS,
        ...(await upRounds(
          `N=${count} up +${SIMULATED_LATENCY_MS} ms without checkpoints`,
          SIMULATED_LATENCY_MS,
          skip,
          false,
        )),
      };
    }

    const exportBytes = async (workspace: PulumiWorkspace | undefined): Promise<number | undefined> =>
      workspace === undefined ? undefined : Buffer.byteLength((await workspace.exportStack()).text);
    const rerunExport = await rerun.exportStack();
    const floorExport = await floor.exportStack();
    results.exportBytes.push({
      count,
      jobRerun: Buffer.byteLength(rerunExport.text),
      floor: Buffer.byteLength(floorExport.text),
      paddedFloor: await exportBytes(diagnosis[0]?.workspace),
      shapedFloor: await exportBytes(diagnosis[1]?.workspace),
    });
    results.tokenInState += occurrences(rerunExport.text, bench.token);
    if (count === FOOTPRINT_COUNT) {
      footprintResources = rerunExport.resources.filter((resource) => resource.type.endsWith(":JobRerun"));
      results.footprint.floor = resourceFootprint(
        floorExport.resources.filter((resource) => resource.type.endsWith(":NoOp")),
      );
    }
    if (padding !== undefined) {
      results.paddingBytes = padding;
    }
  } finally {
    for (const workspace of [rerun, floor, ...diagnosis.map((side) => side.workspace)]) {
      await bench.dispose(workspace);
    }
  }
  return footprintResources;
}

/**
 * Reschedules every job the plugin's figures use once, outside any figure. The YAML and the Node.js stacks
 * reschedule the same jobs in turn, and the run-since rule (decisions.ts) rightly takes a reschedule a stack did
 * not send for a run to follow rather than POST again. On the simulator's frozen clock every reschedule leaves a
 * job as the first one did (pending, the same `updated_at`), so after this one neither stack sees the other's.
 */
async function primeJobs(sim: Simulator, token: string, count: number): Promise<void> {
  const client = new NarrativeJobsClient({ apiUrl: sim.url, token });
  try {
    for (let index = 0; index < count; index++) {
      await client.reschedule(benchJobId(index), { force: true });
    }
  } finally {
    client.close();
  }
}

/**
 * Section 6, the provider plugin (issue 16): at each count, the same JobReruns as a Pulumi YAML program through
 * the `narrative` plugin and as a Node.js program through the dynamic provider host, against the same simulator
 * and proxy, the same job ids and the same change of triggers, preview and up alternating (YAML first); then the
 * plugin's start-up against the dynamic host's.
 */
async function measurePlugin(
  bench: Bench,
  sim: Simulator,
  counts: readonly number[],
  runs: number,
): Promise<Omit<PluginResults, "measuredBy">> {
  const preview: PluginCompared[] = [];
  const up: PluginCompared[] = [];
  if (counts.length > 0) {
    await primeJobs(sim, bench.token, Math.max(...counts));
  }
  for (const count of counts) {
    const yaml = await bench.yamlWorkspace(count);
    const dynamic = await bench.workspace("job-rerun", count);
    try {
      const upArgs = ["up", "--yes", "--skip-preview"];
      const created = new RegExp(`\\+ ${count + 1} created`);
      let generation = 0;
      const createYaml = (await bench.measureYaml(yaml, upArgs, generation, created)).seconds;
      const createDynamic = (await bench.measure(dynamic, upArgs, generation, created)).seconds;
      progress(
        `N=${count} plugin: created (YAML ${createYaml.toFixed(1)} s, dynamic ${createDynamic.toFixed(1)} s)`,
      );

      const compare = ([yamlRuns = [], dynamicRuns = []]: CommandMeasure[][]): PluginCompared => ({
        count,
        yaml: pluginSide(yamlRuns),
        dynamic: pluginSide(dynamicRuns),
        ratio: pairedRatios(secondsOf(yamlRuns), secondsOf(dynamicRuns)),
      });

      // Preview leaves the state alone: every run previews the same change of triggers.
      const previewed = new RegExp(`~ ${count} to update`);
      const next = generation + 1;
      preview.push(
        compare(
          await bench.alternate(`N=${count} plugin preview`, runs, [
            { name: "YAML", run: () => bench.measureYaml(yaml, ["preview"], next, previewed) },
            { name: "dynamic", run: () => bench.measure(dynamic, ["preview"], next, previewed) },
          ]),
        ),
      );

      // Each round applies a new generation of triggers on both sides.
      const updated = new RegExp(`~ ${count} updated`);
      up.push(
        compare(
          await bench.alternate(`N=${count} plugin up`, runs, [
            {
              name: "YAML",
              run: () => {
                generation += 1;
                return bench.measureYaml(yaml, upArgs, generation, updated);
              },
            },
            { name: "dynamic", run: () => bench.measure(dynamic, upArgs, generation, updated) },
          ]),
        ),
      );
    } finally {
      await bench.dispose(yaml);
      await bench.dispose(dynamic);
    }
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

function pluginSide(measures: readonly CommandMeasure[]): PluginCompared["yaml"] {
  return {
    seconds: summarize(secondsOf(measures)),
    requests: summarize(measures.map((measure) => measure.requests)),
    writes: summarize(measures.map((measure) => measure.writes)),
  };
}

function occurrences(text: string, secret: string): number {
  return text.split(secret).length - 1;
}

/** The naive fixture's footprint: created, then updated once, like the JobRerun stack it is compared with. */
async function measureNaive(bench: Bench, results: BenchResults): Promise<void> {
  const naive = await bench.workspace("naive", FOOTPRINT_COUNT);
  try {
    const up = ["up", "--yes", "--skip-preview"];
    await bench.measure(naive, up, 0, new RegExp(`\\+ ${FOOTPRINT_COUNT + 1} created`));
    await bench.measure(naive, up, 1, new RegExp(`~ ${FOOTPRINT_COUNT} updated`));
    const exported = await naive.exportStack();
    results.tokenInState += occurrences(exported.text, bench.token);
    results.footprint.naive = resourceFootprint(
      exported.resources.filter((resource) => resource.type.endsWith(":NaiveJobRerun")),
    );
  } finally {
    await bench.dispose(naive);
  }
}

/**
 * The provider's wait (waitForJob with its default poll options and real jitter) following a job that runs 10
 * simulated minutes, on the simulator's frozen clock, which the wait's sleep advances instead of waiting.
 */
async function measurePolling(token: string, results: BenchResults): Promise<void> {
  const sim = await startSimulator({
    frozen: true,
    token,
    durations: { pendingMs: POLLED_JOB_PENDING_MS, runningMs: POLLED_JOB_RUNNING_MS },
  });
  const client = new NarrativeJobsClient({ apiUrl: sim.url, token });
  const jobId = SEEDED_JOB_IDS.completed;
  try {
    const follow = async (waitFor: Exclude<WaitFor, "none">) => {
      const requests: number[] = [];
      const waited: number[] = [];
      for (let run = 0; run < POLLING_RUNS; run++) {
        const rescheduled = await client.reschedule(jobId, { force: true });
        const before = sim.requests.length;
        const startedAt = sim.now();
        const result = await waitForJob(rescheduled, waitFor, DEFAULT_WAIT_TIMEOUT_MS, {
          getJob: (id) => client.getJob(id),
          report: () => undefined,
          sleep: async (ms) => sim.advance(ms),
          now: () => sim.now(),
          random: Math.random,
        });
        if (result.end !== "reached") {
          throw new Error(`waiting for job ${jobId} to be ${waitFor} ended ${result.end}`);
        }
        requests.push(sim.requests.length - before);
        waited.push((sim.now() - startedAt) / 60_000);
        // Let the run finish before the next reschedule, so every run follows a whole run of the job.
        sim.advance(POLLED_JOB_PENDING_MS + POLLED_JOB_RUNNING_MS);
      }
      return { requests: summarize(requests), waitedMinutes: summarize(waited) };
    };
    results.polling = {
      runs: POLLING_RUNS,
      pendingSeconds: POLLED_JOB_PENDING_MS / 1_000,
      runningMinutes: POLLED_JOB_RUNNING_MS / 60_000,
      terminal: await follow("terminal"),
      running: await follow("running"),
    };
  } finally {
    client.close();
    await sim.close();
  }
}

/** Writes a results file the way `npm run lint` (prettier --check) expects it. */
async function writeFormatted(file: string, text: string): Promise<void> {
  const config = (await prettier.resolveConfig(file)) ?? {};
  await fs.writeFile(file, await prettier.format(text, { ...config, filepath: file }));
}

/** Renders bench/results.md from bench/results.json again, e.g. after the wording of the report changed. */
async function renderAgain(): Promise<void> {
  const results = JSON.parse(await fs.readFile(RESULTS_JSON, "utf8")) as BenchResults;
  await writeFormatted(RESULTS_MD, renderMarkdown(results));
  progress(`wrote ${path.relative(REPO_ROOT, RESULTS_MD)} from ${path.relative(REPO_ROOT, RESULTS_JSON)}`);
}

/**
 * A section measured on its own replaces its part of results.json, and results.md is rendered again; with
 * --no-write it is printed instead.
 */
async function replaceSection<K extends "client" | "plugin">(
  write: boolean,
  number: number,
  key: K,
  section: BenchResults[K],
): Promise<void> {
  if (!write) {
    process.stdout.write(`${JSON.stringify(section, null, 2)}\n`);
    return;
  }
  const results = JSON.parse(await fs.readFile(RESULTS_JSON, "utf8")) as BenchResults;
  results[key] = section;
  await writeFormatted(RESULTS_JSON, JSON.stringify(results, null, 2));
  await writeFormatted(RESULTS_MD, renderMarkdown(results));
  progress(
    `wrote section ${number} of ${path.relative(REPO_ROOT, RESULTS_MD)} and ${path.relative(REPO_ROOT, RESULTS_JSON)}`,
  );
}

/**
 * `--only client`: section 4 alone, against a simulator of its own, replacing that section of results.json (or
 * printing it, with --no-write). The Pulumi CLI is not needed.
 */
async function measureClientOnly(write: boolean): Promise<void> {
  const token = distinctiveToken("bench");
  const sim = await startSimulator({ frozen: true, token });
  const seedJob = sim.job(SEEDED_JOB_IDS.completed);
  if (seedJob === undefined) {
    throw new Error("the simulator no longer seeds the reschedule page's example job");
  }
  sim.addJob({ ...seedJob, job_id: benchJobId(0) });
  const proxy = await startApiProxy(sim.url);
  const loadAverages: number[] = [os.loadavg()[0] ?? 0];
  const loadSampler = setInterval(() => loadAverages.push(os.loadavg()[0] ?? 0), 5_000);
  let client: ClientResults;
  try {
    client = await measureClient(sim.url, proxy, token, progress);
  } finally {
    clearInterval(loadSampler);
    await proxy.close();
    await sim.close();
  }
  const loadAverage = summarize(loadAverages);
  client.measuredBy = {
    command: "npm run bench -- --only client",
    date: new Date().toISOString(),
    loadAverage,
  };
  progress(
    `getJob over node-fetch alone ${formatSummary(client.overNodeFetch, 2)} ` +
      `(CPU time ${formatSummary(client.cpuOverNodeFetch, 2)}); over raw ${formatSummary(client.ratio, 2)}; ` +
      `load average ${formatSummary(loadAverage, 2)}`,
  );
  await replaceSection(write, 4, "client", client);
}

/**
 * `--only plugin`: section 6 alone, against a simulator of its own, replacing that section of results.json (or
 * printing it, with --no-write).
 */
async function measurePluginOnly(options: BenchOptions): Promise<void> {
  const counts = options.counts.filter((count) => PLUGIN_COUNTS.includes(count));
  await ensurePulumiCli({ showProgress: true });
  const token = distinctiveToken("bench");
  const sim = await startSimulator({ frozen: true, token });
  const seedJob = sim.job(SEEDED_JOB_IDS.completed);
  if (seedJob === undefined) {
    throw new Error("the simulator no longer seeds the reschedule page's example job");
  }
  for (let index = 0; index < Math.max(0, ...counts); index++) {
    sim.addJob({ ...seedJob, job_id: benchJobId(index) });
  }
  const proxy = await startApiProxy(sim.url);
  const bench = new Bench(sim, proxy, token);
  const loadAverages: number[] = [os.loadavg()[0] ?? 0];
  const loadSampler = setInterval(() => loadAverages.push(os.loadavg()[0] ?? 0), 10_000);
  let measured: Omit<PluginResults, "measuredBy">;
  try {
    measured = await measurePlugin(bench, sim, counts, options.runs);
  } finally {
    clearInterval(loadSampler);
    await bench.disposeAll();
    await proxy.close();
    await sim.close();
  }
  const loadAverage = summarize(loadAverages);
  const args = [
    "--only plugin",
    ...(counts.join() === PLUGIN_COUNTS.join() ? [] : [`--n ${counts.join()}`]),
    ...(options.runs === MODES.full.runs ? [] : [`--runs ${options.runs}`]),
  ];
  const plugin: PluginResults = {
    ...measured,
    measuredBy: {
      command: `npm run bench -- ${args.join(" ")}`,
      date: new Date().toISOString(),
      loadAverage,
    },
  };
  for (const [command, rows] of [
    ["preview", plugin.preview],
    ["up", plugin.up],
  ] as const) {
    for (const row of rows) {
      progress(`plugin ${command} N=${row.count}: YAML over dynamic ${formatSummary(row.ratio, 2)}`);
    }
  }
  progress(`load average ${formatSummary(loadAverage, 2)}`);
  await replaceSection(options.write, 6, "plugin", plugin);
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (options.render) {
    await renderAgain();
    return;
  }
  if (options.only === "client") {
    await measureClientOnly(options.write);
    return;
  }
  if (options.only === "plugin") {
    await measurePluginOnly(options);
    return;
  }
  // Ctrl+C reaches the CLI too, which cancels; the failed command then unwinds through the clean-ups below.
  process.on("SIGINT", () => progress("interrupted: stopping after the current command"));
  progress(`${options.mode} mode: N = ${options.counts.join(", ")}, ${options.runs} runs per side`);
  const cliDir = await ensurePulumiCli({ showProgress: true });
  const machine = await describeMachine(cliDir);
  const token = distinctiveToken("bench");

  const sim = await startSimulator({ frozen: true, token });
  const seedJob = sim.job(SEEDED_JOB_IDS.completed);
  if (seedJob === undefined) {
    throw new Error("the simulator no longer seeds the reschedule page's example job");
  }
  for (let index = 0; index < Math.max(...options.counts, FOOTPRINT_COUNT); index++) {
    sim.addJob({ ...seedJob, job_id: benchJobId(index) });
  }
  const proxy = await startApiProxy(sim.url);
  const bench = new Bench(sim, proxy, token);
  // Another workload on the machine skews every timing: the load average, sampled through the run, shows one.
  const loadAverages: number[] = [];
  const loadSampler = setInterval(() => loadAverages.push(os.loadavg()[0] ?? 0), 10_000);
  const growthDir = await fs.mkdtemp(path.join(E2E_ROOT, "bench-growth-"));

  const results: BenchResults = {
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

  try {
    const growth = await providerTextGrowth(REPO_ROOT, growthDir);
    const { shimText, ...growthFigures } = growth;
    results.footprint.growth = growthFigures;
    progress(
      `provider text: ${growth.jobRerun.before} B, after +${growth.jobRerun.codeAdded} B of implementation ` +
        `${growth.jobRerun.after} B; naive ${growth.naive.before} B -> ${growth.naive.after} B`,
    );

    for (const count of options.counts) {
      const resources = await measureScale(bench, sim, count, options, results);
      if (resources !== undefined) {
        results.footprint.jobRerun = resourceFootprint(resources);
        results.footprint.storedEqualsInProcess = resources.every(
          (resource) => resource.inputs?.["__provider"] === shimText,
        );
      }
    }
    if (results.footprint.jobRerun === undefined) {
      // The counts measured did not include the footprint's stack: make it on its own.
      const stack = await bench.workspace("job-rerun", FOOTPRINT_COUNT);
      try {
        const up = ["up", "--yes", "--skip-preview"];
        await bench.measure(stack, up, 0, new RegExp(`\\+ ${FOOTPRINT_COUNT + 1} created`));
        await bench.measure(stack, up, 1, new RegExp(`~ ${FOOTPRINT_COUNT} updated`));
        const resources = (await stack.jobReruns()).filter((resource) => resource.type.endsWith(":JobRerun"));
        results.footprint.jobRerun = resourceFootprint(resources);
        results.footprint.storedEqualsInProcess = resources.every(
          (resource) => resource.inputs?.["__provider"] === shimText,
        );
      } finally {
        await bench.dispose(stack);
      }
    }
    const pluginCounts = options.counts.filter((count) => PLUGIN_COUNTS.includes(count));
    results.plugin = {
      ...(await measurePlugin(bench, sim, pluginCounts, options.runs)),
      measuredBy: undefined,
    };
    await measureNaive(bench, results);
    results.client = await measureClient(sim.url, proxy, token, progress);
    await measurePolling(token, results);
  } finally {
    clearInterval(loadSampler);
    await bench.disposeAll();
    await proxy.close();
    await sim.close();
    await fs.rm(growthDir, { recursive: true, force: true });
  }

  results.totalSeconds = (performance.now() - startedAt) / 1_000;
  results.loadAverage = loadAverages.length > 0 ? summarize(loadAverages) : undefined;
  const markdown = renderMarkdown(results);
  if (options.write) {
    await writeFormatted(RESULTS_JSON, JSON.stringify(results, null, 2));
    await writeFormatted(RESULTS_MD, markdown);
    progress(`wrote ${path.relative(REPO_ROOT, RESULTS_MD)} and ${path.relative(REPO_ROOT, RESULTS_JSON)}`);
  } else {
    process.stdout.write(markdown);
  }
  progress(`done in ${(results.totalSeconds / 60).toFixed(1)} min`);
}

main().catch((error: unknown) => {
  if (error instanceof BenchUsageError) {
    process.stderr.write(`bench: ${error.message}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(
    `bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
