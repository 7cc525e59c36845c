/**
 * Waiting for a rerun through the real Pulumi CLI: `waitFor: "terminal"` with its progress lines, a failed
 * run that fails the deployment and is rerun by the next `pulumi up`, a wait that times out and is followed
 * (not rescheduled again) by the next one, and a deployment interrupted with SIGINT while it waits.
 *
 * One stack, walked in order. The simulator's clock is frozen and the test moves it as the provider's requests
 * arrive, so a job is exactly as far along as each case needs, whatever the machine's speed. The provider's
 * waits themselves take real time (its first poll comes after about 2 s).
 */
import { expect } from "chai";
import { startSimulator, type RecordedRequest, type Simulator } from "../../provider/simulator";
import {
  distinctiveToken,
  PulumiWorkspace,
  type CliResult,
  type RunOptions,
  type StateResource,
} from "../../scripts/pulumi-harness";
import { jobRerunProgram } from "../support/e2e-programs";
import { pollUntil, storedFigures, skipTheRestAfterAFailure } from "../support/e2e";
import { describeRequests, expectSucceeded, FIRST_TRIGGERS, SEED_JOB_ID } from "../support/e2e-steps";

const RESOURCE_NAME = "audience-view";
/** Long enough that a job never moves unless a case advances the clock by these amounts. */
const PENDING_MS = 60_000;
const RUNNING_MS = 3_600_000;
const RETRY_AFTER_S = 3;
const FAILURE_MESSAGE = "Executor lost connection to the warehouse";
const SHORT_ID = `${SEED_JOB_ID.slice(0, 8)}…`;

/** Triggers of each step, all different, so that every case is a new change of the triggers. */
const triggers = (release: string): Record<string, string> => ({ release, sql: "sha256:1f0c2d" });

interface UpRun {
  result: CliResult;
  requests: RecordedRequest[];
  writes: RecordedRequest[];
  elapsedMs: number;
}

describe("e2e: waiting for a rerun through the Pulumi CLI", function () {
  // A case runs two `pulumi up`s, each following a job in real time, and beside other test files on a busy
  // machine one up alone can take most of a minute (CONTRIBUTING.md, How the suites run). The same ceiling as
  // the lifecycle file's: a hung engine still fails the case, and the waits' own limits are asserted below.
  this.timeout(120_000);

  const token = distinctiveToken("wait");
  let sim: Simulator;
  let workspace: PulumiWorkspace;

  before(async function () {
    this.timeout(600_000);
    sim = await startSimulator({
      frozen: true,
      token,
      durations: { pendingMs: PENDING_MS, runningMs: RUNNING_MS },
    });
    workspace = await PulumiWorkspace.create({
      project: "narrative-e2e-wait",
      program: jobRerunProgram({ wait: true, resourceName: RESOURCE_NAME }),
    });
    await workspace.configureNarrative(sim.url, token);
    await workspace.setConfig("jobId", SEED_JOB_ID);
    await workspace.setConfig("triggers", JSON.stringify(FIRST_TRIGGERS));
    await workspace.setConfig("waitFor", "terminal");
    const created = await up();
    expectSucceeded(created.result);
    expect(created.writes, describeRequests(created.requests)).to.have.length(0);
  });

  after(async function () {
    this.timeout(60_000);
    await workspace?.dispose();
    await sim?.close();
  });

  skipTheRestAfterAFailure();

  /**
   * Runs `pulumi up` and, while it runs, `drive(since)`, which moves the simulator's clock as the provider's
   * requests (from index `since` of the log) arrive. Never rejects on the CLI's exit code.
   */
  async function up(drive?: (since: number) => Promise<void>, options: RunOptions = {}): Promise<UpRun> {
    const since = sim.requests.length;
    const startedAt = Date.now();
    const running = workspace.pulumi(["up", "--yes", "--skip-preview"], { ...options, allowFailure: true });
    if (drive !== undefined) {
      try {
        await drive(since);
      } catch (error) {
        workspace.interrupt();
        await running.catch(() => undefined);
        throw error;
      }
    }
    const result = await running;
    const elapsedMs = Date.now() - startedAt;
    const requests = sim.requests.slice(since);
    return { result, requests, writes: requests.filter((request) => request.method !== "GET"), elapsedMs };
  }

  /** The first request from index `since` on (in the order answered) that `matches`. */
  function nextRequest(
    since: number,
    what: string,
    matches: (request: RecordedRequest) => boolean,
  ): Promise<{ request: RecordedRequest; index: number }> {
    return pollUntil(
      () => {
        const requests = sim.requests;
        const index = requests.findIndex((request, at) => at >= since && matches(request));
        const request = requests[index];
        return request === undefined ? undefined : { request, index };
      },
      { what, timeoutMs: 30_000 },
    );
  }

  const isReschedule = (request: RecordedRequest): boolean =>
    request.method === "POST" && request.path === `/jobs/${SEED_JOB_ID}/reschedule`;
  const isPoll = (request: RecordedRequest): boolean =>
    request.method === "GET" && request.path === `/jobs/${SEED_JOB_ID}`;

  /** Once the reschedule is applied: the job starts running, then ends once the provider has seen it run. */
  async function runJobToTheEnd(since: number): Promise<void> {
    const post = await nextRequest(since, "the reschedule POST", isReschedule);
    sim.advance(PENDING_MS);
    await nextRequest(post.index + 1, "a poll of the running job", isPoll);
    sim.advance(RUNNING_MS);
  }

  async function storedRerun(): Promise<StateResource> {
    const [rerun] = await workspace.jobReruns();
    expect(rerun, "the JobRerun in the stack").not.to.equal(undefined);
    return rerun as StateResource;
  }

  it('1. waitFor "terminal": up waits, prints progress and an end line, ends completed; one POST', async () => {
    await workspace.setConfig("triggers", JSON.stringify(triggers("2024.07.1")));
    const appliedBefore = sim.appliedReschedules(SEED_JOB_ID);

    const run = await up(runJobToTheEnd);
    console.log(`      up waiting for the job: ${run.elapsedMs} ms`);

    expectSucceeded(run.result);
    const output = run.result.output;
    expect(output).to.match(new RegExp(`JobRerun ${RESOURCE_NAME} updated`));
    expect(output).to.match(/~ 1 updated/);
    expect(output).to.match(new RegExp(`job ${SHORT_ID}: running for \\d+m?s on job-executor-[0-9a-f]{8}…`));
    expect(output).to.match(new RegExp(`job ${SHORT_ID}: completed after \\d+s`));
    expect(run.writes, describeRequests(run.requests)).to.have.length(1);
    expect(run.writes[0]).to.include({ status: 200, outcome: "rescheduled" });
    expect(sim.appliedReschedules(SEED_JOB_ID)).to.equal(appliedBefore + 1);
    // Polls, not only the POST: the provider read the job until it ended.
    expect(run.requests.filter(isPoll).length).to.be.at.least(2);

    const outputs = await workspace.outputs();
    expect(outputs).to.include({ state: "completed", outcome: "rescheduled", unfinishedRun: "none" });
    expect(outputs["job"]).to.deep.include({ job_id: SEED_JOB_ID, state: "completed" });
  });

  it("2. a failed run fails up with the job id, state and message; the next up reschedules it again", async () => {
    const failedTriggers = triggers("2024.07.2");
    await workspace.setConfig("triggers", JSON.stringify(failedTriggers));
    sim.setJobOutcome(SEED_JOB_ID, { state: "failed", message: FAILURE_MESSAGE });
    const appliedBefore = sim.appliedReschedules(SEED_JOB_ID);

    const failing = await up(runJobToTheEnd);
    console.log(`      up of a failing run: ${failing.elapsedMs} ms`);

    expect(failing.result.code, failing.result.output).not.to.equal(0);
    const output = failing.result.output;
    expect(output).to.include(`job ${SEED_JOB_ID} ended failed: ${FAILURE_MESSAGE}`);
    expect(output).to.match(/next `pulumi up` reschedules it again/);
    expect(failing.writes, describeRequests(failing.requests)).to.have.length(1);
    expect(sim.appliedReschedules(SEED_JOB_ID)).to.equal(appliedBefore + 1);
    const failed = await storedRerun();
    expect(storedFigures(failed)).to.deep.include({
      triggers: failedTriggers,
      unfinishedRun: "rerun",
      state: "failed",
    });

    sim.setJobOutcome(SEED_JOB_ID, { state: "completed" });
    // Nothing changed in the program: the recorded failure alone makes this up rerun the job.
    const rerun = await up(runJobToTheEnd);

    expectSucceeded(rerun.result);
    expect(rerun.writes, describeRequests(rerun.requests)).to.have.length(1);
    expect(rerun.writes[0]).to.include({ method: "POST", status: 200, outcome: "rescheduled" });
    expect(sim.appliedReschedules(SEED_JOB_ID)).to.equal(appliedBefore + 2);
    expect(await workspace.outputs()).to.include({ state: "completed", unfinishedRun: "none" });
    const recovered = await storedRerun();
    expect(storedFigures(recovered)).to.deep.include({ triggers: failedTriggers, state: "completed" });
    expect(storedFigures(recovered)).not.to.have.property("unfinishedRun");
  });

  it("3. a wait that times out fails up, and the next up follows the same run without a POST", async () => {
    const timedOutTriggers = triggers("2024.07.3");
    await workspace.setConfig("timeout", "2");
    await workspace.setConfig("triggers", JSON.stringify(timedOutTriggers));
    const appliedBefore = sim.appliedReschedules(SEED_JOB_ID);

    const timedOut = await up(async (since) => {
      await nextRequest(since, "the reschedule POST", isReschedule);
      sim.advance(PENDING_MS);
    });
    console.log(`      up timing out after 2 s: ${timedOut.elapsedMs} ms`);

    expect(timedOut.result.code, timedOut.result.output).not.to.equal(0);
    const output = timedOut.result.output;
    expect(output).to.include(`job ${SEED_JOB_ID} is still running: the wait timed out after 2s`);
    expect(output).to.match(/The job goes on running on Narrative; the next `pulumi up` follows this run/);
    expect(timedOut.writes, describeRequests(timedOut.requests)).to.have.length(1);
    expect(sim.appliedReschedules(SEED_JOB_ID)).to.equal(appliedBefore + 1);
    const following = await storedRerun();
    expect(storedFigures(following)).to.deep.include({ triggers: timedOutTriggers, unfinishedRun: "follow" });

    sim.advance(RUNNING_MS);
    const followed = await up();

    expectSucceeded(followed.result);
    expect(followed.writes, `no new reschedule:\n${describeRequests(followed.requests)}`).to.have.length(0);
    expect(followed.requests.filter(isPoll).length).to.be.at.least(1);
    expect(sim.appliedReschedules(SEED_JOB_ID)).to.equal(appliedBefore + 1);
    expect(await workspace.outputs()).to.include({ state: "completed", unfinishedRun: "none" });
    expect(storedFigures(await storedRerun())).not.to.have.property("unfinishedRun");

    // Following a run does not stop the next change of the triggers from rerunning the job.
    await workspace.removeConfig("timeout");
    await workspace.setConfig("triggers", JSON.stringify(triggers("2024.07.4")));
    const changed = await up(runJobToTheEnd);

    expectSucceeded(changed.result);
    expect(changed.writes, describeRequests(changed.requests)).to.have.length(1);
    expect(changed.writes[0]).to.include({ method: "POST", status: 200, outcome: "rescheduled" });
    expect(sim.appliedReschedules(SEED_JOB_ID)).to.equal(appliedBefore + 2);
    expect(await workspace.outputs()).to.include({ state: "completed", unfinishedRun: "none" });
  });

  it("4. SIGINT to the CLI while it waits: the wait ends at once, the state records the run to follow", async () => {
    const interruptedTriggers = triggers("2024.07.5");
    await workspace.setConfig("triggers", JSON.stringify(interruptedTriggers));
    const appliedBefore = sim.appliedReschedules(SEED_JOB_ID);

    let interruptedAt = 0;
    const interrupted = await up(
      async (since) => {
        const post = await nextRequest(since, "the reschedule POST", isReschedule);
        sim.advance(PENDING_MS);
        // The provider is waiting once it has read the job after the reschedule.
        await nextRequest(post.index + 1, "a poll of the running job", isPoll);
        interruptedAt = Date.now();
        workspace.interrupt();
      },
      { ownProcessGroup: true },
    );
    const exitMs = Date.now() - interruptedAt;
    console.log(`      CLI exited ${exitMs} ms after SIGINT, code ${interrupted.result.code}`);

    const output = interrupted.result.output;
    expect(interrupted.result.code, output).not.to.equal(0);
    expect(output).to.match(/cancel/i);
    expect(output).to.include(
      `job ${SHORT_ID}: still running; stopped waiting because the deployment was cancelled, the job goes on`,
    );
    expect(output).to.include(`job ${SEED_JOB_ID} is still running: the deployment was cancelled`);
    // Far below the next poll's backoff and the 30-minute default timeout: the Cancel call ended the wait.
    expect(exitMs).to.be.below(10_000);
    expect(interrupted.writes, describeRequests(interrupted.requests)).to.have.length(1);
    expect(sim.appliedReschedules(SEED_JOB_ID)).to.equal(appliedBefore + 1);
    const following = await storedRerun();
    expect(storedFigures(following)).to.deep.include({
      triggers: interruptedTriggers,
      unfinishedRun: "follow",
      state: "running",
    });

    sim.advance(RUNNING_MS);
    const followed = await up();

    expectSucceeded(followed.result);
    expect(followed.writes, `no new reschedule:\n${describeRequests(followed.requests)}`).to.have.length(0);
    expect(sim.appliedReschedules(SEED_JOB_ID)).to.equal(appliedBefore + 1);
    expect(await workspace.outputs()).to.include({ state: "completed", unfinishedRun: "none" });
  });

  // A Ctrl+C can come before any wait has begun, here while the provider sleeps before retrying a refused
  // reschedule. The provider must see the cancellation from its first call: otherwise it would retry and then wait
  // for the job until the timeout (30 minutes by default) while the person at the terminal waits for it to stop.
  it("5. SIGINT while the reschedule is being retried: up ends promptly and the job runs once over two ups", async () => {
    const interruptedTriggers = triggers("2024.07.6");
    await workspace.setConfig("triggers", JSON.stringify(interruptedTriggers));
    // Bounds this case if the cancellation is missed: the wait then ends here instead of after 30 minutes.
    await workspace.setConfig("timeout", "20");
    sim.fault(`POST /jobs/${SEED_JOB_ID}/reschedule`, { status: 429, retryAfter: String(RETRY_AFTER_S) });
    const appliedBefore = sim.appliedReschedules(SEED_JOB_ID);

    let interruptedAt = 0;
    const interrupted = await up(
      async (since) => {
        // The first POST was refused: the provider is sleeping before its retry and has not started a wait.
        await nextRequest(since, "the refused reschedule POST", isReschedule);
        interruptedAt = Date.now();
        workspace.interrupt();
      },
      { ownProcessGroup: true },
    );
    const exitMs = Date.now() - interruptedAt;
    console.log(`      CLI exited ${exitMs} ms after SIGINT, code ${interrupted.result.code}`);

    expect(interrupted.result.code, interrupted.result.output).not.to.equal(0);
    // The retry may still go out, but nothing may wait for the job once the deployment is cancelled.
    expect(exitMs, interrupted.result.output).to.be.below(RETRY_AFTER_S * 1_000 + 5_000);
    const applied = sim.appliedReschedules(SEED_JOB_ID) - appliedBefore;
    expect(applied).to.be.at.most(1);
    const stored = await storedRerun();
    if (applied === 1) {
      expect(storedFigures(stored)).to.deep.include({
        triggers: interruptedTriggers,
        unfinishedRun: "follow",
      });
    } else {
      expect(stored.outputs?.["triggers"]).to.not.deep.equal(interruptedTriggers);
    }

    await workspace.removeConfig("timeout");
    const resumed = await up(async (since) => {
      if (applied === 0) {
        await nextRequest(since, "the reschedule POST", isReschedule);
      }
      sim.advance(PENDING_MS + RUNNING_MS);
    });

    expectSucceeded(resumed.result);
    expect(sim.appliedReschedules(SEED_JOB_ID), "one reschedule over both ups").to.equal(appliedBefore + 1);
    expect(await workspace.outputs()).to.include({ state: "completed", unfinishedRun: "none" });
    expect((await storedRerun()).outputs).to.deep.include({ triggers: interruptedTriggers });
  });

  it("the token appears in no command line or output of any CLI run", () => {
    expect(workspace.transcript.length).to.be.above(0);
    for (const command of workspace.transcript) {
      expect(`${command.command}\n${command.output}`, command.command).not.to.include(token);
    }
  });
});
