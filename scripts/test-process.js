// One test process under watch, for scripts/run-tests.js: it runs in a process group of its own, and is
// stopped, group and all, when it outlives its time limit or is still running a grace period after its summary
// line (mocha exits as soon as nothing it started is left open, so a file still alive then holds a server, a
// socket, a timer or a child process it never closed).
//
// Why a group of its own: a stop then reaches what the file started (the Pulumi CLI, its plugins and language
// hosts) and, with TEST_MEASURE_CPU=1, the mocha process under GNU time, which ignores SIGINT while it waits.
// The runner forwards its own SIGINT and SIGTERM to every group; a runner killed with SIGKILL cannot.
const { spawn } = require("node:child_process");
const { setTimeout, clearTimeout } = require("node:timers");

/** The line tests/reporter.js closes a run with. */
const SUMMARY = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/;
/** From SIGTERM to SIGKILL, and from an exit to giving up on output that something else still holds. */
const KILL_WAIT_MS = 3_000;

const running = new Set();

function lastLine(text) {
  const lines = text.trimEnd().split("\n");
  return lines[lines.length - 1] ?? "";
}

/** Signals a process's whole group; true when the group had a process left to signal. */
function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Signals every running process's group (the runner's Ctrl+C, or its exit). */
function signalAll(signal) {
  for (const child of running) {
    signalGroup(child, signal);
  }
}

/**
 * Runs `command` and resolves once it has ended: { code, signal, stdout, output, stopped, startError, notes },
 * where `stopped` says why it was stopped, if it was, and `notes` what else was seen. Resolves even when a process
 * outside its group still holds its output open. `limits`: { timeLimitS, exitGraceS }.
 */
function runProcess(command, args, options, limits) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"], detached: true });
    running.add(child);
    const run = { code: null, signal: null, stdout: "", output: "", stopped: undefined, notes: [] };
    const timers = [];
    const after = (ms, action) => timers.push(setTimeout(action, ms));
    let exited = false;
    let ended = false;
    const end = () => {
      if (!ended) {
        ended = true;
        timers.forEach(clearTimeout);
        running.delete(child);
        child.stdout.destroy();
        child.stderr.destroy();
        resolve(run);
      }
    };
    const stop = (why) => {
      if (!exited && run.stopped === undefined) {
        run.stopped = why;
        signalGroup(child, "SIGTERM");
        after(KILL_WAIT_MS, () => signalGroup(child, "SIGKILL"));
      }
    };
    after(limits.timeLimitS * 1000, () =>
      stop(`ran longer than its time limit of ${limits.timeLimitS} s (TEST_FILE_TIMEOUT)`),
    );
    child.stdout.on("data", (chunk) => {
      const summarized = SUMMARY.test(lastLine(run.stdout));
      run.stdout += chunk;
      run.output += chunk;
      if (!summarized && SUMMARY.test(lastLine(run.stdout))) {
        after(limits.exitGraceS * 1000, () =>
          stop(
            `was still running ${limits.exitGraceS} s after its summary line (TEST_EXIT_GRACE): something it ` +
              "started (a server, a socket, a timer, a child process) keeps it alive",
          ),
        );
      }
    });
    child.stderr.on("data", (chunk) => {
      run.output += chunk;
    });
    child.on("error", (error) => {
      run.startError = error.message;
      end();
    });
    child.on("exit", (code, signal) => {
      exited = true;
      Object.assign(run, { code, signal });
      // What it started and left behind would go on running beside the next files.
      if (signalGroup(child, "SIGKILL")) {
        run.notes.push("processes it started were still running when it exited, and were killed");
      }
      after(KILL_WAIT_MS, () => {
        run.notes.push("its output stayed open after it exited: a process outside its group holds it");
        end();
      });
    });
    child.on("close", end);
  });
}

module.exports = { SUMMARY, lastLine, runProcess, signalAll };
