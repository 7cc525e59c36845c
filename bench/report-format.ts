/** The pieces every section of bench/results.md is written with: figures as text, tables, shared sentences. */
import type { BenchResults, Compared, MeasuredBy, PluginCompared, PluginResults, Versus } from "./figures";
import { formatSummary, type Summary } from "./stats";

export const seconds = (summary: Summary): string => formatSummary(summary, 2, " s");
export const ratio = (summary: Summary): string => formatSummary(summary, 2);
export const count = (summary: Summary): string => formatSummary(summary, 0);
export const bytes = (value: number): string => `${Math.round(value).toLocaleString("en-US")} B`;
export const met = (ok: boolean): string => (ok ? "met" : "**not met**");

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** JobRerun against the three floors, one row per condition. */
export function diagnosisTable(rows: readonly { condition: string; compared: Compared }[]): string {
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
export function diagnosisFloors(results: BenchResults): string {
  return `The floor padded to a JobRerun's state size carries an extra input of ${results.paddingBytes ?? "?"} characters
(bench/programs.ts, \`padded-floor\`); the shaped floor registers what a JobRerun program registers as well
(\`jobId\`, \`triggers\` and a \`status\` holding the padding where a JobRerun holds the job's text:
\`shaped-floor\`). Both use the no-op
provider, so JobRerun over the shaped floor is what its provider and its constructor do, and nothing else.`;
}

/** The sentence a section measured on its own ends with; nothing for a section from the whole run. */
export function measuredByNote(measuredBy: MeasuredBy | undefined): string {
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

/** Every reschedule reads the job first (the run-since rule): at most 2N requests, and exactly N POSTs. */
export function upRequestsMet(row: {
  count: number;
  jobRerun: { requests: Summary; writes: Summary };
}): boolean {
  return (
    row.jobRerun.requests.max <= 2 * row.count &&
    row.jobRerun.writes.min === row.count &&
    row.jobRerun.writes.max === row.count
  );
}

/** Preview sends nothing and up exactly N POSTs (each after a read), on both sides, in every run. */
export function pluginRequestsMet(plugin: PluginResults): boolean {
  const sides = (row: PluginCompared) => [row.yaml, row.dynamic];
  return (
    plugin.preview.every((row) => sides(row).every((side) => side.requests.max === 0)) &&
    plugin.up.every((row) => sides(row).every((side) => upRequestsMet({ count: row.count, jobRerun: side })))
  );
}
