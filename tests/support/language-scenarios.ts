/**
 * The end-to-end scenarios that every language's program goes through the same way (yaml.test.ts, go.test.ts,
 * python.test.ts): one stack whose JobRerun is named `rerun`, its triggers the config value `sqlHash`, its wait
 * the config value `waitFor`, against a frozen simulator started with LANGUAGE_DURATIONS. A scenario changes
 * `sqlHash` to the value it is given, so that each file keeps its own order of cases.
 */
import { expect } from "chai";
import type { Simulator } from "../../provider/simulator";
import { JOB_RERUN_TOKEN } from "../../provider/hosts/plugin/schema";
import type { CliResult, PulumiWorkspace } from "../../scripts/pulumi-harness";
import { pollUntil, waitUntilNoProcessesIn } from "./e2e";
import { describeRequests, expectSucceeded, SEED_JOB_ID, watchRequests } from "./e2e-steps";
import { encodeToken, tokenLeaks } from "./token-leaks";

/** How long the simulator keeps a rescheduled job pending, then running; its clock moves only when told. */
export const LANGUAGE_DURATIONS = { pendingMs: 60_000, runningMs: 3_600_000 } as const;
const { pendingMs: PENDING_MS, runningMs: RUNNING_MS } = LANGUAGE_DURATIONS;
const CANCELED = /The currently running update for '[^']+' has been canceled!/;

export interface LanguageContext {
  workspace: PulumiWorkspace;
  sim: Simulator;
  /** The token the stack's narrative:token holds. */
  token: string;
}

const UP = ["up", "--yes", "--skip-preview"];

/** The JobRerun `rerun` as the state holds it: its outputs. */
async function storedRerun(workspace: PulumiWorkspace): Promise<Record<string, unknown> | undefined> {
  const { resources } = await workspace.exportStack();
  return resources.find((resource) => resource.type === JOB_RERUN_TOKEN && resource.urn.endsWith("::rerun"))
    ?.outputs;
}

/** Configures the stack as every language's program reads it: the API and token, the seeded job, sqlHash v1. */
export async function configureLanguageStack(context: LanguageContext): Promise<void> {
  const { workspace, sim, token } = context;
  await workspace.configureNarrative(sim.url, token);
  await workspace.setConfig("jobId", SEED_JOB_ID);
  await workspace.setConfig("sqlHash", "v1");
}

/**
 * Starts `pulumi up` (allowed to fail) and waits until the simulator has applied a reschedule beyond `applied`;
 * returns the running up, wrapped so that awaiting this does not wait for the up's end. `timeoutMs`: pollUntil's
 * default if unset.
 */
async function upUntilRescheduled(
  context: LanguageContext,
  applied: number,
  timeoutMs?: number,
): Promise<{ running: Promise<CliResult> }> {
  const { workspace, sim } = context;
  const running = workspace.pulumi(UP, { allowFailure: true });
  await pollUntil(() => (sim.appliedReschedules(SEED_JOB_ID) > applied ? true : undefined), {
    what: "the reschedule",
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  return { running };
}

/**
 * sqlHash v1 to v2: `pulumi preview --diff` shows the update of the triggers, and the API gets `reads` alone (the
 * program's own reads of the job, if it makes any). Returns the preview, for a language's own checks.
 */
export async function previewShowsTheTriggerChange(
  context: LanguageContext,
  options: { reads: readonly string[] },
): Promise<CliResult> {
  const { workspace, sim } = context;
  await workspace.setConfig("sqlHash", "v2");

  const { result, requests } = await watchRequests(sim, () => workspace.pulumi(["preview", "--diff"]));

  expectSucceeded(result);
  expect(result.output).to.match(/~ narrative:index:JobRerun: \(update\)/);
  expect(result.output).to.match(/~ sql: "v1" => "v2"/);
  expect(
    requests.map((request) => `${request.method} ${request.path}`),
    describeRequests(requests),
  ).to.deep.equal(options.reads);
  return result;
}

/** `pulumi up` after a trigger change: exactly one POST {"force":true}; the outputs hold the result. */
export async function upSendsOneForcedPost(context: LanguageContext): Promise<void> {
  const { workspace, sim } = context;
  const { result, writes, requests } = await watchRequests(sim, () => workspace.pulumi(UP));

  expectSucceeded(result);
  expect(
    writes.map((request) => `${request.method} ${request.path} ${request.body}`),
    describeRequests(requests),
  ).to.deep.equal([`POST /jobs/${SEED_JOB_ID}/reschedule {"force":true}`]);
  expect(await workspace.outputs()).to.include({
    outcome: "rescheduled",
    rescheduleCount: 1,
    state: "pending",
    snapshotId: "1724919539450264600",
  });
}

/** `pulumi refresh` reads, and sends nothing but reads (the program may read the job itself too). */
export async function refreshSendsOnlyReads(context: LanguageContext): Promise<void> {
  const { workspace, sim } = context;
  const { result, requests } = await watchRequests(sim, () =>
    workspace.pulumi(["refresh", "--yes", "--skip-preview"]),
  );

  expectSucceeded(result);
  expect(requests.length).to.be.above(0);
  expect(
    requests.filter((request) => request.method !== "GET"),
    describeRequests(requests),
  ).to.deep.equal([]);
}

export interface FailedWaitOptions {
  /** The new `sqlHash`. */
  sqlHash: string;
  /** How long the up may take to reach the reschedule (a Go program is built first); pollUntil's default if unset. */
  rescheduleTimeoutMs?: number;
  /** More of the stored outputs to expect after the failed up, beside unfinishedRun and state. */
  alsoStored?: Record<string, unknown>;
}

/**
 * waitFor terminal, and the rescheduled run fails: the up fails naming the job and its message, the one reschedule
 * applied and recorded as an unfinished run. Returns the count of applied reschedules before this up.
 */
export async function failedWaitFailsTheUp(
  context: LanguageContext,
  options: FailedWaitOptions,
): Promise<number> {
  const { workspace, sim } = context;
  sim.advance(PENDING_MS + RUNNING_MS);
  sim.setJobOutcome(SEED_JOB_ID, { state: "failed", message: "Snowflake warehouse suspended" });
  await workspace.setConfig("waitFor", "terminal");
  await workspace.setConfig("sqlHash", options.sqlHash);
  const applied = sim.appliedReschedules(SEED_JOB_ID);

  const { running } = await upUntilRescheduled(context, applied, options.rescheduleTimeoutMs);
  sim.advance(PENDING_MS + RUNNING_MS);
  const failed = await running;

  expect(failed.code, failed.output).not.to.equal(0);
  expect(failed.output).to.include(SEED_JOB_ID).and.include("Snowflake warehouse suspended");
  expect(sim.appliedReschedules(SEED_JOB_ID)).to.equal(applied + 1);
  expect(await storedRerun(workspace)).to.deep.include({
    unfinishedRun: "rerun",
    state: "failed",
    ...options.alsoStored,
  });
  return applied;
}

/** A failed wait (failedWaitFailsTheUp), then the next up, waitFor none, reruns the job once more. */
export async function failedWaitThenOneRerun(
  context: LanguageContext,
  options: FailedWaitOptions,
): Promise<void> {
  const { workspace, sim } = context;
  const applied = await failedWaitFailsTheUp(context, options);

  sim.setJobOutcome(SEED_JOB_ID, { state: "completed" });
  await workspace.setConfig("waitFor", "none");
  const next = await watchRequests(sim, () => workspace.pulumi(UP));
  expectSucceeded(next.result);
  expect(next.writes.map((request) => request.path)).to.deep.equal([`/jobs/${SEED_JOB_ID}/reschedule`]);
  expect(sim.appliedReschedules(SEED_JOB_ID)).to.equal(applied + 2);
}

/** A 500 on the reschedule whose body echoes the token, \u-escaped: the up fails with the token [REDACTED]. */
export async function redactedServerError(
  context: LanguageContext,
  options: { sqlHash: string },
): Promise<void> {
  const { workspace, sim, token } = context;
  sim.advance(PENDING_MS + RUNNING_MS);
  sim.fault(`POST /jobs/${SEED_JOB_ID}/reschedule`, {
    status: 500,
    body: `{"title": "Internal Server Error", "detail": "bad key ${encodeToken("JSON \\u of every character", token)}"}`,
  });
  await workspace.setConfig("sqlHash", options.sqlHash);

  const failed = await workspace.pulumi(UP, { allowFailure: true });

  expect(failed.code, failed.output).not.to.equal(0);
  expect(failed.output).to.include("bad key [REDACTED]");
  expect(tokenLeaks(failed.output, token)).to.deep.equal([]);
  sim.clearFaults();
  // The answer was lost: the next up reads the job and reschedules only because this one did not take effect.
  expectSucceeded(await workspace.pulumi(UP));
  expect(await workspace.outputs()).to.include({ outcome: "rescheduled" });
}

export interface SigkillOptions {
  /** The new `sqlHash`. */
  sqlHash: string;
  /**
   * A process of the language's that may outlive the killed CLI, with why, or undefined where every process
   * (language host, program, plugin) must be gone within seconds.
   */
  mayOutlive?: { what: string; matches(command: string): boolean };
}

/**
 * SIGKILL of the CLI while the up waits for the run: no process is left behind (but `mayOutlive`); after
 * `pulumi cancel` the next up follows the run to its end, and no second reschedule is applied.
 */
export async function sigkillDuringWait(context: LanguageContext, options: SigkillOptions): Promise<void> {
  const { workspace, sim } = context;
  // The last run finished, and a refresh recorded it: a run seen after the kill is then surely a new one.
  sim.advance(PENDING_MS + RUNNING_MS);
  expectSucceeded(await workspace.pulumi(["refresh", "--yes", "--skip-preview"]));
  await workspace.setConfig("waitFor", "terminal");
  await workspace.setConfig("sqlHash", options.sqlHash);
  const applied = sim.appliedReschedules(SEED_JOB_ID);

  const { running } = await upUntilRescheduled(context, applied);
  sim.advance(PENDING_MS);
  const since = sim.requests.length;
  await pollUntil(() => (sim.requests.length > since ? true : undefined), {
    what: "a poll of the running job",
  });
  workspace.signal("SIGKILL");
  const killed = await running;
  expect(killed.signal, killed.output).to.equal("SIGKILL");
  const { remaining, ended } = await waitUntilNoProcessesIn(workspace.dir, 6_000);
  // Killed before the verdict, so that a failed case leaves nothing running either.
  for (const process of remaining) {
    globalThis.process.kill(process.pid, "SIGKILL");
  }
  const mayOutlive = options.mayOutlive;
  expect(
    remaining
      .filter((process) => mayOutlive === undefined || !mayOutlive.matches(process.command))
      .map((process) => process.command),
    `processes left 6 s after the kill${mayOutlive === undefined ? "" : `, other than ${mayOutlive.what}`}` +
      ` (ended: ${JSON.stringify(ended)})`,
  ).to.deep.equal([]);
  expect(sim.job(SEED_JOB_ID)).to.include({ state: "running" });

  const canceled = await workspace.pulumi(["cancel", "--yes"]);
  expect(canceled.output).to.match(CANCELED);
  const next = workspace.pulumi(UP);
  const read = sim.requests.length;
  await pollUntil(() => (sim.requests.length > read ? true : undefined), { what: "the next up's read" });
  sim.advance(RUNNING_MS);
  const result = await next;

  expectSucceeded(result);
  expect(sim.appliedReschedules(SEED_JOB_ID), "one reschedule for this change").to.equal(applied + 1);
  expect(await workspace.outputs()).to.include({ outcome: "run_observed", state: "completed" });
}
