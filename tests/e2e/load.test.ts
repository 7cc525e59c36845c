/**
 * Load through the real Pulumi CLI: one program with 200 JobReruns, created by one `pulumi up`, then all
 * their triggers changed at once while the simulator answers every other reschedule request with 429. One
 * `pulumi up` must reschedule every job exactly once: retried requests never run a job twice, and none is
 * left out. The wall times of both runs are printed, with the 1-minute load average when the file started.
 *
 * docs/retries.md quotes those times from the file run alone (`npm run test:e2e -- tests/e2e/load.test.ts`). In
 * `npm test` it runs beside other files and prints longer ones (CONTRIBUTING.md has both, dated): nothing here
 * asserts a time, so sharing the machine changes only the figures.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import * as os from "node:os";
import { startSimulator, type Fault, type Simulator } from "../../provider/simulator";
import { distinctiveToken, PulumiWorkspace } from "../../scripts/pulumi-harness";
import { jobRerunsProgram } from "../support/e2e-programs";
import { describeRequests, expectSucceeded, SEED_JOB_ID, watchRequests } from "../support/e2e-steps";

const JOB_COUNT = 200;
/** Served in turn to reschedule requests, whichever job they are for: half of them are refused. */
const TOO_MANY_REQUESTS: Fault = { status: 429, retryAfter: "1" };
const SERVED_NORMALLY: Fault = {};

describe(`e2e: ${JOB_COUNT} JobReruns in one stack through the Pulumi CLI`, function () {
  this.timeout(300_000);

  const token = distinctiveToken("load");
  let sim: Simulator;
  let workspace: PulumiWorkspace;
  let jobIds: string[];
  /** How busy the machine was when the file started: the printed times mean little without it. */
  let loadAtStart = 0;

  before(async function () {
    this.timeout(600_000);
    loadAtStart = os.loadavg()[0] ?? 0;
    sim = await startSimulator({ frozen: true, token });
    const template = sim.job(SEED_JOB_ID);
    if (template === undefined) {
      throw new Error(`the simulator's seed no longer has job ${SEED_JOB_ID}`);
    }
    jobIds = Array.from(
      { length: JOB_COUNT },
      () => sim.addJob({ ...template, job_id: randomUUID() }).job_id,
    );
    workspace = await PulumiWorkspace.create({ project: "narrative-e2e-load", program: jobRerunsProgram() });
    await workspace.configureNarrative(sim.url, token);
    // Generous: a job whose requests keep meeting 429s must not run out of retry budget under load.
    await workspace.setConfig("narrative:totalTimeout", "10m");
    await workspace.setConfig("jobIds", JSON.stringify(jobIds));
  });

  after(async function () {
    this.timeout(60_000);
    await workspace?.dispose();
    await sim?.close();
  });

  it(`creates ${JOB_COUNT} JobReruns, then one up after all triggers changed reschedules each job exactly once despite 429 to half the requests`, async () => {
    await workspace.setConfig("triggers", JSON.stringify({ release: "2024.08.1" }));

    let startedAt = Date.now();
    const created = await watchRequests(sim, () => workspace.pulumi(["up", "--yes", "--skip-preview"]));
    const createMs = Date.now() - startedAt;

    expectSucceeded(created.result);
    expect(created.result.output).to.match(new RegExp(`\\+ ${JOB_COUNT + 1} created`));
    expect(created.writes, "creating reschedules nothing").to.have.length(0);
    expect(created.requests).to.have.length(JOB_COUNT);
    expect(await workspace.outputs()).to.deep.include({
      count: JOB_COUNT,
      rescheduleCount: 0,
      unfinished: 0,
    });

    await workspace.setConfig("triggers", JSON.stringify({ release: "2024.08.2" }));
    // Twice as many faults as jobs, alternating: every job needs one request served, so exactly half of all
    // reschedule requests are refused, in whatever order the engine sends them.
    const faults = Array.from({ length: 2 * JOB_COUNT }, (_, index) =>
      index % 2 === 0 ? TOO_MANY_REQUESTS : SERVED_NORMALLY,
    );
    sim.fault("POST /jobs/{job_id}/reschedule", ...faults);

    startedAt = Date.now();
    const changed = await watchRequests(sim, () => workspace.pulumi(["up", "--yes", "--skip-preview"]));
    const rescheduleMs = Date.now() - startedAt;

    const refused = changed.writes.filter((request) => request.status === 429);
    const served = changed.writes.filter((request) => request.status === 200);
    console.log(
      `      ${JOB_COUNT} JobReruns: create ${(createMs / 1000).toFixed(1)} s; reschedule all ${(rescheduleMs / 1000).toFixed(1)} s ` +
        `(${changed.writes.length} POSTs, ${refused.length} answered 429 with Retry-After ${TOO_MANY_REQUESTS.retryAfter}, ` +
        `${served.length} applied; 1-minute load average ${loadAtStart.toFixed(2)} at the start, ${os.cpus().length} cores)`,
    );

    expectSucceeded(changed.result);
    expect(changed.result.output).to.match(new RegExp(`~ ${JOB_COUNT} updated`));
    expect(changed.result.output).to.match(/429/);
    expect(refused.length, "half the reschedule requests were refused").to.equal(JOB_COUNT);
    expect(served, describeRequests(changed.requests)).to.have.length(JOB_COUNT);
    expect(changed.writes).to.have.length(2 * JOB_COUNT);
    // One read of each job before its reschedule (the run-since rule), and none after: a 429 is sent again as is.
    expect(changed.requests.filter((request) => request.method === "GET")).to.have.length(JOB_COUNT);
    const counts = jobIds.map((jobId) => sim.appliedReschedules(jobId));
    expect(
      counts.filter((count) => count !== 1),
      "jobs not rescheduled exactly once",
    ).to.deep.equal([]);
    expect(sim.appliedReschedules()).to.equal(JOB_COUNT);
    expect(new Set(served.map((request) => request.path)).size).to.equal(JOB_COUNT);

    for (const command of workspace.transcript) {
      expect(`${command.command}\n${command.output}`, command.command).not.to.include(token);
    }
    expect(await workspace.outputs()).to.deep.include({
      count: JOB_COUNT,
      rescheduleCount: JOB_COUNT,
      states: { pending: JOB_COUNT },
      unfinished: 0,
    });
  });
});
