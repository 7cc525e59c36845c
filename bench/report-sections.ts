/** Sections 1 to 5 of bench/results.md: state footprint, preview, up, the client, polling. */
import type { ResourceFootprint } from "./footprint";
import {
  bytes,
  count,
  diagnosisFloors,
  diagnosisTable,
  measuredByNote,
  met,
  ratio,
  seconds,
  table,
  upRequestsMet,
} from "./report-format";
import { GOALS, type BenchResults, type ClientResults, type PollingResults } from "./figures";
import { formatSummary, type Summary } from "./stats";

/** Section 1; nothing without the footprint's figures. */
export function footprintSection(results: BenchResults): string | undefined {
  const { footprint } = results;
  const growth = footprint.growth;
  if (footprint.jobRerun === undefined || growth === undefined) {
    return undefined;
  }
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
  return `## 1. State footprint

Each resource as compact JSON in \`pulumi stack export\` (all its fields: inputs, outputs, dependencies, stack
trace), from a stack of ${footprint.count} resources created and then updated once; min–max over the resources (they differ
only in counters and timestamps). \`__provider\` is stored twice per resource, in the inputs and in the outputs.

${table(["Resource", "Bytes per resource", "`__provider` (one copy)", "`__provider` × 2", "The job", "Everything else"], rows)}

Whether the stored text grows with the code behind it, before and after the code grows by about 100 KB in a
temporary copy: the naive provider serialized in this process the way \`dynamic.Resource\` does it; JobRerun's
fixed text (lib/hosts/dynamic/provider-text.js, not a serialized closure) read from each copy. The text the
CLI stored for the JobRerun stack ${footprint.storedEqualsInProcess === true ? "is byte for byte the in-process text" : "differs from the in-process text"}.

${table(
  ["Provider", "Code added", "Text before", "Text after", "Same text"],
  [
    [
      `JobRerun: lib/hosts/dynamic/provider.js and lib/api/client.js (lib/**/*.js ${bytes(growth.jobRerun.implementationBytes.before)} → ${bytes(growth.jobRerun.implementationBytes.after)})`,
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

${table(["N", "JobRerun export", "Floor export", "Ratio", "JobRerun bytes per resource", "Padded floor export", "Shaped floor export"], exportRows)}`;
}

/** Section 2, with its diagnosis when the diagnosis floors ran. */
export function previewSection(results: BenchResults): string[] {
  const sections: string[] = [];
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
  return sections;
}

/** Section 3, with the creation times and the diagnosis when the diagnosis floors ran. */
export function upSection(results: BenchResults): string[] {
  const { machine } = results;
  const sections: string[] = [];
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
  const diagnosis = upDiagnosis(results);
  if (diagnosis !== undefined) {
    sections.push(diagnosis);
  }
  return sections;
}

/** Where up's time goes: the diagnosis floors, and up without checkpoints. */
function upDiagnosis(results: BenchResults): string | undefined {
  const diagnosis = results.checkpoints;
  if (diagnosis === undefined) {
    return undefined;
  }
  const upNoLatency = results.up.filter((row) => row.latencyMs === 0);
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
  return `### Where up's time goes

The engine writes a checkpoint of the state after every step (with a file backend, the whole state file), so an up
of N resources writes the state N times and its cost grows with N × the state's size (section 1 compares a
JobRerun's with the floor's). At N = ${diagnosis.count}, the same up in the same rounds against two more floors,
then every side again with \`PULUMI_SKIP_CHECKPOINTS=true\` (the state written once, at the end).
${diagnosisFloors(results)}

${diagnosisTable(rows)}

How many API requests the engine keeps in flight, with ${delayed?.latencyMs ?? latency?.latencyMs ?? 50} ms of latency per request, N = ${diagnosis.count}:

${table(["Checkpoints", "JobRerun", "Floor", "Ratio", "Most in flight"], inFlightRows)}`;
}

export function clientSection(client: ClientResults): string {
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
  return `## 4. Client

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
connections ${count(client.connections.getJob)} (goal ${GOALS.clientConnections}: ${met(client.connections.getJob.max === GOALS.clientConnections)}).`;
}

export function pollingSection(polling: PollingResults): string {
  return `## 5. Polling

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
)}`;
}
