/** The bench's command line: what to measure, how many times, and whether to write bench/results.{md,json}. */
import { parseArgs } from "node:util";

export interface BenchOptions {
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

/** What the command line asked for: a run with BenchOptions, or one of the things that is not a whole run. */
export type ParsedArgs = BenchOptions & {
  render: boolean;
  help: boolean;
  only: "client" | "plugin" | undefined;
};

export const MODES: Record<BenchOptions["mode"], Omit<BenchOptions, "write">> = {
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
export const FOOTPRINT_COUNT = 10;
/** The counts at which the plugin's YAML program is compared with the dynamic resource. */
export const PLUGIN_COUNTS: readonly number[] = [10, 100];

export const USAGE = `Usage: npm run bench -- [options]

  (no option)          the full run: N = ${MODES.full.counts.join(", ")} (the longest; results.md says how long it took)
  --quick              N = ${MODES.quick.counts.join(", ")} only; results.md says which mode produced it
  --n <10,100,...>     these resource counts instead
  --runs <n>           runs per side for every CLI figure (default ${MODES.full.runs})
  --no-diagnosis       leave out the extra floors and the runs without checkpoints
  --no-write           write neither bench/results.md nor bench/results.json
  --only client        only the client's own cost (section 4; no Pulumi CLI): replaces that section of
                       bench/results.json and writes results.md again from it
  --only plugin        only the provider plugin against the dynamic resource (section 6), the same way; with --n
                       and --runs as given
  --render             write results.md again from results.json, measuring nothing
  -h, --help           show this help

Fewer than ${MODES.full.runs} runs, or other counts than the mode's, make it a quick run.`;

/** A bad command line: the entry point prints the message and the usage, without a stack. */
export class BenchUsageError extends Error {}

function readArgs(argv: readonly string[]) {
  try {
    return parseArgs({
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
    }).values;
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
}

function onlySection(only: string | undefined): ParsedArgs["only"] {
  if (only !== undefined && only !== "client" && only !== "plugin") {
    throw new BenchUsageError(`--only takes "client" or "plugin", got ${JSON.stringify(only)}`);
  }
  return only;
}

function runsOption(runs: string): number {
  if (!/^\d+$/.test(runs) || Number(runs) < 1) {
    throw new BenchUsageError(`--runs takes a whole number from 1, got ${JSON.stringify(runs)}`);
  }
  return Number(runs);
}

function countsOption(n: string): number[] {
  if (!/^\d+(,\d+)*$/.test(n)) {
    throw new BenchUsageError(`--n takes counts separated by commas (10,100), got ${JSON.stringify(n)}`);
  }
  return n.split(",").map(Number);
}

export function parseOptions(argv: readonly string[]): ParsedArgs {
  const values = readArgs(argv);
  const mode = values.quick === true ? "quick" : "full";
  const options: ParsedArgs = {
    ...MODES[mode],
    write: values["no-write"] !== true,
    render: values.render === true,
    help: values.help === true,
    only: onlySection(values.only),
  };
  if (values.runs !== undefined) {
    options.runs = runsOption(values.runs);
  }
  if (values.n !== undefined) {
    const counts = countsOption(values.n);
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
