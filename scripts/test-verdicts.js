// The rules scripts/run-tests.js judges each test process and each test file by, beyond their failed tests
// (the top of run-tests.js lists them). Each file or process that breaks one counts as one failure more, and
// is named with the reason.
const fs = require("node:fs");
const path = require("node:path");
const { SUMMARY, lastLine } = require("./test-process");

const ROOT = path.resolve(__dirname, "..");
/** A file's reason for skipping tests in CI: `@allowSkipInCI <reason>` in a comment, to the end of the line. */
const ALLOW_SKIP_IN_CI = /@allowSkipInCI\b[\t :]*(.*)$/m;
const CI = process.env["CI"] ?? "";
const IN_CI = CI !== "" && CI !== "false" && CI !== "0";
const ZERO = { passed: 0, failed: 0, skipped: 0 };

function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** --grep and --fgrep leave most files with no test to run: the rule then holds for the run as a whole. */
function isFiltered(forwarded) {
  return forwarded.some((arg) => /^(-g|-f|--grep|--fgrep)(=|$)/.test(arg));
}

/** The reason a file's `@allowSkipInCI` tag gives, or undefined (no tag, or one with no reason). */
function allowedSkipReason(file) {
  const source = file === undefined ? "" : fs.readFileSync(path.join(ROOT, file), "utf8");
  const reason = ALLOW_SKIP_IN_CI.exec(source)?.[1]
    ?.replace(/\*\/.*$/, "")
    .trim();
  return reason === "" ? undefined : reason;
}

/** Why one file fails beyond its failed tests (a list), and a skip in CI that its tag allows. */
function fileRules(file, counts, filtered) {
  const problems = [];
  if (!filtered && counts.passed + counts.failed === 0) {
    problems.push(
      counts.skipped > 0
        ? `ran no test: all ${plural(counts.skipped, "test")} skipped`
        : "ran no test: it declares none (or none that this shard runs)",
    );
  }
  let allowedSkip;
  // Skips in a file that failed are taken to follow from its failures (skipTheRestAfterAFailure).
  if (IN_CI && counts.skipped > 0 && counts.failed === 0) {
    const reason = allowedSkipReason(file);
    if (reason === undefined) {
      problems.push(
        `skipped ${plural(counts.skipped, "test")} under CI=${CI} with no reason that allows it: make it ` +
          "run (a skip in CI most often hides a missing tool), or declare `@allowSkipInCI <reason>` in the file",
      );
    } else {
      allowedSkip = `${plural(counts.skipped, "test")} skipped under CI=${CI}, allowed: ${reason}`;
    }
  }
  return { problems, allowedSkip };
}

/** Why the process itself failed beyond its failed tests, or undefined. */
function processProblem(run, summary, counts) {
  const problems = [];
  if (run.startError !== undefined) {
    problems.push(`mocha failed to start: ${run.startError}`);
  } else if (run.stopped !== undefined) {
    problems.push(`${run.stopped}; its process group was stopped`);
  } else if (summary === null) {
    problems.push(`mocha ${run.signal === null ? `exited with ${run.code}` : `was ended by ${run.signal}`}`);
  } else if (run.code !== 0 && counts.failed === 0) {
    problems.push(`mocha exited with ${run.code ?? run.signal} though it reported no failure`);
  }
  if (summary === null) {
    problems.push("it printed no summary line");
  }
  return problems.length > 0 ? problems.join("; ") : undefined;
}

/**
 * What to judge a process's files by: each file's own counts (the tally of tests/reporter.js), or without
 * them (another reporter) the process's, as for one file.
 */
function judgedFiles(batch, tally, counts) {
  if (tally === undefined) {
    return [{ subject: batch.name, file: batch.files.length === 1 ? batch.files[0] : undefined, counts }];
  }
  return batch.files.map((file) => ({
    subject: batch.files.length > 1 ? file : batch.name,
    file,
    counts: tally[path.resolve(ROOT, file)] ?? ZERO,
  }));
}

/**
 * Judges one finished process (`batch`: { name, files }; `run`: what test-process.js's runProcess resolved
 * with; `tally`: the reporter's counts by file, or undefined): its counts from its summary line plus one
 * failure for the process and for each of its files that broke a rule; `problems` ({ subject, why }) say
 * which and why, `failedTests` which files had failed tests, `allowedSkips` the skips CI allowed.
 */
function judge(batch, run, tally, filtered) {
  const summary = SUMMARY.exec(lastLine(run.stdout));
  const counts = {
    passed: summary === null ? 0 : Number(summary[1]),
    failed: summary === null ? 0 : Number(summary[2]),
    skipped: summary === null ? 0 : Number(summary[3] ?? 0),
  };
  const verdict = { counts, problems: [], failedTests: [], allowedSkips: [], notes: run.notes };
  const broken = processProblem(run, summary, counts);
  if (broken !== undefined) {
    verdict.problems.push({ subject: batch.name, why: broken });
  }
  // A process that did not finish has no counts to judge its files by: it failed already.
  for (const judged of summary === null ? [] : judgedFiles(batch, tally, counts)) {
    if (judged.counts.failed > 0) {
      verdict.failedTests.push(`${judged.subject}: ${plural(judged.counts.failed, "test")} failed`);
    }
    const rules = fileRules(judged.file, judged.counts, filtered);
    if (rules.problems.length > 0) {
      verdict.problems.push({ subject: judged.subject, why: rules.problems.join("; ") });
    }
    if (rules.allowedSkip !== undefined) {
      verdict.allowedSkips.push(`${judged.subject}: ${rules.allowedSkip}`);
    }
  }
  counts.failed += verdict.problems.length;
  return verdict;
}

module.exports = { isFiltered, judge };
