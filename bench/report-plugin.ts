/** Section 6 of bench/results.md: the provider plugin (a Pulumi YAML program) against the dynamic resource. */
import { count, measuredByNote, met, ratio, seconds, table, upRequestsMet } from "./report-format";
import { GOALS, type PluginResults } from "./figures";
import type { StandaloneStartResults } from "./plugin-start";
import { formatSummary, type Summary } from "./stats";

/** One row per command and count: YAML against dynamic, and both sides' API requests against the goal. */
function comparisonRows(plugin: PluginResults): string[][] {
  return [
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
}

/** The plugin's start-up against the dynamic provider host's. */
function startUpTable(start: PluginResults["start"]): string {
  const ms = (summary: Summary): string => formatSummary(summary, 0, " ms");
  return table(
    ["Provider", "To the port line", "To the first answer", "GetSchema round trip"],
    [
      [
        "`narrative` plugin (lib/hosts/plugin/main.js)",
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
  );
}

export function pluginSection(plugin: PluginResults): string {
  const measuredBy = measuredByNote(plugin.measuredBy);
  return `## 6. Provider plugin (Pulumi YAML)

The same N JobReruns (the same names, job ids and change of triggers, \`waitFor: "none"\`) as a Pulumi YAML program,
which Pulumi's YAML language host runs against the \`narrative\` provider plugin (${
    plugin.yamlPlugin === "standalone"
      ? "the standalone executable\nof `npm run plugin-archives`"
      : "`lib/hosts/plugin/main.js`"
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
  comparisonRows(plugin),
)}

Start-up, ${plugin.start.runs} starts of each, alternating after one unmeasured start of each: the process spawned with an
engine address (a loopback listener) as the engine starts it, until the port line it prints; then its answer to
GetPluginInfo, the engine's first call, and for the plugin GetSchema's round trip (the YAML language host reads the
schema before the program runs; the dynamic host does not serve one).

${startUpTable(plugin.start)}${plugin.start.standalone === undefined ? "" : standaloneSection(plugin.start.standalone, plugin.start.runs)}`;
}

/** The standalone plugin's start-up against lib/hosts/plugin/main.js, and the size of each release archive. */
function standaloneSection(standalone: StandaloneStartResults, runs: number): string {
  const ms = (summary: Summary): string => formatSummary(summary, 0, " ms");
  const mib = (value: number): string => `${(value / 1024 / 1024).toFixed(1)} MiB`;
  return `

The standalone plugin (\`npm run plugin-archives\`: a Node.js single executable application that needs no Node.js
where it runs), ${standalone.target}, against lib/hosts/plugin/main.js run by \`node\`: ${runs} starts of each,
alternating after one unmeasured start of each, measured as above.

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
      "standalone over lib/hosts/plugin/main.js, run by run",
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
