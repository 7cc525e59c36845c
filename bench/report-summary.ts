/** The summary table at the top of bench/results.md: every ask's figure, its goal, and whether it was met. */
import { bytes, count, met, pluginRequestsMet, ratio, table, upRequestsMet } from "./report-format";
import { GOALS, type BenchResults, type PluginResults } from "./figures";
import { formatSummary } from "./stats";

/** Asks 1 to 3: the state footprint, preview and up. */
function stateAndCliRows(results: BenchResults): string[][] {
  const summaryRows: string[][] = [];
  const growth = results.footprint.growth;
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
  for (const row of results.up.filter((row) => row.latencyMs === 0)) {
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
  return summaryRows;
}

/** Asks 4 and 5: the client's own cost and the requests while waiting. */
function clientAndPollingRows(results: BenchResults): string[][] {
  const summaryRows: string[][] = [];
  const { client, polling } = results;
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
  return summaryRows;
}

/** Ask 6: the provider plugin against the dynamic resource. */
function pluginRows(plugin: PluginResults): string[][] {
  const summaryRows: string[][] = [];
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
      "standalone plugin start-up to its port line, over lib/hosts/plugin/main.js's",
      "≤ 1.00",
      `${formatSummary(standalone.standalone.port, 0, " ms")}: ${ratio(standalone.portRatio)}`,
      met(standalone.portRatio.median <= 1),
    ]);
  }
  return summaryRows;
}

export function summarySection(results: BenchResults): string {
  const rows = [
    ...stateAndCliRows(results),
    ...clientAndPollingRows(results),
    ...(results.plugin === undefined ? [] : pluginRows(results.plugin)),
  ];
  return `## Summary\n\n${table(["Ask", "Figure", "Goal", "Measured", "Met"], rows)}`;
}
