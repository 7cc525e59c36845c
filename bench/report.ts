/** The benchmark's figures (results.json) and their rendering as bench/results.md. */
import type { ProviderTextGrowth, ResourceFootprint } from "./footprint";
import type { PluginStartResults, StandaloneStartResults } from "./plugin-start";
import { formatSummary, type Summary } from "./stats";

export const GOALS = {
  providerTextBytes: 2_048,
  previewRatio: 1.1,
  previewRequests: 0,
  upRatio: 1.25,
  /** getJob over node-fetch alone on the same agent: what the client adds to node-fetch. */
  clientOverNodeFetch: 1.1,
  clientConnections: 1,
  pollingRequests: 30,
  /** The YAML program through the plugin over the same JobReruns through the dynamic provider, by count. */
  pluginRatio: { 10: 1.5, 100: 1.2 } as Readonly<Record<number, number>>,
} as const;

export interface Machine {
  cores: number;
  cpu: string;
  memoryGb: number;
  os: string;
  node: string;
  pulumiCli: string;
  pulumiSdk: string;
  /** `pulumi up --parallel`'s default, as the CLI's help states it. */
  parallelDefault: number | undefined;
  date: string;
}

/** One figure measured on both sides, run by run. */
export interface SideBySide {
  jobRerun: { seconds: Summary; requests: Summary; writes: Summary; maxInFlight: Summary };
  floor: { seconds: Summary };
  /** JobRerun seconds over floor seconds, run by run. */
  ratio: Summary;
}

/** A diagnosis side: its time, and JobRerun's over it, run by run. */
export interface Versus {
  seconds: Summary;
  ratio: Summary;
}

/**
 * A comparison that may carry the diagnosis floors: no-op resources with about as many bytes of state as a
 * JobRerun (padded), and with a JobRerun's properties as well (shaped).
 */
export type Compared = SideBySide & {
  count: number;
  paddedFloor: Versus | undefined;
  shapedFloor: Versus | undefined;
};

/** Section 4: the client's own cost (bench/client.ts). */
export interface ClientResults {
  calls: number;
  runs: number;
  /** Calls per side in one turn of a run. */
  sliceCalls: number;
  getJob: Summary;
  raw: Summary;
  /** node-fetch on the same kind of agent: what node-fetch alone costs. */
  nodeFetch: Summary;
  /** The same with an AbortController and a timer per call, as the client's attempt timeout. */
  nodeFetchWithTimeout: Summary;
  /** getJob over node-fetch alone, run by run: the ask. */
  overNodeFetch: Summary;
  /** The same in CPU time of the process (the simulator's included), which another workload moves less. */
  cpuOverNodeFetch: Summary;
  /** getJob over raw http.request, run by run. */
  ratio: Summary;
  nodeFetchRatio: Summary;
  nodeFetchWithTimeoutRatio: Summary;
  connections: { getJob: Summary; raw: Summary };
  /** Set when this section was measured on its own (`--only client`), after the rest of the run. */
  measuredBy: MeasuredBy | undefined;
}

/** How a section measured on its own (`npm run bench -- --only …`) after the rest of the run was taken. */
export interface MeasuredBy {
  command: string;
  date: string;
  loadAverage: Summary | undefined;
}

/** The sentence a section measured on its own ends with; nothing for a section from the whole run. */
function measuredByNote(measuredBy: MeasuredBy | undefined): string {
  if (measuredBy === undefined) {
    return "";
  }
  const load =
    measuredBy.loadAverage === undefined ? "not sampled" : formatSummary(measuredBy.loadAverage, 2);
  return (
    `\n\nThis section alone was measured again by \`${measuredBy.command}\` on ${measuredBy.date}` +
    `, 1-minute load average ${load}; the other sections are from the run above.`
  );
}

/** One side of section 6: a command's time and the API requests it made. */
export interface PluginSide {
  seconds: Summary;
  requests: Summary;
  writes: Summary;
}

/** Section 6: a YAML program through the plugin against the same JobReruns through the dynamic provider. */
export interface PluginCompared {
  count: number;
  yaml: PluginSide;
  dynamic: PluginSide;
  /** YAML seconds over dynamic seconds, run by run. */
  ratio: Summary;
}

export interface PluginResults {
  counts: number[];
  runs: number;
  preview: PluginCompared[];
  up: PluginCompared[];
  start: PluginStartResults;
  /** "standalone" when the YAML programs ran the standalone plugin (BENCH_STANDALONE=1); else lib/plugin/main.js. */
  yamlPlugin?: "standalone" | undefined;
  /** Set when this section was measured on its own (`--only plugin`), after the rest of the run. */
  measuredBy: MeasuredBy | undefined;
}

export interface BenchResults {
  mode: "full" | "quick";
  command: string;
  /** Resource counts for preview and up. */
  counts: number[];
  runs: number;
  machine: Machine;
  totalSeconds: number;
  /** The 1-minute load average, sampled every 10 s through the run: a second workload would show in it. */
  loadAverage: Summary | undefined;
  /** The first `up` of each stack (one run, not a goal): creating N resources. */
  create: { count: number; jobRerun: number; floor: number }[];
  preview: Compared[];
  up: (Compared & { latencyMs: number })[];
  /** `up` again with PULUMI_SKIP_CHECKPOINTS=true on every side: how much of `up` is writing the state. */
  checkpoints: Compared | undefined;
  /** The same, with the simulated latency: how many requests the engine keeps in flight when nothing else waits. */
  checkpointsWithLatency: (Compared & { latencyMs: number }) | undefined;
  /** The padded floor's extra input, in characters. */
  paddingBytes: number | undefined;
  /** Bytes of `pulumi stack export` after the last up, per count. */
  exportBytes: {
    count: number;
    jobRerun: number;
    floor: number;
    paddedFloor: number | undefined;
    shapedFloor: number | undefined;
  }[];
  /** How often the API token appears in every export taken. */
  tokenInState: number;
  footprint: {
    count: number;
    jobRerun: ResourceFootprint | undefined;
    naive: ResourceFootprint | undefined;
    floor: ResourceFootprint | undefined;
    growth: Omit<ProviderTextGrowth, "shimText"> | undefined;
    storedEqualsInProcess: boolean | undefined;
  };
  client: ClientResults | undefined;
  /** Absent from a results.json written before the plugin was measured. */
  plugin?: PluginResults | undefined;
  polling:
    | {
        runs: number;
        pendingSeconds: number;
        runningMinutes: number;
        terminal: { requests: Summary; waitedMinutes: Summary };
        running: { requests: Summary; waitedMinutes: Summary };
      }
    | undefined;
}

const seconds = (summary: Summary): string => formatSummary(summary, 2, " s");
const ratio = (summary: Summary): string => formatSummary(summary, 2);
const count = (summary: Summary): string => formatSummary(summary, 0);
const bytes = (value: number): string => `${Math.round(value).toLocaleString("en-US")} B`;
const met = (ok: boolean): string => (ok ? "met" : "**not met**");

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** JobRerun against the three floors, one row per condition. */
function diagnosisTable(rows: readonly { condition: string; compared: Compared }[]): string {
  const side = (versus: Versus | undefined): string => (versus === undefined ? "—" : seconds(versus.seconds));
  const over = (versus: Versus | undefined): string => (versus === undefined ? "—" : ratio(versus.ratio));
  return table(
    [
      "Condition",
      "JobRerun",
      "Floor",
      "Padded floor",
      "Shaped floor",
      "JR / floor",
      "JR / padded",
      "JR / shaped",
    ],
    rows.map(({ condition, compared }) => [
      condition,
      seconds(compared.jobRerun.seconds),
      seconds(compared.floor.seconds),
      side(compared.paddedFloor),
      side(compared.shapedFloor),
      ratio(compared.ratio),
      over(compared.paddedFloor),
      over(compared.shapedFloor),
    ]),
  );
}

/** What the two diagnosis floors are, for both diagnosis sections. */
function diagnosisFloors(results: BenchResults): string {
  return `The floor padded to a JobRerun's state size carries an extra input of ${results.paddingBytes ?? "?"} characters
(bench/programs.ts, \`padded-floor\`); the shaped floor registers what a JobRerun program registers as well
(\`jobId\`, \`triggers\` and a \`status\` holding the padding where a JobRerun holds the job's text:
\`shaped-floor\`). Both use the no-op
provider, so JobRerun over the shaped floor is what its provider and its constructor do, and nothing else.`;
}

export function renderMarkdown(results: BenchResults): string {
  const { machine, footprint, client, polling } = results;
  const sections: string[] = [];
  const upNoLatency = results.up.filter((row) => row.latencyMs === 0);

  sections.push(`# Benchmark results

Produced by \`${results.command}\` in **${results.mode} mode** (N = ${results.counts.join(", ")}; ${results.mode === "full" ? "the quick mode leaves out N = 500" : "the full run adds N = 500"}),
${results.runs} runs per side for every CLI figure, in ${(results.totalSeconds / 60).toFixed(1)} minutes.
Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGb} GB, ${machine.os}; Node.js ${machine.node};
Pulumi CLI ${machine.pulumiCli}, @pulumi/pulumi ${machine.pulumiSdk}; ${machine.date}.
1-minute load average through the run: ${results.loadAverage === undefined ? "not sampled" : formatSummary(results.loadAverage, 2)}.

Figures read "median (min–max)". A ratio is JobRerun over the floor, taken run by run from two commands run back to
back (A, B, A, B, ...), then summarized the same way. The floor is the same program with N dynamic resources whose
provider does nothing (bench/fixtures/no-op-resource.js). Both run through the real Pulumi CLI with a local file
backend; the JobRerun side talks to the in-process simulator over loopback through a counting proxy. A ratio goal
is met when the median ratio is within it; a request goal must hold in every run.`);

  const summaryRows: string[][] = [];
  const growth = footprint.growth;
  if (growth !== undefined) {
    summaryRows.push([
      "1",
      "`__provider` bytes per JobRerun, and after the implementation grows",
      `< ${bytes(GOALS.providerTextBytes)}, unchanged`,
      `${bytes(growth.jobRerun.before)}; ${growth.jobRerun.identical ? "identical" : "changed"} after +${bytes(growth.jobRerun.codeAdded)}`,
      met(growth.jobRerun.before < GOALS.providerTextBytes && growth.jobRerun.identical),
    ]);
  }
  for (const row of results.preview) {
    summaryRows.push([
      "2",
      `preview, N = ${row.count}: time over the floor`,
      `≤ ${GOALS.previewRatio.toFixed(2)}`,
      ratio(row.ratio),
      met(row.ratio.median <= GOALS.previewRatio),
    ]);
  }
  if (results.preview.length > 0) {
    const most = Math.max(...results.preview.map((row) => row.jobRerun.requests.max));
    summaryRows.push(["2", "preview: API requests, any N, any run", "0", String(most), met(most === 0)]);
  }
  for (const row of upNoLatency) {
    summaryRows.push([
      "3",
      `up, N = ${row.count}: time over the floor`,
      `≤ ${GOALS.upRatio.toFixed(2)}`,
      ratio(row.ratio),
      met(row.ratio.median <= GOALS.upRatio),
    ]);
  }
  if (results.up.length > 0) {
    const exact = results.up.every(upRequestsMet);
    summaryRows.push([
      "3",
      'up: API requests per run (`waitFor: "none"`)',
      "≤ 2N, exactly N POSTs",
      exact ? "≤ 2N requests, exactly N POSTs, in every run" : "see the table",
      met(exact),
    ]);
  }
  if (client !== undefined) {
    summaryRows.push([
      "4",
      `${client.calls.toLocaleString("en-US")} getJob calls over node-fetch alone on the same keep-alive agent`,
      `≤ ${GOALS.clientOverNodeFetch.toFixed(2)}`,
      `${ratio(client.overNodeFetch)}; CPU time ${ratio(client.cpuOverNodeFetch)}`,
      met(client.overNodeFetch.median <= GOALS.clientOverNodeFetch),
    ]);
    summaryRows.push([
      "4",
      `TCP connections for ${client.calls.toLocaleString("en-US")} getJob calls`,
      String(GOALS.clientConnections),
      count(client.connections.getJob),
      met(client.connections.getJob.max === GOALS.clientConnections),
    ]);
  }
  if (polling !== undefined) {
    summaryRows.push([
      "5",
      `requests while waiting for a job that runs ${polling.runningMinutes} simulated minutes`,
      `≤ ${GOALS.pollingRequests}`,
      count(polling.terminal.requests),
      met(polling.terminal.requests.max <= GOALS.pollingRequests),
    ]);
  }
  const plugin = results.plugin;
  if (plugin !== undefined) {
    for (const [command, rows] of [
      ["preview", plugin.preview],
      ["up", plugin.up],
    ] as const) {
      for (const row of rows) {
        const goal = GOALS.pluginRatio[row.count];
        summaryRows.push([
          "6",
          `${command}, N = ${row.count}: YAML through the plugin over the dynamic resource`,
          goal === undefined ? "—" : `≤ ${goal.toFixed(2)}`,
          ratio(row.ratio),
          goal === undefined ? "reported" : met(row.ratio.median <= goal),
        ]);
      }
    }
    const requestsMet = pluginRequestsMet(plugin);
    summaryRows.push([
      "6",
      "API requests, both sides: preview; up",
      "0; ≤ 2N, exactly N POSTs",
      requestsMet ? "0; ≤ 2N requests, exactly N POSTs, in every run" : "see the table",
      met(requestsMet),
    ]);
    summaryRows.push([
      "6",
      "plugin start-up to its port line, over the dynamic provider host's",
      "—",
      `${formatSummary(plugin.start.plugin.port, 0, " ms")}: ${ratio(plugin.start.portRatio)}`,
      "reported",
    ]);
    const standalone = plugin.start.standalone;
    if (standalone !== undefined) {
      summaryRows.push([
        "6",
        "standalone plugin start-up to its port line, over lib/plugin/main.js's",
        "≤ 1.00",
        `${formatSummary(standalone.standalone.port, 0, " ms")}: ${ratio(standalone.portRatio)}`,
        met(standalone.portRatio.median <= 1),
      ]);
    }
  }
  sections.push(`## Summary\n\n${table(["Ask", "Figure", "Goal", "Measured", "Met"], summaryRows)}`);

  if (footprint.jobRerun !== undefined && growth !== undefined) {
    const sides: [string, ResourceFootprint | undefined][] = [
      ["JobRerun (this package)", footprint.jobRerun],
      ["naive provider (bench/fixtures/naive-job-rerun.js)", footprint.naive],
      ["floor: no-op dynamic resource", footprint.floor],
    ];
    const rows = sides
      .filter((side): side is [string, ResourceFootprint] => side[1] !== undefined)
      .map(([name, figures]) => [
        name,
        formatSummary(figures.resourceBytes, bytes),
        formatSummary(figures.providerBytes, bytes),
        bytes(figures.breakdown.providerBothCopies),
        bytes(figures.breakdown.job),
        bytes(figures.breakdown.rest),
      ]);
    const exportRows = results.exportBytes.map((row) => [
      String(row.count),
      bytes(row.jobRerun),
      bytes(row.floor),
      (row.jobRerun / row.floor).toFixed(2),
      bytes(row.jobRerun / row.count),
      row.paddedFloor === undefined ? "—" : bytes(row.paddedFloor),
      row.shapedFloor === undefined ? "—" : bytes(row.shapedFloor),
    ]);
    sections.push(`## 1. State footprint

Each resource as compact JSON in \`pulumi stack export\` (all its fields: inputs, outputs, dependencies, stack
trace), from a stack of ${footprint.count} resources created and then updated once; min–max over the resources (they differ
only in counters and timestamps). \`__provider\` is stored twice per resource, in the inputs and in the outputs.

${table(["Resource", "Bytes per resource", "`__provider` (one copy)", "`__provider` × 2", "The job", "Everything else"], rows)}

Whether the stored text grows with the code behind it, before and after the code grows by about 100 KB in a
temporary copy: the naive provider serialized in this process the way \`dynamic.Resource\` does it; JobRerun's
fixed text (lib/shim.js, not a serialized closure) read from each copy. The text the
CLI stored for the JobRerun stack ${footprint.storedEqualsInProcess === true ? "is byte for byte the in-process text" : "differs from the in-process text"}.

${table(
  ["Provider", "Code added", "Text before", "Text after", "Same text"],
  [
    [
      `JobRerun: lib/provider.js and lib/client.js (lib/*.js ${bytes(growth.jobRerun.implementationBytes.before)} → ${bytes(growth.jobRerun.implementationBytes.after)})`,
      bytes(growth.jobRerun.codeAdded),
      bytes(growth.jobRerun.before),
      bytes(growth.jobRerun.after),
      growth.jobRerun.identical ? "yes" : "no",
    ],
    [
      "naive: a method on its client class",
      bytes(growth.naive.codeAdded),
      bytes(growth.naive.before),
      bytes(growth.naive.after),
      growth.naive.identical ? "yes" : "no",
    ],
  ],
)}

The JobRerun text only \`require\`s the installed package by name, so the implementation can grow without the
state growing; the naive text carries its client class, so every method added to it is stored twice in every
resource. The API token appeared ${results.tokenInState} times in all the exports taken.

Whole stack exports after the last up of each count:

${table(["N", "JobRerun export", "Floor export", "Ratio", "JobRerun bytes per resource", "Padded floor export", "Shaped floor export"], exportRows)}`);
  }

  if (results.preview.length > 0) {
    sections.push(`## 2. Preview

\`pulumi preview\` with every resource's triggers changed, against the floor previewing the same change.

${table(
  ["N", "JobRerun", "Floor", "Ratio", "Goal", "API requests", "Goal"],
  results.preview.map((row) => [
    String(row.count),
    seconds(row.jobRerun.seconds),
    seconds(row.floor.seconds),
    ratio(row.ratio),
    `≤ ${GOALS.previewRatio.toFixed(2)}: ${met(row.ratio.median <= GOALS.previewRatio)}`,
    count(row.jobRerun.requests),
    `0: ${met(row.jobRerun.requests.max === 0)}`,
  ]),
)}`);
    const diagnosed = results.preview.filter((row) => row.paddedFloor !== undefined);
    if (diagnosed.length > 0) {
      sections.push(`### Where preview's time goes

At N = ${diagnosed.map((row) => row.count).join(", ")}, the same previews in the same rounds against two more
floors. ${diagnosisFloors(results)}

${diagnosisTable(diagnosed.map((row) => ({ condition: `preview, N = ${row.count}`, compared: row })))}`);
    }
  }

  if (results.up.length > 0) {
    const parallel =
      machine.parallelDefault === undefined
        ? "the CLI's default `--parallel`"
        : `the CLI's default \`--parallel\` (${machine.parallelDefault} here, as \`pulumi up --help\` states)`;
    sections.push(`## 3. Up

\`pulumi up --yes --skip-preview\` with every resource's triggers changed (so every JobRerun reschedules its job
once, \`waitFor: "none"\`), against the floor updating the same inputs; ${parallel}. "Most in flight" is the
largest number of API requests open at once at the proxy in front of the simulator. With latency, the simulator
holds every API request ${results.up.find((row) => row.latencyMs > 0)?.latencyMs ?? 50} ms before answering.

${table(
  ["Latency", "N", "JobRerun", "Floor", "Ratio", "Goal", "API requests (POSTs)", "Goal", "Most in flight"],
  results.up.map((row) => [
    `${row.latencyMs} ms`,
    String(row.count),
    seconds(row.jobRerun.seconds),
    seconds(row.floor.seconds),
    ratio(row.ratio),
    row.latencyMs === 0
      ? `≤ ${GOALS.upRatio.toFixed(2)}: ${met(row.ratio.median <= GOALS.upRatio)}`
      : "reported",
    `${count(row.jobRerun.requests)} (${count(row.jobRerun.writes)})`,
    `≤ ${2 * row.count} (${row.count}): ${met(upRequestsMet(row))}`,
    count(row.jobRerun.maxInFlight),
  ]),
)}`);
    if (results.create.length > 0) {
      sections.push(`Creating the stacks (one run each, not a goal: JobRerun reads each job once when created):

${table(
  ["N", "JobRerun", "Floor"],
  results.create.map((row) => [
    String(row.count),
    `${row.jobRerun.toFixed(2)} s`,
    `${row.floor.toFixed(2)} s`,
  ]),
)}`);
    }
    const diagnosis = results.checkpoints;
    if (diagnosis !== undefined) {
      const withCheckpoints = upNoLatency.find((row) => row.count === diagnosis.count);
      const rows = [
        ...(withCheckpoints === undefined
          ? []
          : [{ condition: "up, a checkpoint after every step (default)", compared: withCheckpoints }]),
        { condition: "up, `PULUMI_SKIP_CHECKPOINTS=true`", compared: diagnosis },
      ];
      const latency = results.checkpointsWithLatency;
      const delayed = results.up.find((row) => row.count === diagnosis.count && row.latencyMs > 0);
      const inFlightRows = [
        ...(delayed === undefined ? [] : [["a checkpoint after every step (default)", delayed] as const]),
        ...(latency === undefined ? [] : [["`PULUMI_SKIP_CHECKPOINTS=true`", latency] as const]),
      ].map(([condition, row]) => [
        condition,
        seconds(row.jobRerun.seconds),
        seconds(row.floor.seconds),
        ratio(row.ratio),
        count(row.jobRerun.maxInFlight),
      ]);
      sections.push(`### Where up's time goes

The engine writes a checkpoint of the state after every step (with a file backend, the whole state file), so an up
of N resources writes the state N times and its cost grows with N × the state's size (section 1 compares a
JobRerun's with the floor's). At N = ${diagnosis.count}, the same up in the same rounds against two more floors,
then every side again with \`PULUMI_SKIP_CHECKPOINTS=true\` (the state written once, at the end).
${diagnosisFloors(results)}

${diagnosisTable(rows)}

How many API requests the engine keeps in flight, with ${delayed?.latencyMs ?? latency?.latencyMs ?? 50} ms of latency per request, N = ${diagnosis.count}:

${table(["Checkpoints", "JobRerun", "Floor", "Ratio", "Most in flight"], inFlightRows)}`);
    }
  }

  if (client !== undefined) {
    const perCall = (summary: Summary): string =>
      formatSummary(
        {
          median: (summary.median / client.calls) * 1e6,
          min: (summary.min / client.calls) * 1e6,
          max: (summary.max / client.calls) * 1e6,
          samples: [],
        },
        0,
        " µs",
      );
    const measuredBy = measuredByNote(client.measuredBy);
    sections.push(`## 4. Client

${client.calls.toLocaleString("en-US")} sequential \`NarrativeJobsClient.getJob\` calls against the simulator, over
${client.calls.toLocaleString("en-US")} node-fetch GETs on a keep-alive \`http.Agent\` with the client's agent options
that read the body with \`text()\` and \`JSON.parse\` it: the client over node-fetch alone. Two more sides:
\`http.request\` on the same kind of agent (raw: what node-fetch itself costs), and node-fetch with an
AbortController timeout per call, as the client's attempt timeout. A new client or agent each run, ${client.runs} runs
after a warm-up; within a run the four sides take turns in slices of ${client.sliceCalls} calls (the order reversed every
other slice), so that another workload on the machine falls on every side alike; every ratio is taken run by run. The
simulator runs in the same process, so every figure includes serving the request; the CPU-time ratio is the
process's user and system time, which another workload on the machine moves less than the clock. Connections
were counted in a second, untimed pass of getJob and raw through the counting proxy.${measuredBy}

${table(
  ["Side", "1,000 calls", "Per call", "Over node-fetch", "Over raw", "TCP connections"],
  [
    ["raw http.request", seconds(client.raw), perCall(client.raw), "—", "1", count(client.connections.raw)],
    [
      "node-fetch, same agent",
      seconds(client.nodeFetch),
      perCall(client.nodeFetch),
      "1",
      ratio(client.nodeFetchRatio),
      "—",
    ],
    [
      "node-fetch + AbortController timeout per call (diagnosis)",
      seconds(client.nodeFetchWithTimeout),
      perCall(client.nodeFetchWithTimeout),
      "—",
      ratio(client.nodeFetchWithTimeoutRatio),
      "—",
    ],
    [
      "**NarrativeJobsClient.getJob**",
      seconds(client.getJob),
      perCall(client.getJob),
      ratio(client.overNodeFetch),
      ratio(client.ratio),
      count(client.connections.getJob),
    ],
  ],
)}

Over node-fetch alone ${ratio(client.overNodeFetch)} (goal ≤ ${GOALS.clientOverNodeFetch.toFixed(2)}: ${met(client.overNodeFetch.median <= GOALS.clientOverNodeFetch)}), in CPU time ${ratio(client.cpuOverNodeFetch)};
connections ${count(client.connections.getJob)} (goal ${GOALS.clientConnections}: ${met(client.connections.getJob.max === GOALS.clientConnections)}).`);
  }

  if (polling !== undefined) {
    sections.push(`## 5. Polling

The provider's wait (\`waitForJob\` with \`DEFAULT_POLL_OPTIONS\` and real jitter, through \`NarrativeJobsClient\`)
following a rescheduled job that stays pending ${polling.pendingSeconds} s, then runs ${polling.runningMinutes} minutes, on the
simulator's frozen clock, which the wait's sleep advances; requests counted at the simulator, ${polling.runs} runs.

${table(
  ["waitFor", "Requests while waiting", "Goal", "Simulated wait"],
  [
    [
      '"terminal"',
      count(polling.terminal.requests),
      `≤ ${GOALS.pollingRequests}: ${met(polling.terminal.requests.max <= GOALS.pollingRequests)}`,
      formatSummary(polling.terminal.waitedMinutes, 1, " min"),
    ],
    [
      '"running"',
      count(polling.running.requests),
      "—",
      formatSummary(polling.running.waitedMinutes, 2, " min"),
    ],
  ],
)}`);
  }

  if (plugin !== undefined) {
    sections.push(renderPlugin(plugin));
  }

  return `${sections.join("\n\n")}\n`;
}

/** Preview sends nothing and up exactly N POSTs (each after a read), on both sides, in every run. */
function pluginRequestsMet(plugin: PluginResults): boolean {
  const sides = (row: PluginCompared) => [row.yaml, row.dynamic];
  return (
    plugin.preview.every((row) => sides(row).every((side) => side.requests.max === 0)) &&
    plugin.up.every((row) => sides(row).every((side) => upRequestsMet({ count: row.count, jobRerun: side })))
  );
}

function renderPlugin(plugin: PluginResults): string {
  const ms = (summary: Summary): string => formatSummary(summary, 0, " ms");
  const { start } = plugin;
  const measuredBy = measuredByNote(plugin.measuredBy);
  const rows = [
    ...plugin.preview.map((row) => ["preview", row] as const),
    ...plugin.up.map((row) => ["up", row] as const),
  ].map(([command, row]) => {
    const goal = GOALS.pluginRatio[row.count];
    const requests =
      command === "preview"
        ? `0: ${met(row.yaml.requests.max === 0 && row.dynamic.requests.max === 0)}`
        : `≤ ${2 * row.count} (${row.count}): ${met(
            upRequestsMet({ count: row.count, jobRerun: row.yaml }) &&
              upRequestsMet({ count: row.count, jobRerun: row.dynamic }),
          )}`;
    return [
      command,
      String(row.count),
      seconds(row.yaml.seconds),
      seconds(row.dynamic.seconds),
      ratio(row.ratio),
      goal === undefined ? "reported" : `≤ ${goal.toFixed(2)}: ${met(row.ratio.median <= goal)}`,
      command === "preview"
        ? `${count(row.yaml.requests)} / ${count(row.dynamic.requests)}`
        : `${count(row.yaml.requests)} (${count(row.yaml.writes)}) / ${count(row.dynamic.requests)} (${count(row.dynamic.writes)})`,
      requests,
    ];
  });
  return `## 6. Provider plugin (Pulumi YAML)

The same N JobReruns (the same names, job ids and change of triggers, \`waitFor: "none"\`) as a Pulumi YAML program,
which Pulumi's YAML language host runs against the \`narrative\` provider plugin (${
    plugin.yamlPlugin === "standalone"
      ? "the standalone executable\nof `npm run plugin-archives`"
      : "`lib/plugin/main.js`"
  }, named in the
project's \`plugins.providers\`), and as the Node.js program of sections 2 and 3 through the dynamic provider host.
Both against the same simulator and proxy; the YAML program's triggers come from a setting (YAML reads no
variables), set by a command of its own before the clock starts. Every job was rescheduled once before the stacks
were made, so that neither stack takes the other's reschedules for runs of its own to follow (the run-since rule).
The ratio is YAML over dynamic, run by run, ${plugin.runs} runs per side, YAML first in every round.${measuredBy}

${table(
  [
    "Command",
    "N",
    "YAML (plugin)",
    "Node.js (dynamic)",
    "Ratio",
    "Goal",
    "API requests (POSTs): YAML / dynamic",
    "Goal",
  ],
  rows,
)}

Start-up, ${start.runs} starts of each, alternating after one unmeasured start of each: the process spawned with an
engine address (a loopback listener) as the engine starts it, until the port line it prints; then its answer to
GetPluginInfo, the engine's first call, and for the plugin GetSchema's round trip (the YAML language host reads the
schema before the program runs; the dynamic host does not serve one).

${table(
  ["Provider", "To the port line", "To the first answer", "GetSchema round trip"],
  [
    [
      "`narrative` plugin (lib/plugin/main.js)",
      ms(start.plugin.port),
      ms(start.plugin.firstAnswer),
      start.plugin.schema === undefined ? "—" : ms(start.plugin.schema),
    ],
    [
      "dynamic provider host (@pulumi/pulumi/cmd/dynamic-provider)",
      ms(start.dynamicHost.port),
      ms(start.dynamicHost.firstAnswer),
      "—",
    ],
    ["plugin over dynamic host, run by run", ratio(start.portRatio), ratio(start.firstAnswerRatio), "—"],
  ],
)}${start.standalone === undefined ? "" : renderStandalone(start.standalone, start.runs)}`;
}

/** The standalone plugin's start-up against lib/plugin/main.js, and the size of each release archive. */
function renderStandalone(standalone: StandaloneStartResults, runs: number): string {
  const ms = (summary: Summary): string => formatSummary(summary, 0, " ms");
  const mib = (value: number): string => `${(value / 1024 / 1024).toFixed(1)} MiB`;
  return `

The standalone plugin (\`npm run plugin-archives\`: a Node.js single executable application that needs no Node.js
where it runs), ${standalone.target}, against lib/plugin/main.js run by \`node\`: ${runs} starts of each, alternating
after one unmeasured start of each, measured as above.

${table(
  ["Provider", "To the port line", "To the first answer", "GetSchema round trip"],
  [
    [
      `standalone pulumi-resource-narrative (${standalone.target})`,
      ms(standalone.standalone.port),
      ms(standalone.standalone.firstAnswer),
      standalone.standalone.schema === undefined ? "—" : ms(standalone.standalone.schema),
    ],
    [
      "standalone over lib/plugin/main.js, run by run",
      ratio(standalone.portRatio),
      ratio(standalone.firstAnswerRatio),
      "—",
    ],
  ],
)}

${table(
  ["Release archive", "Archive (.tar.gz)", "Executable"],
  standalone.archives.map((archive) => [
    archive.target,
    mib(archive.archiveBytes),
    mib(archive.executableBytes),
  ]),
)}`;
}

/** Every reschedule reads the job first (the run-since rule): at most 2N requests, and exactly N POSTs. */
function upRequestsMet(row: { count: number; jobRerun: { requests: Summary; writes: Summary } }): boolean {
  return (
    row.jobRerun.requests.max <= 2 * row.count &&
    row.jobRerun.writes.min === row.count &&
    row.jobRerun.writes.max === row.count
  );
}
