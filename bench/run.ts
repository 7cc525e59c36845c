/**
 * `npm run bench`: what a JobRerun costs, measured side by side with a floor, and written to bench/results.md and
 * bench/results.json, which explain every figure and say how long the run took.
 *
 *   npm run bench              the full run: N = 10, 100 and 500
 *   npm run bench -- --quick   N = 10 and 100 only; results.md says which mode produced it
 *   npm run bench -- --n 100 --runs 3 --no-diagnosis --no-write   a quick look at one count, nothing written
 *   npm run bench -- --only client   the client's own cost alone, into the existing results
 *   npm run bench -- --only plugin   the provider plugin's section alone, the same way
 *   npm run bench -- --help    every option (options.ts)
 *
 * Every timed figure is the median of `runs` runs, with min and max; the two sides of a ratio run alternately
 * (A, B, A, B, ...) and each ratio is taken run by run.
 *
 * A run that fails stops everything it started (services.ts) before it reports the failure, and exits non-zero.
 */
import { measureClientAlone, measurePluginAlone } from "./one-section";
import { BenchUsageError, parseOptions, USAGE } from "./options";
import { renderAgain } from "./results-files";
import { runWholeBench } from "./whole-run";

/**
 * How long a failed run may still take to exit once it has reported the failure. Everything it started is
 * stopped by then, so the process ends at once; if something still holds it open, the run says what and ends.
 */
const EXIT_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
  } else if (options.render) {
    await renderAgain();
  } else if (options.only === "client") {
    await measureClientAlone(options.write);
  } else if (options.only === "plugin") {
    await measurePluginAlone(options);
  } else {
    await runWholeBench(options);
  }
}

function exitAfterFailure(code: number): void {
  process.exitCode = code;
  setTimeout(() => {
    // stdout and stderr are open to the end; anything else is what the run failed to stop.
    const holders = process
      .getActiveResourcesInfo()
      .filter((kind) => kind !== "TTYWrap" && kind !== "PipeWrap");
    process.stderr.write(
      `bench: still running ${EXIT_GRACE_MS / 1_000} s after failing, held open by ${holders.join(", ")}; exiting\n`,
    );
    process.exit(code);
  }, EXIT_GRACE_MS).unref();
}

main().catch((error: unknown) => {
  if (error instanceof BenchUsageError) {
    process.stderr.write(`bench: ${error.message}\n\n${USAGE}\n`);
    exitAfterFailure(2);
    return;
  }
  process.stderr.write(
    `bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  exitAfterFailure(1);
});
