/**
 * `npm run bench` on a fresh clone, when a section fails: the run must get as far as the failing section (a
 * fresh clone has no .e2e/ directory yet), then stop what it started (the simulator, the proxy, the load
 * sampler, its stacks and scratch directories), report the failure and exit non-zero, at once.
 *
 * It runs the bench's entry point, as `npm run bench` does after its build, in a copy of this checkout with this
 * checkout's lib/ (no .e2e/, no .cache/). The first section, the provider text's growth, is made to fail the
 * way it would if its fixture changed: the copy's naive fixture lacks the method the section grows the code
 * beside. That section runs after the Pulumi CLI is found and every service has started, and takes seconds.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../../scripts/pulumi-harness";
import { copyOfThisCheckout } from "../support/e2e";

/** How long the run may take to exit once it has reported the failure. */
const EXIT_AFTER_FAILURE_MS = 5_000;
/** Finding the Pulumi CLI and starting TypeScript; far less on an idle machine. */
const REACH_THE_FAILURE_MS = 90_000;
/** Where the growth section adds a method to the naive fixture; bench/footprint.ts refuses a fixture without it. */
const GROWTH_ANCHOR = "  getJob(jobId) {";

interface BenchEnd {
  code: number | null;
  stderr: string;
  /** From the `bench: failed:` line to the process's exit; undefined when no such line came. */
  exitAfterFailureMs: number | undefined;
  /** Why the test stopped the process itself, when it did. */
  stoppedBecause: string | undefined;
}

/** Runs bench/run.ts in `checkout`, ending its process group if it outlives the limits above. */
function runBench(checkout: string, args: readonly string[]): Promise<BenchEnd> {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "bench/run.ts", ...args], {
    cwd: checkout,
    env: {
      ...process.env,
      // The copy has no .cache/: it uses this checkout's Pulumi CLI build instead of building its own.
      PULUMI_CLI_CACHE: process.env["PULUMI_CLI_CACHE"] ?? path.join(REPO_ROOT, ".cache", "pulumi-cli"),
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stderr = "";
  let failedAt: number | undefined;
  let stoppedBecause: string | undefined;
  const stop = (reason: string) => {
    stoppedBecause = reason;
    if (child.pid !== undefined) {
      process.kill(-child.pid, "SIGKILL");
    }
  };
  const deadline = setTimeout(
    () => stop(`no failure within ${REACH_THE_FAILURE_MS} ms`),
    REACH_THE_FAILURE_MS,
  );
  let graceTimer: NodeJS.Timeout | undefined;
  child.stdout.resume();
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    if (failedAt === undefined && stderr.includes("bench: failed:")) {
      failedAt = performance.now();
      clearTimeout(deadline);
      graceTimer = setTimeout(
        () => stop(`still running ${EXIT_AFTER_FAILURE_MS} ms after failing`),
        EXIT_AFTER_FAILURE_MS,
      );
    }
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(deadline);
      clearTimeout(graceTimer);
      const exitAfterFailureMs = failedAt === undefined ? undefined : performance.now() - failedAt;
      resolve({ code, stderr, exitAfterFailureMs, stoppedBecause });
    });
  });
}

describe("e2e: npm run bench on a fresh clone, a section failing", function () {
  this.timeout(REACH_THE_FAILURE_MS + EXIT_AFTER_FAILURE_MS + 60_000);

  let checkout: string;
  let end: BenchEnd;

  before(async () => {
    if (!existsSync(path.join(REPO_ROOT, "lib", "index.js"))) {
      throw new Error("no lib/: run `npm run build` first");
    }
    checkout = await copyOfThisCheckout("narrative-bench-checkout-");
    await fs.cp(path.join(REPO_ROOT, "lib"), path.join(checkout, "lib"), { recursive: true });
    const fixture = path.join(checkout, "bench", "fixtures", "naive-job-rerun.js");
    const source = await fs.readFile(fixture, "utf8");
    expect(source, "the fixture the growth section grows").to.include(GROWTH_ANCHOR);
    await fs.writeFile(fixture, source.replace(GROWTH_ANCHOR, "  readJob(jobId) {"));
    expect(existsSync(path.join(checkout, ".e2e")), "a fresh clone has no .e2e/").to.equal(false);
    end = await runBench(checkout, ["--quick", "--no-write"]);
  });

  after(async () => {
    await fs.rm(checkout, { recursive: true, force: true });
  });

  it("gets as far as the failing section, and reports that section's failure", () => {
    expect(end.stderr, end.stderr).to.include("bench: failed:");
    expect(end.stderr, end.stderr).to.not.include("ENOENT");
    expect(end.stderr, end.stderr).to.include(`no longer has "${GROWTH_ANCHOR}"`);
  });

  it("exits non-zero, on its own, within seconds of the failure", () => {
    expect(end.stoppedBecause, end.stderr).to.equal(undefined);
    expect(end.code, end.stderr).to.equal(1);
    expect(end.exitAfterFailureMs).to.be.below(EXIT_AFTER_FAILURE_MS);
    expect(end.stderr, "nothing held the process open").to.not.include("held open by");
  });

  it("leaves no stack or scratch directory behind", async () => {
    expect(await fs.readdir(path.join(checkout, ".e2e"))).to.deep.equal([]);
  });
});
