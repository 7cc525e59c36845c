/**
 * bench/results.json (the figures) and bench/results.md (rendered from them), written the way `npm run lint`
 * (prettier --check) expects them.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as prettier from "prettier";
import { REPO_ROOT } from "../scripts/pulumi-harness";
import type { BenchResults } from "./figures";
import { progress } from "./progress";
import { renderMarkdown } from "./report";

const RESULTS_MD = path.join(__dirname, "results.md");
const RESULTS_JSON = path.join(__dirname, "results.json");

const shown = (file: string): string => path.relative(REPO_ROOT, file);

async function writeFormatted(file: string, text: string): Promise<void> {
  const config = (await prettier.resolveConfig(file)) ?? {};
  await fs.writeFile(file, await prettier.format(text, { ...config, filepath: file }));
}

async function readResults(): Promise<BenchResults> {
  return JSON.parse(await fs.readFile(RESULTS_JSON, "utf8")) as BenchResults;
}

/** A whole run's figures: both files, or with --no-write the Markdown on stdout. */
export async function writeResults(results: BenchResults, write: boolean): Promise<void> {
  const markdown = renderMarkdown(results);
  if (!write) {
    process.stdout.write(markdown);
    return;
  }
  await writeFormatted(RESULTS_JSON, JSON.stringify(results, null, 2));
  await writeFormatted(RESULTS_MD, markdown);
  progress(`wrote ${shown(RESULTS_MD)} and ${shown(RESULTS_JSON)}`);
}

/** Renders bench/results.md from bench/results.json again, e.g. after the wording of the report changed. */
export async function renderAgain(): Promise<void> {
  await writeFormatted(RESULTS_MD, renderMarkdown(await readResults()));
  progress(`wrote ${shown(RESULTS_MD)} from ${shown(RESULTS_JSON)}`);
}

/**
 * A section measured on its own replaces its part of results.json, and results.md is rendered again; with
 * --no-write it is printed instead.
 */
export async function replaceSection<K extends "client" | "plugin">(
  write: boolean,
  number: number,
  key: K,
  section: BenchResults[K],
): Promise<void> {
  if (!write) {
    process.stdout.write(`${JSON.stringify(section, null, 2)}\n`);
    return;
  }
  const results = await readResults();
  results[key] = section;
  await writeFormatted(RESULTS_JSON, JSON.stringify(results, null, 2));
  await writeFormatted(RESULTS_MD, renderMarkdown(results));
  progress(`wrote section ${number} of ${shown(RESULTS_MD)} and ${shown(RESULTS_JSON)}`);
}
