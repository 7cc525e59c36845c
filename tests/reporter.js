// Mocha's spec reporter, closed by a plain "N passed, N failed" line that CI tools read as the summary.
//
// With TEST_TALLY_FILE set (scripts/run-tests.js sets it for each mocha process), it also writes there, before
// the summary line, each test file's own counts as JSON: { "<absolute path>": { passed, failed, skipped } }.
// The runner judges files by them, so that a file of a process that runs several files still fails on its
// own when it runs no test. A file that declares no test is absent from it.
const fs = require("node:fs");
const Mocha = require("mocha");

const { EVENT_RUN_END, EVENT_TEST_FAIL, EVENT_TEST_PASS, EVENT_TEST_PENDING } = Mocha.Runner.constants;

/** The test file a test or hook belongs to; a root hook (tests/setup.ts) counts for the test it ran around. */
function fileOf(runnable) {
  return runnable.file ?? runnable.ctx?.currentTest?.file ?? "";
}

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const tally = {};
    const count = (runnable, outcome) => {
      const file = fileOf(runnable);
      tally[file] ??= { passed: 0, failed: 0, skipped: 0 };
      tally[file][outcome] += 1;
    };
    runner.on(EVENT_TEST_PASS, (test) => count(test, "passed"));
    runner.on(EVENT_TEST_FAIL, (test) => count(test, "failed"));
    runner.on(EVENT_TEST_PENDING, (test) => count(test, "skipped"));
    runner.once(EVENT_RUN_END, () => {
      const tallyFile = process.env["TEST_TALLY_FILE"];
      if (tallyFile !== undefined && tallyFile !== "") {
        fs.writeFileSync(tallyFile, `${JSON.stringify(tally)}\n`);
      }
      const { passes, failures, pending } = runner.stats;
      const skipped = pending > 0 ? `, ${pending} skipped` : "";
      process.stdout.write(`${passes} passed, ${failures} failed${skipped}\n`);
    });
  }
}

module.exports = SpecWithSummary;
