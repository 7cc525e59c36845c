/**
 * A deployment whose `pulumi` process is killed with SIGKILL (a CI runner at its time limit, an out-of-memory
 * kill, `kill -9`), then the next deployment, through the real Pulumi CLI. Only the CLI process is killed, not
 * its process group: that is what a killed runner's main process looks like, and it leaves the CLI's plugins
 * (the language host, the program, the dynamic provider) to notice on their own.
 *
 * Each case has a stack and a job of its own, all created up front, so every case starts from a state whose
 * job is finished. The CLI is killed:
 * 1. before the reschedule is sent, while the API holds the GET that precedes it;
 * 2. while the reschedule is in flight, after the API applied it;
 * 3. after the answer reached the provider, before the engine wrote the state;
 * 4. during a wait for the job (`waitFor: "terminal"`) while the job runs (4a and 4b: without and with a
 *    `pulumi refresh` before the next up).
 * After each kill: within ORPHAN_LIMIT_MS no process of the deployment remains; the stack is locked and
 * `pulumi cancel` unlocks it; the next `pulumi up` leaves the job rescheduled exactly once, a running job
 * running, and records what happened. Cases 6 and 7: two stacks reschedule one job at the same time.
 *
 * The simulator's clock is frozen and moved by the test, so a job is exactly as far along as each case needs.
 *
 * It runs beside other test files (scripts/run-tests.js, 3 at a time on 2 cores). What it times is set by the
 * plugins' checks every 2 s, not by the CPU, so ORPHAN_LIMIT_MS (6 s) leaves room for a busy machine; each
 * kill prints its time (the "after SIGKILL" lines), and the measured times are in CONTRIBUTING.md (How the
 * suites run). The requests it holds are held for fixed times measured from their arrival.
 * On a machine already busy with other work, run it alone: `npm run test:e2e -- tests/e2e/sigkill.test.ts`.
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
import { JOB_RERUN_TYPE } from "../../provider/hosts/dynamic/provider-text";
import { jobRerunProgram } from "../support/e2e-programs";
import { expectSucceeded, SEED_JOB_ID } from "../support/e2e-steps";
import {
  pollUntil,
  processesIn,
  RequestArrivals,
  skipTheRestAfterAFailure,
  storedFigures,
  waitUntilNoProcessesIn,
  type Arrival,
  type EndedProcess,
  type ProcessInfo,
} from "../support/e2e";

/** Long enough that a job never moves unless a case advances the clock. */
const PENDING_MS = 60_000;
const RUNNING_MS = 3_600_000;
/**
 * How long the processes a killed CLI leaves behind may take to end: the provider and the language host
 * notice that the engine is gone at their next check, every 2 s.
 */
const ORPHAN_LIMIT_MS = 6_000;
/** Case 1: how long the API holds the GET before the reschedule; longer than an orphan may live. */
const HELD_GET_MS = ORPHAN_LIMIT_MS + 2_000;
/** Case 2: how long the API takes to answer a reschedule it has applied; longer than an orphan may live. */
const SLOW_ANSWER_MS = ORPHAN_LIMIT_MS + 2_000;
/** Cases 6 and 7: both stacks' GETs before the reschedule are answered this long after the first arrived. */
const CONCURRENT_GET_HOLD_MS = 6_000;
/** Case 6: how long the API takes to apply the first reschedule, and to refuse the second with a 503. */
const FIRST_POST_LATENCY_MS = 1_500;
const REFUSED_POST_LATENCY_MS = 3_500;
/** Case 7: how long the API holds the first reschedule before applying it. */
const HELD_POST_MS = 4_000;

const LOCKED = /the stack is currently locked by 1 lock\(s\)[\s\S]*delete the lock file with `pulumi cancel`/;
const CANCELED = /The currently running update for '[^']+' has been canceled!/;
const RUN_SINCE_WARNING =
  /a run started since that this stack did not record, such as one from a deployment that was killed/;

/** One job per case, copies of the seeded completed job. */
const JOB_IDS = {
  beforePost: "5a1c0e11-0001-4c1a-8d1e-000000000001",
  postInFlight: "5a1c0e11-0002-4c1a-8d1e-000000000002",
  answerUnrecorded: "5a1c0e11-0003-4c1a-8d1e-000000000003",
  waitPlain: "5a1c0e11-004a-4c1a-8d1e-00000000004a",
  waitRefresh: "5a1c0e11-004b-4c1a-8d1e-00000000004b",
  concurrent: "5a1c0e11-0006-4c1a-8d1e-000000000006",
} as const;

/** The triggers of the stacks' first deployment, then of each change. */
const triggers = (change: number): Record<string, string> => ({ release: `2024.08.${change}` });
const FIRST_TRIGGERS = triggers(1);

interface CaseStack {
  name: string;
  jobId: string;
  waitFor?: "terminal";
}

interface KilledUp {
  result: CliResult;
  /** How long after the SIGKILL the last process of the deployment ended. */
  orphansGoneMs: number;
  remaining: ProcessInfo[];
}

/** A process of a deployment, by what it is. */
function processKind(process: ProcessInfo): string {
  if (process.command === "") {
    // A process that has begun to exit has no command line any more.
    return "an exiting process";
  }
  if (process.command.includes("pulumi-language-nodejs")) {
    return "language host";
  }
  if (process.command.includes("cmd/run")) {
    return "program";
  }
  if (process.command.includes("cmd/dynamic-provider")) {
    return "provider";
  }
  if (process.command.includes("pulumi-resource-pulumi-nodejs")) {
    return "provider launcher (sh)";
  }
  return process.command.split(" ")[0] ?? "?";
}

describe("e2e: SIGKILL of the Pulumi CLI, then the next deployment", function () {
  this.timeout(90_000);

  const token = distinctiveToken("sigkill");
  let sim: Simulator;
  let arrivals: RequestArrivals;
  let workspace: PulumiWorkspace;
  const timings: string[] = [];
  /** The fault table's rows: what each case did, as measured. */
  const table: { point: string; next: string; posts: number; applied: number }[] = [];

  const stacks = {
    beforePost: { name: "before-post", jobId: JOB_IDS.beforePost },
    postInFlight: { name: "post-in-flight", jobId: JOB_IDS.postInFlight },
    answerUnrecorded: { name: "answer-unrecorded", jobId: JOB_IDS.answerUnrecorded },
    waitPlain: { name: "wait", jobId: JOB_IDS.waitPlain, waitFor: "terminal" },
    waitRefresh: { name: "wait-refresh", jobId: JOB_IDS.waitRefresh, waitFor: "terminal" },
    concurrentA: { name: "concurrent-a", jobId: JOB_IDS.concurrent },
    concurrentB: { name: "concurrent-b", jobId: JOB_IDS.concurrent },
  } satisfies Record<string, CaseStack>;

  before(async function () {
    this.timeout(600_000);
    sim = await startSimulator({
      frozen: true,
      token,
      durations: { pendingMs: PENDING_MS, runningMs: RUNNING_MS },
    });
    const seedJob = sim.job(SEED_JOB_ID);
    if (seedJob === undefined) {
      throw new Error(`the simulator has no job ${SEED_JOB_ID}`);
    }
    for (const jobId of Object.values(JOB_IDS)) {
      sim.addJob({ ...seedJob, job_id: jobId });
    }
    arrivals = new RequestArrivals(sim.url);
    workspace = await PulumiWorkspace.create({
      project: "narrative-e2e-sigkill",
      program: jobRerunProgram({ wait: true }),
    });
    // The workspace's own stack holds the API settings that every case's stack copies.
    await workspace.configureNarrative(sim.url, token);
    const startedAt = Date.now();
    // A few at a time: the creates are independent, and the machine may be shared.
    const all: CaseStack[] = Object.values(stacks);
    for (let index = 0; index < all.length; index += 3) {
      await Promise.all(all.slice(index, index + 3).map((stack) => createStack(stack)));
    }
    timings.push(`${all.length} stacks created in ${Date.now() - startedAt} ms`);
  });

  after(async function () {
    this.timeout(60_000);
    arrivals?.close();
    await workspace?.dispose();
    await sim?.close();
    for (const line of timings) {
      console.log(`      ${line}`);
    }
    if (table.length > 0) {
      console.log("\n| SIGKILL of the CLI | next deployment | POSTs | applied reschedules |");
      console.log("| --- | --- | --- | --- |");
      for (const row of table) {
        console.log(`| ${row.point} | ${row.next} | ${row.posts} | ${row.applied} |`);
      }
    }
  });

  skipTheRestAfterAFailure();

  /** `pulumi <command> --stack <name> <rest>`: every command names its stack, since several run at once. */
  function pulumi(
    stack: CaseStack,
    command: readonly string[],
    rest: readonly string[] = [],
    options: RunOptions = {},
  ): Promise<CliResult> {
    return workspace.pulumi([...command, "--stack", stack.name, ...rest], options);
  }

  async function createStack(stack: CaseStack): Promise<void> {
    await workspace.pulumi(["stack", "init", stack.name, "--copy-config-from", workspace.stack]);
    const settings = [`jobId=${stack.jobId}`, `triggers=${JSON.stringify(FIRST_TRIGGERS)}`];
    if (stack.waitFor !== undefined) {
      settings.push(`waitFor=${stack.waitFor}`);
    }
    await pulumi(
      stack,
      ["config", "set-all"],
      settings.flatMap((setting) => ["--plaintext", setting]),
    );
    expectSucceeded(await up(stack));
  }

  /** `pulumi up`, resolving whatever its exit code. */
  function up(stack: CaseStack): Promise<CliResult> {
    return pulumi(stack, ["up"], ["--yes", "--skip-preview"], { allowFailure: true });
  }

  async function setNewTriggers(stack: CaseStack, change = 2): Promise<void> {
    await pulumi(stack, ["config", "set"], ["triggers", "--", JSON.stringify(triggers(change))]);
  }

  async function outputsOf(stack: CaseStack): Promise<Record<string, unknown>> {
    const result = await pulumi(stack, ["stack", "output"], ["--json"]);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  async function exported(stack: CaseStack): Promise<{ rerun: StateResource; pendingOperations: unknown[] }> {
    const result = await pulumi(stack, ["stack", "export"]);
    const { deployment } = JSON.parse(result.stdout) as {
      deployment: { resources?: StateResource[]; pending_operations?: unknown[] };
    };
    const rerun = (deployment.resources ?? []).find((resource) => resource.type === JOB_RERUN_TYPE);
    expect(rerun, "the JobRerun in the stack").not.to.equal(undefined);
    return { rerun: rerun as StateResource, pendingOperations: deployment.pending_operations ?? [] };
  }

  const postPath = (stack: CaseStack): string => `/jobs/${stack.jobId}/reschedule`;
  const getPath = (stack: CaseStack): string => `/jobs/${stack.jobId}`;
  /** Adds the case's row to the fault table, with the POSTs and reschedules its job has seen. */
  function tableRow(point: string, next: string, stack: CaseStack): void {
    table.push({ point, next, posts: posts(stack), applied: sim.appliedReschedules(stack.jobId) });
  }

  /** The reschedule POSTs that reached the API, answered or not. */
  const posts = (stack: CaseStack): number => arrivals.count("POST", postPath(stack));

  /**
   * Runs `pulumi up` and `killAt(kill)`, which calls `kill` at the chosen point: SIGKILL to the CLI process
   * alone. Then waits for every process the deployment started to end, and notes when each did.
   */
  async function killedUp(stack: CaseStack, killAt: (kill: () => void) => Promise<void>): Promise<KilledUp> {
    let killedAt: number | undefined;
    const kill = (): void => {
      killedAt = Date.now();
      workspace.signal("SIGKILL");
    };
    const running = up(stack);
    const endedFirst = running.then((result) => {
      if (killedAt === undefined) {
        throw new Error(`pulumi up ended before the point of the kill:\n${result.output}`);
      }
    });
    await Promise.race([killAt(kill), endedFirst]);
    const result = await running;
    expect(result.signal, result.output).to.equal("SIGKILL");
    const waitFrom = Date.now();
    const { ended, remaining } = await waitUntilNoProcessesIn(workspace.dir, ORPHAN_LIMIT_MS);
    const sinceKill = (process: EndedProcess): number =>
      waitFrom - (killedAt ?? waitFrom) + process.endedAfterMs;
    const orphansGoneMs = Date.now() - (killedAt ?? Date.now());
    const each = ended.map((process) => `${processKind(process)} ${sinceKill(process)} ms`).join(", ");
    timings.push(`${stack.name}: after SIGKILL, the CLI's processes ended: ${each}`);
    return { result, orphansGoneMs, remaining };
  }

  function expectNoOrphans(killed: KilledUp): void {
    expect(
      killed.remaining.map((process) => `${process.pid} (cwd ${process.cwd}): ${process.command}`),
      `processes left ${ORPHAN_LIMIT_MS} ms after the CLI was killed`,
    ).to.deep.equal([]);
    expect(killed.orphansGoneMs).to.be.below(ORPHAN_LIMIT_MS);
  }

  /** What the CLI says after a SIGKILL: the stack is locked, and `pulumi cancel` removes the lock. */
  async function expectLocked(stack: CaseStack): Promise<void> {
    const locked = await up(stack);
    expect(locked.code, locked.output).not.to.equal(0);
    expect(locked.output).to.match(LOCKED);
  }

  async function cancel(stack: CaseStack): Promise<void> {
    const canceled = await pulumi(stack, ["cancel"], ["--yes"]);
    expect(canceled.output).to.match(CANCELED);
  }

  /** The state the killed deployment left: the old triggers, and the update as a pending operation. */
  async function expectUnrecordedUpdate(stack: CaseStack): Promise<void> {
    const { rerun, pendingOperations } = await exported(stack);
    expect(storedFigures(rerun)).to.deep.include({ triggers: FIRST_TRIGGERS, rescheduleCount: 0 });
    expect(pendingOperations, "the interrupted update").to.have.length(1);
  }

  it("1. killed while the GET before the reschedule is held: nothing was sent; the next up reschedules once", async () => {
    const stack = stacks.beforePost;
    await setNewTriggers(stack);
    sim.fault(`GET /jobs/${stack.jobId}`, { latencyMs: HELD_GET_MS });

    const killed = await killedUp(stack, async (kill) => {
      await arrivals.next((arrival) => arrival.method === "GET" && arrival.path === getPath(stack), kill);
    });

    expectNoOrphans(killed);
    // Every process of the deployment ended before the API answered the GET: nothing can send the POST now.
    expect(posts(stack)).to.equal(0);
    expect(sim.appliedReschedules(stack.jobId)).to.equal(0);
    await expectLocked(stack);
    await cancel(stack);
    await expectUnrecordedUpdate(stack);

    const next = await up(stack);

    expectSucceeded(next);
    expect(next.output).to.include("interrupted while updating");
    expect(next.output).not.to.match(RUN_SINCE_WARNING);
    expect(posts(stack)).to.equal(1);
    expect(sim.appliedReschedules(stack.jobId)).to.equal(1);
    expect(await outputsOf(stack)).to.include({
      outcome: "rescheduled",
      rescheduleCount: 1,
      state: "pending",
    });
    tableRow(
      "before the reschedule was sent (during the GET before it)",
      "`pulumi cancel`, `pulumi up`: reschedules (`rescheduled`)",
      stack,
    );
  });

  it("2. killed while the applied reschedule's answer is slow: cancel, refresh, up follows the run, sends nothing", async () => {
    const stack = stacks.postInFlight;
    await setNewTriggers(stack);
    sim.fault(`POST /jobs/${stack.jobId}/reschedule`, { slowAfterApplyMs: SLOW_ANSWER_MS });

    const killed = await killedUp(stack, async (kill) => {
      await pollUntil(() => (sim.appliedReschedules(stack.jobId) === 1 ? true : undefined), {
        what: "the reschedule to be applied",
      });
      kill();
    });

    expectNoOrphans(killed);
    expect(posts(stack)).to.equal(1);
    await cancel(stack);
    await expectUnrecordedUpdate(stack);

    const refresh = await pulumi(stack, ["refresh"], ["--yes", "--skip-preview"]);
    expectSucceeded(refresh);
    expect((await exported(stack)).pendingOperations, "cleared by the refresh").to.have.length(0);
    const next = await up(stack);

    expectSucceeded(next);
    expect(next.output).to.match(RUN_SINCE_WARNING);
    expect(next.output).to.include("outcome run_observed");
    expect(posts(stack), "no second POST").to.equal(1);
    expect(sim.appliedReschedules(stack.jobId)).to.equal(1);
    expect(await outputsOf(stack)).to.include({
      outcome: "run_observed",
      rescheduleCount: 0,
      state: "pending",
    });
    tableRow(
      "the reschedule in flight, applied by the API",
      "`pulumi cancel`, `pulumi refresh`, `pulumi up`: follows the run (`run_observed`)",
      stack,
    );
  });

  it("3. killed after the answer, before the state was written: cancel, up follows the run, sends nothing", async () => {
    const stack = stacks.answerUnrecorded;
    await setNewTriggers(stack);

    // The window: the CLI process, which holds the engine, is stopped (SIGSTOP) the moment the POST reaches
    // the API, before the API has even read it. The API applies it and answers; the provider reads the answer
    // and replies to the engine, whose gRPC connection the kernel keeps buffering, but a stopped engine cannot
    // take that reply, let alone write the state. Once the answer is out (the simulator records a request just
    // before answering it) and the provider has had a moment to reply, the stopped CLI is killed. Its plugins
    // keep going meanwhile: a stopped engine's port still accepts connections and its health checks only wait.
    const killed = await killedUp(stack, async (kill) => {
      await arrivals.next(
        (arrival) => arrival.method === "POST" && arrival.path === postPath(stack),
        () => workspace.signal("SIGSTOP"),
      );
      await pollUntil(
        () => sim.requests.find((request) => request.method === "POST" && request.path === postPath(stack)),
        { what: "the answer to the reschedule" },
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      kill();
    });

    expectNoOrphans(killed);
    expect(posts(stack)).to.equal(1);
    expect(sim.appliedReschedules(stack.jobId)).to.equal(1);
    await expectLocked(stack);
    await cancel(stack);
    await expectUnrecordedUpdate(stack);

    const next = await up(stack);

    expectSucceeded(next);
    expect(next.output).to.match(RUN_SINCE_WARNING);
    expect(posts(stack), "no second POST").to.equal(1);
    expect(sim.appliedReschedules(stack.jobId)).to.equal(1);
    expect(await outputsOf(stack)).to.include({
      outcome: "run_observed",
      rescheduleCount: 0,
      state: "pending",
    });
    tableRow(
      "after the answer, before the state was written",
      "`pulumi cancel`, `pulumi up`: follows the run (`run_observed`)",
      stack,
    );
  });

  /**
   * Case 4: the CLI is killed while the provider waits for the job, which runs; then, after `pulumi cancel`
   * (and `pulumi refresh` with `refresh`), the next up finds it still running and follows it to its end.
   */
  async function killDuringTheWait(stack: CaseStack, route: { refresh: boolean }): Promise<void> {
    await setNewTriggers(stack);

    let executor: unknown;
    const killed = await killedUp(stack, async (kill) => {
      const post = await pollUntil(
        () => {
          const index = sim.requests.findIndex(
            (request) => request.method === "POST" && request.path === postPath(stack),
          );
          return index === -1 ? undefined : index;
        },
        { what: "the reschedule" },
      );
      sim.advance(PENDING_MS);
      // The provider is waiting once it has read the job after the reschedule; the job is running by then.
      await pollUntil(() => sim.requests.slice(post + 1).find((request) => request.path === getPath(stack)), {
        what: "a poll of the running job",
      });
      executor = sim.job(stack.jobId)?.executor;
      kill();
    });

    expectNoOrphans(killed);
    expect(sim.job(stack.jobId)).to.include({ state: "running" });
    expect(executor).to.be.a("string");
    expect(posts(stack)).to.equal(1);
    await cancel(stack);
    await expectUnrecordedUpdate(stack);
    if (route.refresh) {
      expectSucceeded(await pulumi(stack, ["refresh"], ["--yes", "--skip-preview"]));
      expect(posts(stack), "the refresh only reads").to.equal(1);
    }

    // The job ends once this up has read it, still running, and decided.
    const since = sim.requests.length;
    const running = up(stack);
    await pollUntil(() => sim.requests.slice(since).find((request) => request.path === getPath(stack)), {
      what: "the next up's read of the job",
    });
    sim.advance(RUNNING_MS);
    const next = await running;

    expectSucceeded(next);
    expect(next.output).to.match(RUN_SINCE_WARNING);
    expect(next.output).to.match(/job 5a1c0e11…: completed after/);
    expect(posts(stack), "no second POST").to.equal(1);
    expect(sim.appliedReschedules(stack.jobId), "the running job was not reset").to.equal(1);
    // The same run went on to its end: the executor that ran it when the CLI was killed finished it.
    expect(sim.job(stack.jobId)).to.include({ state: "completed", executor });
    expect(await outputsOf(stack)).to.include({
      outcome: "run_observed",
      rescheduleCount: 0,
      state: "completed",
      unfinishedRun: "none",
    });
    tableRow(
      'during the wait (`waitFor: "terminal"`), the job running',
      `\`pulumi cancel\`, ${route.refresh ? "`pulumi refresh`, " : ""}\`pulumi up\`: follows the run to its end, ` +
        "the job not restarted (`run_observed`)",
      stack,
    );
  }

  it('4a. killed during a wait (waitFor "terminal") while the job runs: cancel, up follows the run to its end', () =>
    killDuringTheWait(stacks.waitPlain, { refresh: false }));

  it("4b. the same, with cancel, refresh, up: the refresh does not make the run this stack's own", () =>
    killDuringTheWait(stacks.waitRefresh, { refresh: true }));

  /**
   * Queues faults so that the two stacks' GETs before their reschedules are answered at the same moment,
   * whatever the time between their arrivals (up to CONCURRENT_GET_HOLD_MS): both stacks then decide on the
   * job as it was before either reschedule.
   */
  function answerBothGetsTogether(jobId: string): void {
    const isGet = (arrival: Arrival): boolean =>
      arrival.method === "GET" && arrival.path === `/jobs/${jobId}`;
    sim.fault(`GET /jobs/${jobId}`, { latencyMs: CONCURRENT_GET_HOLD_MS });
    void arrivals.next(isGet, (first) => {
      void arrivals.next(isGet, (second) => {
        const apartMs = second.at - first.at;
        timings.push(`concurrent: the second stack's GET arrived ${apartMs} ms after the first`);
        sim.fault(`GET /jobs/${jobId}`, { latencyMs: Math.max(0, CONCURRENT_GET_HOLD_MS - apartMs) });
      });
    });
  }

  async function concurrentUps(): Promise<CliResult[]> {
    const startedAt = Date.now();
    const results = await Promise.all([up(stacks.concurrentA), up(stacks.concurrentB)]);
    timings.push(`concurrent: both ups took ${Date.now() - startedAt} ms`);
    for (const result of results) {
      expectSucceeded(result);
    }
    return results;
  }

  async function concurrentFigures(): Promise<{ outcome: unknown; rescheduleCount: unknown }[]> {
    const outputs = await Promise.all([outputsOf(stacks.concurrentA), outputsOf(stacks.concurrentB)]);
    return outputs.map((output) => ({
      outcome: output["outcome"],
      rescheduleCount: output["rescheduleCount"],
    }));
  }

  const concurrentPosts = (): RecordedRequest[] =>
    sim.requests.filter(
      (request) => request.method === "POST" && request.path === postPath(stacks.concurrentA),
    );

  it("6. two stacks at once, the 503 answered after the other stack's reschedule: one reschedule, counted once", async () => {
    const jobId = stacks.concurrentA.jobId;
    await Promise.all([setNewTriggers(stacks.concurrentA), setNewTriggers(stacks.concurrentB)]);
    answerBothGetsTogether(jobId);
    // The first POST to arrive is applied FIRST_POST_LATENCY_MS later; the other is refused with a 503 later
    // still, so the stack that sent it reads the job and finds the first stack's reschedule.
    sim.fault(
      `POST /jobs/${jobId}/reschedule`,
      { latencyMs: FIRST_POST_LATENCY_MS },
      { latencyMs: REFUSED_POST_LATENCY_MS, status: 503 },
    );

    await concurrentUps();

    expect(concurrentPosts().map((request) => request.status)).to.deep.equal([200, 503]);
    expect(sim.appliedReschedules(jobId)).to.equal(1);
    expect(await concurrentFigures()).to.have.deep.members([
      { outcome: "rescheduled", rescheduleCount: 1 },
      { outcome: "run_observed", rescheduleCount: 0 },
    ]);
    table.push({
      point: "none; two stacks at once, one POST answered 503 after the other stack's reschedule was applied",
      next: "one stack `rescheduled` (count 1); the other reads the job after the 503: `run_observed` (count 0)",
      posts: concurrentPosts().length,
      applied: sim.appliedReschedules(jobId),
    });
  });

  it("7. two stacks at once, the 503 answered before the other stack's reschedule: each sends its own, two reschedules", async () => {
    const jobId = stacks.concurrentA.jobId;
    const before = await concurrentFigures();
    await Promise.all([setNewTriggers(stacks.concurrentA, 3), setNewTriggers(stacks.concurrentB, 3)]);
    // A moment later than case 6's reschedule, so that a new one shows as a new updated_at.
    sim.advance(1_000);
    answerBothGetsTogether(jobId);
    // The first POST to arrive is held before it is applied; the other is refused at once, and the stack
    // that sent it reads the job, finds no reschedule, and sends its POST again.
    sim.fault(`POST /jobs/${jobId}/reschedule`, { latencyMs: HELD_POST_MS }, { status: 503 });

    await concurrentUps();

    expect(
      concurrentPosts()
        .slice(2)
        .map((request) => request.status),
    ).to.have.members([503, 200, 200]);
    expect(sim.appliedReschedules(jobId)).to.equal(3);
    const after = await concurrentFigures();
    expect(after.map((figures) => figures.outcome)).to.deep.equal(["rescheduled", "rescheduled"]);
    expect(
      after.map((figures, index) => Number(figures.rescheduleCount) - Number(before[index]?.rescheduleCount)),
    ).to.deep.equal([1, 1]);
    table.push({
      point:
        "none; two stacks at once, one POST answered 503 before the other stack's reschedule was applied",
      next: "the 503's stack finds no reschedule and sends its own: both `rescheduled` (count +1 each)",
      posts: concurrentPosts().length - 2,
      applied: sim.appliedReschedules(jobId) - 1,
    });
  });

  it("no process is left in the workspace; the token appears in no command line or output", async () => {
    expect(await processesIn(workspace.dir)).to.deep.equal([]);
    for (const command of workspace.transcript) {
      expect(`${command.command}\n${command.output}`, command.command).not.to.include(token);
    }
  });
});
