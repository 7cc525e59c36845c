/** Following a job: poll spacing, progress lines, and how a wait ends, on a virtual clock. */
import { expect } from "chai";
import type { JobSnapshot } from "../../provider/api/types";
import type { Job } from "../../provider/api/types";
import {
  DEFAULT_POLL_OPTIONS,
  jobReached,
  pollDelay,
  progressLine,
  waitForJob,
  type WaitDependencies,
} from "../../provider/jobrerun/wait";

const JOB_ID = "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c";

function snapshot(state: string, extra: Partial<Job> = {}): JobSnapshot {
  const job: Job = { job_id: JOB_ID, state, ...extra };
  return { job, jobJson: JSON.stringify(job) };
}

/** A job whose state is a function of virtual time, and a clock that only moves when the wait sleeps. */
function virtualJob(
  stateAt: (ms: number) => JobSnapshot,
): WaitDependencies & { lines: string[]; reads: number } {
  let now = 0;
  const deps = {
    lines: [] as string[],
    reads: 0,
    getJob: async () => {
      deps.reads += 1;
      return stateAt(now);
    },
    report: (line: string) => deps.lines.push(line),
    sleep: async (ms: number) => {
      now += ms;
    },
    now: () => now,
    random: () => 0.5,
  };
  return deps;
}

describe("waiting for a job", () => {
  it("knows when a job has gone far enough", () => {
    expect(jobReached("pending", "running")).to.equal(false);
    expect(jobReached("running", "running")).to.equal(true);
    expect(jobReached("completed", "running")).to.equal(true);
    expect(jobReached("running", "terminal")).to.equal(false);
    expect(jobReached("pending_cancellation", "terminal")).to.equal(false);
    for (const state of ["completed", "failed", "cancelled"]) {
      expect(jobReached(state, "terminal"), state).to.equal(true);
    }
  });

  it("spaces reads from about 2 s growing to 30 s, with jitter", () => {
    expect(pollDelay(0, DEFAULT_POLL_OPTIONS, () => 0.5)).to.equal(2_000);
    expect(pollDelay(1, DEFAULT_POLL_OPTIONS, () => 0.5)).to.equal(3_000);
    expect(pollDelay(20, DEFAULT_POLL_OPTIONS, () => 0.5)).to.equal(30_000);
    expect(pollDelay(0, DEFAULT_POLL_OPTIONS, () => 0)).to.equal(1_600);
    expect(pollDelay(20, DEFAULT_POLL_OPTIONS, () => 1)).to.equal(36_000);
  });

  it("writes progress a person can read", () => {
    const line = progressLine(snapshot("running", { executor: "job-executor-98e1f48e-bf54-4f11" }), 250_000);
    expect(line).to.equal("job 2a5b9ad7…: running for 4m10s on job-executor-98e1f48e…");
  });

  it("follows a job that runs 10 minutes in at most 30 reads, a progress line at most every 30 s", async () => {
    const deps = virtualJob((ms) =>
      ms < 60_000
        ? snapshot("pending")
        : ms < 600_000
          ? snapshot("running", { executor: "job-executor-1" })
          : snapshot("completed"),
    );
    const result = await waitForJob(snapshot("pending"), "terminal", 30 * 60_000, deps);
    expect(result.end).to.equal("reached");
    expect(result.last.job.state).to.equal("completed");
    expect(deps.reads).to.be.at.most(30);
    expect(deps.lines.at(-1)).to.match(/^job 2a5b9ad7…: completed after 1\d?m/);
    // Between state changes, lines come no closer than 30 s apart: at most one per 30 s of the 10 minutes, plus
    // one per change of state and the closing line.
    expect(deps.lines.length).to.be.at.most(600 / 30 + 3);
    expect(deps.lines.some((line) => /running for \d+m\d+s on job-executor-1/.test(line))).to.equal(true);
  });

  it("stops at the timeout with the job as last seen", async () => {
    const deps = virtualJob(() => snapshot("running"));
    const result = await waitForJob(snapshot("pending"), "terminal", 60_000, deps);
    expect(result.end).to.equal("timed-out");
    expect(result.last.job.state).to.equal("running");
    expect(result.waitedMs).to.equal(60_000);
    expect(deps.lines.at(-1)).to.include("still running after 1m0s; stopped waiting (timeout)");
  });

  it("stops when the deployment is cancelled", async () => {
    const deps = virtualJob(() => snapshot("running"));
    const cancellation = new AbortController();
    const reads = deps.getJob;
    deps.getJob = async (id) => {
      if (deps.reads === 2) {
        cancellation.abort();
      }
      return reads(id);
    };
    const result = await waitForJob(snapshot("pending"), "terminal", 60 * 60_000, deps, cancellation.signal);
    expect(result.end).to.equal("cancelled");
    expect(deps.reads).to.equal(3);
    expect(deps.lines.at(-1)).to.include("deployment was cancelled");
  });

  it("does not read at all when the job is already there", async () => {
    const deps = virtualJob(() => snapshot("running"));
    const result = await waitForJob(snapshot("completed"), "terminal", 60_000, deps);
    expect(result).to.deep.include({ end: "reached", polls: 0 });
  });
});
