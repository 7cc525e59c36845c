#!/usr/bin/env node
// Runs the test suites with their files concurrently, as separate mocha processes, then closes with ONE
// "N passed, N failed" line for the whole run, which CI reads as the summary; exits non-zero when any test
// failed or any file broke one of the rules below.
//
//   TEST_SUITES=e2e,compat node scripts/run-tests.js       the files of those suites (as .mocharc.cjs lists them)
//   node scripts/run-tests.js tests/e2e/yaml.test.ts        the files named, in place of the suites
//   node scripts/run-tests.js --grep retry                  other arguments go to every mocha process
//   TEST_MEASURE_CPU=1 npm test                             the times table gets each file's CPU (GNU time)
//
// Why processes rather than `mocha --parallel`: its workers run file after file in the same process, so what
// one file leaves behind (the proxy file's process.env, an agent, a timer) meets the next; and a file could
// neither be split into shards, each process with its own TEST_SHARD, nor have its CPU measured on its own.
//
// How the work is split:
// - the unit suite is one mocha process: its files take milliseconds each, and a process per file would spend
//   more on starting TypeScript than on testing;
// - every other file is a mocha process of its own, TEST_JOBS (default: cores + 1) at a time, longest first by
//   the times of the last run (.cache/test-times.json, git-ignored, kept by npm ci, or TEST_TIMES_FILE; see
//   expected()). Most of their time is spent waiting on the Pulumi CLI's plugins, the simulator's held
//   requests and timeouts, not on the CPU, which is why one job more than there are cores keeps the machine
//   busy;
// - a file whose header says `@shards N` runs as N processes side by side, the i-th with TEST_SHARD=i/N,
//   each declaring its share of the file's cases (tests/support/shard.ts);
// - when any file uses the packed package (tests/support/packing.ts), `npm pack` runs once here and every process
//   gets the tarball in TEST_PACKED_TARBALL, instead of each packing its own.
//
// What fails a file beyond its failed tests, each counted as one failure more and named, with the reason, after
// the file's output and again before the closing line:
// - it ran no test: none passed or failed (every test skipped, or none declared). With --grep or --fgrep, which
//   leave most files without a test, this holds for the run as a whole instead;
// - under CI (the CI variable set, other than "false" or "0"), it skipped a test without failing any, and
//   declares no reason that allows it: a tag `@allowSkipInCI <reason>` in a comment of the file. A skip in CI
//   most often means a missing tool or a broken setup, which the skipped total would hide; skips in a file that
//   failed are taken to follow from its failures (skipTheRestAfterAFailure);
// - it ran longer than TEST_FILE_TIMEOUT seconds (default 1200, above the longest a file allows itself:
//   language-hosts.test.ts's first Go build), or was still running TEST_EXIT_GRACE seconds (default 10) after
//   its summary line: something it started keeps it alive. Its whole process group is stopped (SIGTERM, then
//   SIGKILL), and the run goes on;
// - it ended without its summary line (it did not load, crashed, or was killed), or exited non-zero though it
//   reported no failure.
//
// Each process's output is printed whole when it ends, so files never interleave line by line. Each runs in a
// process group of its own, which a stop or a Ctrl+C signals whole (scripts/test-process.js); the rules are
// scripts/test-verdicts.js's.
const { setInterval, clearInterval } = require("node:timers");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { loadOptions } = require("mocha/lib/cli/options");
const lookupFiles = require("mocha/lib/cli/lookup-files");
const { packThisCheckout } = require("./pack");
const { runProcess, signalAll } = require("./test-process");
const { isFiltered, judge } = require("./test-verdicts");

const ROOT = path.resolve(__dirname, "..");
const MOCHA = path.join(ROOT, "node_modules", "mocha", "bin", "mocha.js");
const TIMES_FILE = process.env["TEST_TIMES_FILE"] || path.join(ROOT, ".cache", "test-times.json");
const SHARDS = /@shards\s+(\d+)/;

/** A number of seconds from the environment, or the default; anything else stops the run, naming it. */
function seconds(name, fallback) {
  const text = process.env[name] ?? "";
  if (text === "") {
    return fallback;
  }
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a number of seconds; got ${JSON.stringify(text)}`);
  }
  return value;
}

/** TEST_FILE_TIMEOUT and TEST_EXIT_GRACE, read when the run starts (see the top of this file). */
const limits = { timeLimitS: 0, exitGraceS: 0 };

/**
 * The test files named on the command line, and every other argument, which goes to each mocha process
 * (`--grep retry`). Mocha's own parser tells them apart, as it knows which options take a value.
 */
function parseArguments(argv) {
  const files = loadOptions([...argv, "--no-config", "--no-package"])._.map(String);
  // Each process gets its own files: the names (and any --spec before them) are not passed on.
  const forwarded = argv.filter((arg) => arg !== "--spec" && !arg.startsWith("--spec="));
  for (const file of files) {
    const at = forwarded.indexOf(file);
    if (at !== -1) {
      forwarded.splice(at, 1);
    }
  }
  return { files, forwarded };
}

/** The test files: those named, else the configured suites' (mocha's own configuration and glob lookup). */
function testFiles(named) {
  // .mocharc.cjs reads the command line to tell whether files were named; these are this script's arguments,
  // not mocha's, so it sees none while mocha reads it here.
  const argv = process.argv;
  process.argv = argv.slice(0, 2);
  const configured = loadOptions([])._.map(String);
  process.argv = argv;
  const specs = named.length > 0 ? named : configured;
  const files = specs.flatMap((spec) => lookupFiles(spec, ["ts"], false));
  return [...new Set(files.map((file) => path.relative(ROOT, path.resolve(ROOT, file))))].sort();
}

/** Units of work: [{ files, shard }]. */
function batches(files) {
  const unit = files.filter((file) => file.startsWith(`tests${path.sep}unit${path.sep}`));
  const rest = files.filter((file) => !unit.includes(file));
  const result = unit.length > 0 ? [{ files: unit }] : [];
  for (const file of rest) {
    const source = fs.readFileSync(path.join(ROOT, file), "utf8");
    const shards = Number(SHARDS.exec(source)?.[1] ?? 1);
    for (let shard = 1; shard <= shards; shard += 1) {
      result.push({ files: [file], shard: shards > 1 ? `${shard}/${shards}` : undefined });
    }
  }
  return result;
}

function readTimes() {
  try {
    return JSON.parse(fs.readFileSync(TIMES_FILE, "utf8"));
  } catch {
    return {};
  }
}

function writeTimes(times) {
  // A file (or directory) that is gone takes its time with it.
  for (const name of Object.keys(times)) {
    if (!fs.existsSync(path.join(ROOT, name.split(" ")[0]))) {
      delete times[name];
    }
  }
  try {
    fs.mkdirSync(path.dirname(TIMES_FILE), { recursive: true });
    fs.writeFileSync(TIMES_FILE, `${JSON.stringify(times, null, 2)}\n`);
  } catch {
    // Only the order of the next run depends on it.
  }
}

/**
 * How long a batch is expected to take, for the order: its time in the last run; for a file with no time yet
 * (a new file, a fresh clone), an end-to-end or compatibility file goes before all timed ones (it is likely
 * slow, and a slow file started last holds up the end of the run), a larger one first.
 */
function expected(batch, times) {
  const last = times[batchName(batch)];
  if (typeof last === "number") {
    return last;
  }
  const size = batch.files.reduce((sum, file) => sum + fs.statSync(path.join(ROOT, file)).size, 0);
  const slowSuite = batch.files.some((file) => /^tests[\\/](e2e|compat)[\\/]/.test(file));
  // A file split into shards says by that that it is long: its shards go before other untimed files.
  return (slowSuite ? 1e12 : 0) + (batch.shard === undefined ? 0 : 1e11) + size;
}

function batchName(batch) {
  if (batch.files.length > 1) {
    return `${path.dirname(batch.files[0])} (${batch.files.length} files)`;
  }
  return batch.shard === undefined ? batch.files[0] : `${batch.files[0]} [shard ${batch.shard}]`;
}

const GNU_TIME = "/usr/bin/time";
const MEASURE_CPU = process.env["TEST_MEASURE_CPU"] === "1" && fs.existsSync(GNU_TIME);

/** User plus system CPU seconds from GNU time's output file, or undefined; the file is removed. */
function readCpu(file) {
  if (file === undefined) {
    return undefined;
  }
  try {
    const last = fs.readFileSync(file, "utf8").trim().split("\n").pop() ?? "";
    const [user, system] = last.split(" ").map(Number);
    return Number.isFinite(user) && Number.isFinite(system) ? user + system : undefined;
  } catch {
    return undefined;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** Set on SIGINT or SIGTERM: the running files are stopped, and no other starts. */
let stopping = false;
let processCount = 0;

/** Each file's own counts, as tests/reporter.js wrote them; undefined when it wrote none. */
function readTally(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** Runs one mocha process; resolves with its counts, what it broke, its time and its whole output. */
async function runBatch(batch, forwarded, env) {
  const startedAt = Date.now();
  processCount += 1;
  const tallyFile = path.join(os.tmpdir(), `run-tests-tally-${process.pid}-${processCount}.json`);
  // With TEST_MEASURE_CPU=1, GNU time reports the CPU the file used: its mocha process and every process it
  // waited for (the Pulumi CLI, which waits for its plugins and language hosts). Timing a file's wall clock
  // says little when files share the cores; its CPU says what it costs the machine.
  const cpuFile = MEASURE_CPU
    ? path.join(os.tmpdir(), `run-tests-cpu-${process.pid}-${processCount}`)
    : undefined;
  const command =
    cpuFile === undefined ? [process.execPath] : [GNU_TIME, "-f", "%U %S", "-o", cpuFile, process.execPath];
  const run = await runProcess(
    command[0],
    [...command.slice(1), MOCHA, ...batch.files, ...forwarded],
    {
      cwd: ROOT,
      env: {
        ...env,
        TEST_TALLY_FILE: tallyFile,
        ...(batch.shard === undefined ? {} : { TEST_SHARD: batch.shard }),
      },
    },
    limits,
  );
  const name = batchName(batch);
  const verdict = judge({ name, files: batch.files }, run, readTally(tallyFile), isFiltered(forwarded));
  return { batch, ...verdict, output: run.output, ms: Date.now() - startedAt, cpu: readCpu(cpuFile) };
}

function report(result) {
  const { batch, counts, ms } = result;
  const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : "";
  const lines = [
    ...result.notes.map((note) => `run-tests: ${batchName(batch)}: ${note}`),
    ...result.allowedSkips.map((line) => `run-tests: ${line}`),
    ...result.problems.map(({ subject, why }) => `run-tests: FAILED ${subject}: ${why}`),
  ];
  process.stdout.write(
    `\n■ ${batchName(batch)}: ${counts.passed} passed, ${counts.failed} failed${skipped} (${(ms / 1000).toFixed(1)} s)\n`,
  );
  process.stdout.write(result.output.endsWith("\n") ? result.output : `${result.output}\n`);
  process.stdout.write(lines.map((line) => `${line}\n`).join(""));
}

/**
 * Runs `todo` with at most `jobs` at a time, reporting each as it ends. Outputs are printed only then, so a
 * line every minute names what is still running: a CI log never stays silent for long.
 */
async function pool(todo, jobs, run) {
  const results = [];
  const queue = [...todo];
  const running = new Map();
  const heartbeat = setInterval(() => {
    const now = Date.now();
    const list = [...running].map(([name, at]) => `${name} (${((now - at) / 60_000).toFixed(1)} min)`);
    process.stdout.write(`… running: ${list.join(", ")}\n`);
  }, 60_000);
  const worker = async () => {
    for (let batch = queue.shift(); batch !== undefined && !stopping; batch = queue.shift()) {
      process.stdout.write(`▶ ${batchName(batch)}\n`);
      running.set(batchName(batch), Date.now());
      const result = await run(batch);
      running.delete(batchName(batch));
      report(result);
      results.push(result);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, worker));
  } finally {
    clearInterval(heartbeat);
  }
  return results;
}

async function main() {
  limits.timeLimitS = seconds("TEST_FILE_TIMEOUT", 1200);
  limits.exitGraceS = seconds("TEST_EXIT_GRACE", 10);
  const { files: named, forwarded } = parseArguments(process.argv.slice(2));
  const files = testFiles(named);
  if (files.length === 0) {
    throw new Error("no test files found");
  }
  const times = readTimes();
  const todo = batches(files).sort((a, b) => expected(b, times) - expected(a, times));
  const jobs =
    Number(process.env["TEST_JOBS"] ?? "") || (os.availableParallelism?.() ?? os.cpus().length) + 1;

  // The wall clock reported at the end includes the packing below.
  const startedAt = Date.now();
  const env = { ...process.env };
  const usesPackedPackage = files.some((file) =>
    /from "[./]*(e2e\/)?packing"/.test(fs.readFileSync(path.join(ROOT, file), "utf8")),
  );
  if (usesPackedPackage && env["TEST_PACKED_TARBALL"] === undefined) {
    env["TEST_PACKED_TARBALL"] = (await packThisCheckout()).tarball;
  }

  process.stdout.write(`run-tests: ${files.length} files, ${todo.length} processes ${jobs} at a time\n`);
  const results = await pool(todo, jobs, (batch) => runBatch(batch, forwarded, env));

  for (const result of results) {
    times[batchName(result.batch)] = result.ms;
  }
  writeTimes(times);

  const total = summarize(results, startedAt, isFiltered(forwarded));
  return total.failed > 0 ? 1 : 0;
}

/**
 * Prints the times table, then each file that failed and why, and the skips CI allowed; then the closing
 * line. Returns the run's counts.
 */
function summarize(results, startedAt, filtered) {
  const total = { passed: 0, failed: 0, skipped: 0 };
  const cpu = results.reduce((sum, result) => sum + (result.cpu ?? 0), 0);
  process.stdout.write(
    `\nrun-tests: times (wall clock ${((Date.now() - startedAt) / 1000).toFixed(1)} s${MEASURE_CPU ? `, ${cpu.toFixed(0)} s CPU` : ""})\n`,
  );
  const failures = [];
  const allowedSkips = [];
  for (const result of [...results].sort((a, b) => b.ms - a.ms)) {
    process.stdout.write(
      `  ${(result.ms / 1000).toFixed(1).padStart(7)} s${result.cpu === undefined ? "" : `  ${result.cpu.toFixed(1).padStart(7)} s CPU`}  ${batchName(result.batch)}\n`,
    );
    total.passed += result.counts.passed;
    total.failed += result.counts.failed;
    total.skipped += result.counts.skipped;
    failures.push(...result.failedTests, ...result.problems.map(({ subject, why }) => `${subject}: ${why}`));
    allowedSkips.push(...result.allowedSkips);
  }
  if (filtered && total.passed + total.failed === 0) {
    total.failed += 1;
    failures.push("the run: ran no test: no test matched --grep or --fgrep");
  }
  if (allowedSkips.length > 0) {
    process.stdout.write(
      `run-tests: skips allowed in CI:\n${allowedSkips.map((line) => `  ${line}\n`).join("")}`,
    );
  }
  if (failures.length > 0) {
    process.stdout.write(`run-tests: failed:\n${failures.map((line) => `  ${line}\n`).join("")}`);
  }
  const skipped = total.skipped > 0 ? `, ${total.skipped} skipped` : "";
  process.stdout.write(`${total.passed} passed, ${total.failed} failed${skipped}\n`);
  return total;
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    stopping = true;
    signalAll(signal);
    process.exitCode = 130;
  });
}
// A run that ends early (an error here) leaves no file running.
process.once("exit", () => signalAll("SIGKILL"));

main().then(
  (code) => {
    process.exitCode = process.exitCode ?? code;
  },
  (error) => {
    process.stderr.write(`run-tests: ${error.stack ?? error}\n`);
    process.stdout.write("0 passed, 1 failed\n");
    process.exitCode = 1;
  },
);
