/**
 * The first three end-to-end cases, declared by `casesOneToThree` because they run twice: against the package
 * built in this repository (lifecycle.test.ts) and against the package installed from its npm tarball
 * (packed-install.test.ts).
 * Each asserts on what the user sees (exit code, CLI output, stack outputs) and on what the API received.
 */
import { expect } from "chai";
import type { RecordedRequest, Simulator } from "../../provider/simulator";
import type { CliResult, PulumiWorkspace } from "../../scripts/pulumi-harness";

/** The reschedule page's example job, seeded in the simulator as completed. */
export const SEED_JOB_ID = "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c";
/** Its result.snapshot_id, beyond 2^53: only the job's exact JSON text keeps every digit. */
const SEED_SNAPSHOT_ID = "1724919539450264600";

export const FIRST_TRIGGERS = { release: "2024.06.1", sql: "sha256:1f0c2d" };
export const SECOND_TRIGGERS = { release: "2024.06.2", sql: "sha256:1f0c2d" };

export interface LifecycleContext {
  workspace: PulumiWorkspace;
  sim: Simulator;
  /** The JobRerun's name in the program. */
  resourceName: string;
}

/** Runs `action` and returns what it returned with the API requests the simulator received meanwhile. */
export async function watchRequests<T>(
  sim: Simulator,
  action: () => Promise<T>,
): Promise<{ result: T; requests: RecordedRequest[]; writes: RecordedRequest[] }> {
  const before = sim.requests.length;
  const result = await action();
  const requests = sim.requests.slice(before);
  return { result, requests, writes: requests.filter((request) => request.method !== "GET") };
}

/** Method and path, for assertion messages that say which requests arrived. */
export function describeRequests(requests: readonly RecordedRequest[]): string {
  return (
    requests.map((request) => `${request.method} ${request.path} ${request.status}`).join("\n") || "none"
  );
}

export function expectSucceeded(result: CliResult): void {
  expect(result.code, `${result.command} failed:\n${result.output}`).to.equal(0);
}

/** Case 1: `pulumi up` creates the JobRerun: it reads the job once and reschedules nothing. */
export async function upCreatesWithoutRescheduling(context: LifecycleContext): Promise<void> {
  const { workspace, sim, resourceName } = context;
  await workspace.setConfig("jobId", SEED_JOB_ID);
  await workspace.setConfig("triggers", JSON.stringify(FIRST_TRIGGERS));

  const { result, requests, writes } = await watchRequests(sim, () => workspace.pulumi(["up", "--yes"]));

  expectSucceeded(result);
  expect(result.output).to.match(new RegExp(`JobRerun ${resourceName} created`));
  expect(result.output).to.match(/\+ 2 created/);
  expect(result.output, result.output).not.to.match(/warning/i);
  expect(writes, describeRequests(requests)).to.have.length(0);
  expect(requests.map((request) => `${request.method} ${request.path} ${request.status}`)).to.deep.equal([
    `GET /jobs/${SEED_JOB_ID} 200`,
  ]);
  expect(sim.appliedReschedules(SEED_JOB_ID)).to.equal(0);

  const outputs = await workspace.outputs();
  expect(outputs).to.include({
    jobId: SEED_JOB_ID,
    state: "completed",
    outcome: "none",
    rescheduleCount: 0,
    lastRescheduledAt: "never",
  });
  expect(outputs["job"]).to.deep.include({
    job_id: SEED_JOB_ID,
    state: "completed",
    type: "materialize-view",
  });
  expect(outputs["jobJson"])
    .to.be.a("string")
    .and.match(new RegExp(`"snapshot_id":\\s*${SEED_SNAPSHOT_ID}\\b`));
}

/** Case 2: new triggers; `pulumi preview --diff` shows the pending rerun and sends nothing. */
export async function previewShowsTheRerun(context: LifecycleContext): Promise<void> {
  const { workspace, sim, resourceName } = context;
  await workspace.setConfig("triggers", JSON.stringify(SECOND_TRIGGERS));

  const { result, requests } = await watchRequests(sim, () => workspace.pulumi(["preview", "--diff"]));

  expectSucceeded(result);
  expect(result.output).to.match(/~ pulumi-nodejs:dynamic\/narrative:JobRerun: \(update\)/);
  expect(result.output).to.include(`JobRerun::${resourceName}]`);
  expect(result.output).to.match(/~ triggers\s*: \{/);
  expect(result.output).to.match(/~ release\s*: "2024\.06\.1" => "2024\.06\.2"/);
  expect(result.output).to.match(/~ 1 to update/);
  expect(requests, `preview must not call the API:\n${describeRequests(requests)}`).to.have.length(0);
}

/** Case 3: `pulumi up` reschedules exactly once with force: true and stores what the API returned. */
export async function upReschedulesOnce(context: LifecycleContext): Promise<void> {
  const { workspace, sim, resourceName } = context;
  const appliedBefore = sim.appliedReschedules(SEED_JOB_ID);

  const { result, requests, writes } = await watchRequests(sim, () => workspace.pulumi(["up", "--yes"]));

  expectSucceeded(result);
  expect(result.output).to.match(new RegExp(`JobRerun ${resourceName} updated .*\\[diff: ~triggers\\]`));
  expect(result.output).to.match(/~ 1 updated/);
  expect(writes, describeRequests(requests)).to.have.length(1);
  const [post] = writes;
  expect(post).to.include({
    method: "POST",
    path: `/jobs/${SEED_JOB_ID}/reschedule`,
    status: 200,
    outcome: "rescheduled",
    authorized: true,
  });
  expect(JSON.parse(post?.body ?? "null")).to.deep.equal({ force: true });
  expect(sim.appliedReschedules(SEED_JOB_ID)).to.equal(appliedBefore + 1);

  const outputs = await workspace.outputs();
  expect(outputs).to.include({ outcome: "rescheduled", state: "pending", rescheduleCount: 1 });
  expect(outputs["lastRescheduledAt"]).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  expect(outputs["job"]).to.deep.include({ job_id: SEED_JOB_ID, state: "pending" });
}

/**
 * Declares cases 1 to 3 in order, inside the calling describe. `context` is read when a case runs, since the
 * describe's before hook makes the workspace and the simulator.
 */
export function casesOneToThree(context: () => LifecycleContext): void {
  it("1. up creates the JobRerun: the job is read, nothing is rescheduled, the outputs show the job", () =>
    upCreatesWithoutRescheduling(context()));

  it("2. new triggers: preview --diff shows an update of the triggers and sends nothing", () =>
    previewShowsTheRerun(context()));

  it('3. up reschedules exactly once with {"force":true}; outputs show rescheduled, pending, count 1', () =>
    upReschedulesOnce(context()));
}

/** `pulumi refresh` reads the job once and changes nothing on the API's side. */
export async function refreshReadsTheJob(context: LifecycleContext): Promise<void> {
  const { workspace, sim } = context;

  const { result, requests, writes } = await watchRequests(sim, () =>
    workspace.pulumi(["refresh", "--yes", "--skip-preview"]),
  );

  expectSucceeded(result);
  expect(writes, describeRequests(requests)).to.have.length(0);
  expect(requests.map((request) => `${request.method} ${request.path} ${request.status}`)).to.deep.equal([
    `GET /jobs/${SEED_JOB_ID} 200`,
  ]);
}

/** `pulumi destroy` sends nothing to the API and empties the stack; the job is left as it was. */
export async function destroySendsNothing(context: LifecycleContext): Promise<void> {
  const { workspace, sim } = context;
  const jobBefore = sim.job(SEED_JOB_ID)?.state;

  const { result, requests } = await watchRequests(sim, () =>
    workspace.pulumi(["destroy", "--yes", "--skip-preview"]),
  );

  expectSucceeded(result);
  expect(result.output).to.match(/- 2 deleted/);
  expect(requests, describeRequests(requests)).to.have.length(0);
  expect((await workspace.exportStack()).resources).to.have.length(0);
  expect(sim.job(SEED_JOB_ID)?.state).to.equal(jobBefore);
}
