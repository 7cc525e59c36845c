/** bench/results.md, rendered from the figures bench/results.json holds. */
import { pluginSection } from "./report-plugin";
import {
  clientSection,
  footprintSection,
  pollingSection,
  previewSection,
  upSection,
} from "./report-sections";
import { summarySection } from "./report-summary";
import type { BenchResults } from "./figures";
import { formatSummary } from "./stats";

/** What produced the figures, on what machine, and how to read them. */
function introduction(results: BenchResults): string {
  const { machine } = results;
  return `# Benchmark results

Produced by \`${results.command}\` in **${results.mode} mode** (N = ${results.counts.join(", ")}; ${results.mode === "full" ? "the quick mode leaves out N = 500" : "the full run adds N = 500"}),
${results.runs} runs per side for every CLI figure, in ${(results.totalSeconds / 60).toFixed(1)} minutes.
Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGb} GB, ${machine.os}; Node.js ${machine.node};
Pulumi CLI ${machine.pulumiCli}, @pulumi/pulumi ${machine.pulumiSdk}; ${machine.date}.
1-minute load average through the run: ${results.loadAverage === undefined ? "not sampled" : formatSummary(results.loadAverage, 2)}.

Figures read "median (min–max)". A ratio is JobRerun over the floor, taken run by run from two commands run back to
back (A, B, A, B, ...), then summarized the same way. The floor is the same program with N dynamic resources whose
provider does nothing (bench/fixtures/no-op-resource.js). Both run through the real Pulumi CLI with a local file
backend; the JobRerun side talks to the in-process simulator over loopback through a counting proxy. A ratio goal
is met when the median ratio is within it; a request goal must hold in every run.`;
}

export function renderMarkdown(results: BenchResults): string {
  const sections = [
    introduction(results),
    summarySection(results),
    footprintSection(results),
    ...(results.preview.length > 0 ? previewSection(results) : []),
    ...(results.up.length > 0 ? upSection(results) : []),
    results.client === undefined ? undefined : clientSection(results.client),
    results.polling === undefined ? undefined : pollingSection(results.polling),
    results.plugin === undefined ? undefined : pluginSection(results.plugin),
  ];
  return `${sections.filter((section) => section !== undefined).join("\n\n")}\n`;
}
