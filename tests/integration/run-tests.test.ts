/**
 * scripts/run-tests.js judged by what it does: it runs tiny test files written to a temporary directory, as
 * `npm test` runs the real ones, and each case reads its exit code and its output. What it must fail, beyond
 * failed tests: a file that runs no test, a file still running after its summary line or past its time limit
 * (its whole process group stopped, what it started included), and under CI a file that skips tests without
 * an `@allowSkipInCI` reason. What it must not fail: passing files, skips outside CI, skips a reason allows,
 * files that --grep leaves without a test.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { waitUntilNoProcessesIn } from "../support/e2e";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const RUNNER = path.join(REPO_ROOT, "scripts", "run-tests.js");
/** Far beyond what any run here needs (the time-limit case ends in about 6 s). */
const RUNNER_DEADLINE_MS = 45_000;

/** A process that ignores SIGTERM, as a stuck child can: only the group's SIGKILL ends it. */
const STUBBORN_CHILD = `spawn("sh", ["-c", "trap '' TERM; exec sleep 120"], { cwd: __dirname, stdio: "ignore" })`;

const FIXTURES: Record<string, string> = {
  "passing.test.ts": `describe("a passing file", () => {
  it("passes", () => undefined);
});
`,
  "no-tests.test.ts": `describe("a file that declares no test", () => {});
`,
  "all-skipped.test.ts": `describe("a suite whose before skips", function () {
  before(function () {
    this.skip();
  });
  it("is skipped", () => undefined);
  it("is skipped too", () => undefined);
});
`,
  "hangs-after-summary.test.ts": `import { spawn } from "node:child_process";
describe("a file that leaves a child process running", () => {
  it("passes", () => {
    ${STUBBORN_CHILD};
  });
});
`,
  "stuck.test.ts": `import { spawn } from "node:child_process";
describe("a file that never ends", () => {
  it("waits forever", function () {
    this.timeout(0);
    ${STUBBORN_CHILD};
    return new Promise(() => undefined);
  });
});
`,
  "skips-without-reason.test.ts": `describe("a suite whose before skips", function () {
  before(function () {
    this.skip();
  });
  it("is skipped", () => undefined);
});
describe("a suite that runs", () => {
  it("passes", () => undefined);
});
`,
  "skips-with-reason.test.ts": `// @allowSkipInCI the fixture's platform is not this one
describe("a suite whose before skips", function () {
  before(function () {
    this.skip();
  });
  it("is skipped", () => undefined);
});
describe("a suite that runs", () => {
  it("passes", () => undefined);
});
`,
  "skips-with-empty-reason.test.ts": `/** @allowSkipInCI */
describe("a suite whose before skips", function () {
  before(function () {
    this.skip();
  });
  it("is skipped", () => undefined);
});
describe("a suite that runs", () => {
  it("passes", () => undefined);
});
`,
  "fails-then-skips.test.ts": `describe("cases that build on each other", () => {
  let failed = false;
  beforeEach(function () {
    if (failed) {
      this.skip();
    }
  });
  afterEach(function () {
    failed ||= this.currentTest?.state === "failed";
  });
  it("fails", () => {
    throw new Error("the first case failed");
  });
  it("is skipped after it", () => undefined);
});
`,
};

interface RunnerResult {
  code: number | null;
  stdout: string;
  ms: number;
  /** The runner's output lines. */
  lines: string[];
}

describe("scripts/run-tests.js: what fails a test file", function () {
  // Each run starts a few mocha processes (TypeScript included); the time-limit case waits out its limit.
  this.timeout(RUNNER_DEADLINE_MS + 30_000);

  let dir: string;
  let runs: Record<"outsideCi" | "inCi" | "timeLimit" | "grep" | "grepNothing", RunnerResult>;
  let runCount = 0;

  /** Runs the runner on fixture files with `env` over a neutral environment, and mocha `args`. */
  function runner(files: string[], env: NodeJS.ProcessEnv, args: string[] = []): Promise<RunnerResult> {
    const startedAt = Date.now();
    const child = spawn(process.execPath, [RUNNER, ...files.map((file) => path.join(dir, file)), ...args], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        CI: "",
        TEST_SHARD: "",
        TEST_FILE_TIMEOUT: "",
        TEST_EXIT_GRACE: "3",
        TEST_TIMES_FILE: path.join(dir, `times-${(runCount += 1)}.json`),
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    // A runner that broke its own limits would otherwise hold up this file: Ctrl+C stops it and its files.
    const deadline = setTimeout(() => child.kill("SIGINT"), RUNNER_DEADLINE_MS);
    return new Promise((resolve) => {
      child.on("close", (code) => {
        clearTimeout(deadline);
        resolve({ code, stdout, ms: Date.now() - startedAt, lines: stdout.trimEnd().split("\n") });
      });
    });
  }

  /** The closing summary's entries for failed files: `  <file>: <why>` after `run-tests: failed:`. */
  function failedEntries(result: RunnerResult): string[] {
    const start = result.lines.indexOf("run-tests: failed:");
    if (start === -1) {
      return [];
    }
    return result.lines.slice(start + 1, -1).map((line) => line.replace(/^ {2}/, ""));
  }

  const fixture = (name: string): string => path.relative(REPO_ROOT, path.join(dir, name));

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "run-tests-fixtures-"));
    for (const [name, source] of Object.entries(FIXTURES)) {
      await fs.writeFile(path.join(dir, name), source);
    }
    // Side by side: each run is mostly waiting (a grace period, a time limit).
    const [outsideCi, inCi, timeLimit, grep, grepNothing] = await Promise.all([
      runner(
        [
          "passing.test.ts",
          "no-tests.test.ts",
          "all-skipped.test.ts",
          "hangs-after-summary.test.ts",
          "skips-without-reason.test.ts",
        ],
        {},
      ),
      runner(
        [
          "skips-without-reason.test.ts",
          "skips-with-reason.test.ts",
          "skips-with-empty-reason.test.ts",
          "fails-then-skips.test.ts",
        ],
        { CI: "true" },
      ),
      runner(["stuck.test.ts"], { TEST_FILE_TIMEOUT: "6" }),
      runner(["passing.test.ts", "all-skipped.test.ts"], {}, ["--grep", "a passing file"]),
      runner(["passing.test.ts"], {}, ["--grep", "matches nothing"]),
    ]);
    runs = { outsideCi, inCi, timeLimit, grep, grepNothing };
  });

  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("fails a file that declares no test, and one whose every test was skipped, naming each and why", () => {
    const run = runs.outsideCi;
    expect(run.code, run.stdout).to.equal(1);
    expect(run.stdout).to.include(
      `run-tests: FAILED ${fixture("no-tests.test.ts")}: ran no test: it declares none`,
    );
    expect(run.stdout).to.include(
      `run-tests: FAILED ${fixture("all-skipped.test.ts")}: ran no test: all 2 tests skipped`,
    );
    expect(failedEntries(run)).to.include.members([
      `${fixture("no-tests.test.ts")}: ran no test: it declares none (or none that this shard runs)`,
      `${fixture("all-skipped.test.ts")}: ran no test: all 2 tests skipped`,
    ]);
  });

  it("stops a file still running after its summary line, its process group included, and fails it", async () => {
    const run = runs.outsideCi;
    const why =
      "was still running 3 s after its summary line (TEST_EXIT_GRACE): something it started (a server, a " +
      "socket, a timer, a child process) keeps it alive; its process group was stopped";
    expect(run.stdout).to.include(`run-tests: FAILED ${fixture("hangs-after-summary.test.ts")}: ${why}`);
    expect(failedEntries(run)).to.include(`${fixture("hangs-after-summary.test.ts")}: ${why}`);
    // Its child ignores SIGTERM: only a SIGKILL to the group ends it.
    const left = await waitUntilNoProcessesIn(dir, 5_000);
    expect(left.remaining, JSON.stringify(left.remaining)).to.deep.equal([]);
  });

  it("passes files with tests, skips outside CI, and keeps the closing line CI reads", () => {
    const run = runs.outsideCi;
    expect(failedEntries(run)).to.have.length(3);
    expect(run.stdout).not.to.include(`FAILED ${fixture("passing.test.ts")}`);
    expect(run.stdout).not.to.include(`FAILED ${fixture("skips-without-reason.test.ts")}`);
    // passing, hangs-after-summary and skips-without-reason pass a test each; each broken rule is a failure.
    expect(run.lines.at(-1)).to.equal("3 passed, 3 failed, 3 skipped");
  });

  it("under CI, fails a file that skips with no reason, or a tag with none; allows a named reason", () => {
    const run = runs.inCi;
    expect(run.code, run.stdout).to.equal(1);
    const why = (skipped: string) =>
      `skipped ${skipped} under CI=true with no reason that allows it: make it run (a skip in CI most often ` +
      "hides a missing tool), or declare `@allowSkipInCI <reason>` in the file";
    expect(run.stdout).to.include(
      `run-tests: FAILED ${fixture("skips-without-reason.test.ts")}: ${why("1 test")}`,
    );
    expect(failedEntries(run)).to.have.members([
      `${fixture("skips-without-reason.test.ts")}: ${why("1 test")}`,
      `${fixture("skips-with-empty-reason.test.ts")}: ${why("1 test")}`,
      `${fixture("fails-then-skips.test.ts")}: 1 test failed`,
    ]);
    const allowed = `${fixture("skips-with-reason.test.ts")}: 1 test skipped under CI=true, allowed: the fixture's platform is not this one`;
    expect(run.stdout).to.include(`run-tests: ${allowed}`);
    expect(run.lines).to.include("run-tests: skips allowed in CI:").and.include(`  ${allowed}`);
    // Skips after a failure follow from it: that file counts its failed test alone.
    expect(run.lines.at(-1)).to.equal("3 passed, 3 failed, 4 skipped");
  });

  it("stops a file that outlives its time limit, its process group included, and fails it", async () => {
    const run = runs.timeLimit;
    expect(run.code, run.stdout).to.equal(1);
    const why =
      "ran longer than its time limit of 6 s (TEST_FILE_TIMEOUT); its process group was stopped; it printed " +
      "no summary line";
    expect(run.stdout).to.include(`run-tests: FAILED ${fixture("stuck.test.ts")}: ${why}`);
    expect(failedEntries(run)).to.deep.equal([`${fixture("stuck.test.ts")}: ${why}`]);
    expect(run.lines.at(-1)).to.equal("0 passed, 1 failed");
    expect(run.ms).to.be.below(20_000);
    const left = await waitUntilNoProcessesIn(dir, 5_000);
    expect(left.remaining, JSON.stringify(left.remaining)).to.deep.equal([]);
  });

  it("with --grep, passes files it leaves without a test, and fails a run that matched none", () => {
    const grep = runs.grep;
    expect(grep.code, grep.stdout).to.equal(0);
    expect(grep.lines.at(-1)).to.equal("1 passed, 0 failed");

    const nothing = runs.grepNothing;
    expect(nothing.code, nothing.stdout).to.equal(1);
    expect(failedEntries(nothing)).to.deep.equal(["the run: ran no test: no test matched --grep or --fgrep"]);
    expect(nothing.lines.at(-1)).to.equal("0 passed, 1 failed");
  });
});
