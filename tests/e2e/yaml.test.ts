/**
 * JobRerun from Pulumi YAML: one stack walked in order by the real Pulumi CLI, Pulumi's own YAML language host
 * (built from github.com/pulumi/pulumi-yaml by scripts/ensure-pulumi) and the `narrative` provider plugin,
 * against the simulator over loopback. The plugin is found the way a project names it: `plugins.providers` with
 * the directory npm puts the package's executables in.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { startSimulator, type Simulator } from "../../provider/simulator";
import { JOB_RERUN_TOKEN } from "../../provider/hosts/plugin/schema";
import { E2E_ROOT, PulumiWorkspace, REPO_ROOT } from "../../scripts/pulumi-harness";
import { encodeToken, tokenLeaks } from "../support/token-leaks";
import { pollUntil, skipTheRestAfterAFailure, waitUntilNoProcessesIn } from "../support/e2e";
import { describeRequests, expectSucceeded, SEED_JOB_ID, watchRequests } from "../support/e2e-steps";

const SNAPSHOT_ID = "1724919539450264600";
const PENDING_MS = 60_000;
const RUNNING_MS = 3_600_000;
const CANCELED = /The currently running update for '[^']+' has been canceled!/;

/** The plugin's directory as `npm install` leaves it in a project (scripts/link-self.js does the same here). */
export const PLUGIN_DIR = path.join(REPO_ROOT, "node_modules", ".bin");

/** A YAML program with one JobRerun and every output a test reads; `extra` adds resources or variables. */
export function yamlProgram(project: string, extra = ""): string {
  return `name: ${project}
runtime: yaml
plugins:
  providers:
    - name: narrative
      path: ${JSON.stringify(PLUGIN_DIR)}
config:
  jobId:
    type: string
  sqlHash:
    type: string
  waitFor:
    type: string
    default: none
resources:
  rerun:
    type: narrative:index:JobRerun
    properties:
      jobId: \${jobId}
      triggers:
        sql: \${sqlHash}
      waitFor: \${waitFor}
${extra}outputs:
  outcome: \${rerun.outcome}
  state: \${rerun.state}
  rescheduleCount: \${rerun.rescheduleCount}
  unfinishedRun: \${rerun.unfinishedRun}
  snapshotId: \${rerun.job["result"]["snapshot_id"]}
  jobJson: \${rerun.jobJson}
`;
}

/** A workspace for a YAML project: its directory under .e2e/ with the program written before `stack init`. */
export async function yamlWorkspace(project: string, program: string): Promise<PulumiWorkspace> {
  await fs.mkdir(E2E_ROOT, { recursive: true });
  const dir = await fs.mkdtemp(path.join(E2E_ROOT, `${project}-`));
  await fs.writeFile(path.join(dir, "Pulumi.yaml"), program);
  return PulumiWorkspace.create({ project, dir, existingProject: true, removeDir: true });
}

describe("e2e: a JobRerun from Pulumi YAML through the narrative plugin", function () {
  // Each CLI command takes a few seconds; a case runs up to four of them.
  this.timeout(180_000);

  // Not distinctiveToken(): its "narrative-" prefix is in every line the CLI prints about a narrative resource,
  // and tokenLeaks() looks for any 8 characters of the token.
  const token = `tok-YAML-${randomBytes(12).toString("hex")}`;
  let sim: Simulator;
  let workspace: PulumiWorkspace;

  before(async function () {
    this.timeout(600_000);
    sim = await startSimulator({
      frozen: true,
      token,
      durations: { pendingMs: PENDING_MS, runningMs: RUNNING_MS },
    });
    workspace = await yamlWorkspace("narrative-yaml-e2e", yamlProgram("narrative-yaml-e2e"));
    await workspace.configureNarrative(sim.url, token);
    await workspace.setConfig("jobId", SEED_JOB_ID);
    await workspace.setConfig("sqlHash", "v1");
  });

  after(async function () {
    this.timeout(60_000);
    await workspace?.dispose();
    await sim?.close();
  });

  skipTheRestAfterAFailure();

  async function stored(): Promise<Record<string, unknown>> {
    const { resources } = await workspace.exportStack();
    return resources.find((resource) => resource.type === JOB_RERUN_TOKEN)?.outputs ?? {};
  }

  it("1. up creates the JobRerun: it reads the job once and sends nothing else; the job is stored exactly", async () => {
    const { result, requests } = await watchRequests(sim, () => workspace.pulumi(["up", "--yes"]));

    expectSucceeded(result);
    expect(result.output).to.match(/narrative:index:JobRerun rerun created/);
    expect(requests.map((request) => `${request.method} ${request.path}`)).to.deep.equal([
      `GET /jobs/${SEED_JOB_ID}`,
    ]);
    const outputs = await workspace.outputs();
    expect(outputs).to.include({ state: "completed", rescheduleCount: 0, snapshotId: SNAPSHOT_ID });
    expect(outputs["jobJson"]).to.include(`"snapshot_id":${SNAPSHOT_ID}`);
    expect(outputs["outcome"] ?? null, "no reschedule yet").to.equal(null);
  });

  it("2. a trigger change: preview shows the update of triggers and sends nothing", async () => {
    await workspace.setConfig("sqlHash", "v2");

    const { result, requests } = await watchRequests(sim, () => workspace.pulumi(["preview", "--diff"]));

    expectSucceeded(result);
    expect(result.output).to.match(/~ narrative:index:JobRerun: \(update\)/);
    expect(result.output).to.match(/~ sql: "v1" => "v2"/);
    expect(result.output).to.match(/~ 1 to update/);
    expect(requests, describeRequests(requests)).to.deep.equal([]);
  });

  it('3. up reads the job, then sends exactly one POST {"force":true}; the outputs hold the result', async () => {
    const { result, requests } = await watchRequests(sim, () =>
      workspace.pulumi(["up", "--yes", "--skip-preview"]),
    );

    expectSucceeded(result);
    expect(
      requests.map((request) => `${request.method} ${request.path} ${request.body}`.trim()),
    ).to.deep.equal([`GET /jobs/${SEED_JOB_ID}`, `POST /jobs/${SEED_JOB_ID}/reschedule {"force":true}`]);
    expect(await workspace.outputs()).to.include({
      outcome: "rescheduled",
      rescheduleCount: 1,
      state: "pending",
      snapshotId: SNAPSHOT_ID,
    });
  });

  it("4. refresh reads the job and sends nothing else", async () => {
    const { result, requests } = await watchRequests(sim, () =>
      workspace.pulumi(["refresh", "--yes", "--skip-preview"]),
    );

    expectSucceeded(result);
    expect(requests.map((request) => `${request.method} ${request.path}`)).to.deep.equal([
      `GET /jobs/${SEED_JOB_ID}`,
    ]);
  });

  it("5. waitFor terminal: a failed run fails the up with the job's messages; the next up reruns it once", async () => {
    sim.advance(PENDING_MS + RUNNING_MS);
    sim.setJobOutcome(SEED_JOB_ID, { state: "failed", message: "Snowflake warehouse suspended" });
    await workspace.setConfig("waitFor", "terminal");
    await workspace.setConfig("sqlHash", "v3");
    const applied = sim.appliedReschedules(SEED_JOB_ID);

    const running = workspace.pulumi(["up", "--yes", "--skip-preview"], { allowFailure: true });
    await pollUntil(() => (sim.appliedReschedules(SEED_JOB_ID) > applied ? true : undefined), {
      what: "the reschedule",
    });
    sim.advance(PENDING_MS + RUNNING_MS);
    const failed = await running;

    expect(failed.code, failed.output).not.to.equal(0);
    expect(failed.output).to.include(SEED_JOB_ID).and.include("Snowflake warehouse suspended");
    expect(sim.appliedReschedules(SEED_JOB_ID)).to.equal(applied + 1);
    expect(await stored()).to.deep.include({ unfinishedRun: "rerun", state: "failed" });

    sim.setJobOutcome(SEED_JOB_ID, { state: "completed" });
    await workspace.setConfig("waitFor", "none");
    const rerun = await watchRequests(sim, () => workspace.pulumi(["up", "--yes", "--skip-preview"]));
    expectSucceeded(rerun.result);
    expect(rerun.writes.map((request) => request.path)).to.deep.equal([`/jobs/${SEED_JOB_ID}/reschedule`]);
    expect(sim.appliedReschedules(SEED_JOB_ID)).to.equal(applied + 2);
  });

  it("6. a 500 that echoes the token, escaped, fails the up with the token [REDACTED]", async () => {
    sim.advance(PENDING_MS + RUNNING_MS);
    sim.fault(`POST /jobs/${SEED_JOB_ID}/reschedule`, {
      status: 500,
      body: `{"title": "Internal Server Error", "detail": "bad key ${encodeToken("JSON \\u of every character", token)}"}`,
    });
    await workspace.setConfig("sqlHash", "v4");

    const failed = await workspace.pulumi(["up", "--yes", "--skip-preview"], { allowFailure: true });

    expect(failed.code, failed.output).not.to.equal(0);
    expect(failed.output).to.include("bad key [REDACTED]");
    expect(tokenLeaks(failed.output, token)).to.deep.equal([]);
    sim.clearFaults();
    // The answer was lost: the next up reads the job and reschedules only because this one did not take effect.
    expectSucceeded(await workspace.pulumi(["up", "--yes", "--skip-preview"]));
    expect(await workspace.outputs()).to.include({ outcome: "rescheduled" });
  });

  it("7. SIGKILL of the CLI during a wait: after pulumi cancel, the next up follows the run; one reschedule applied", async () => {
    // The last run finished, and a refresh recorded it: a run seen after the kill is then surely a new one.
    sim.advance(PENDING_MS + RUNNING_MS);
    expectSucceeded(await workspace.pulumi(["refresh", "--yes", "--skip-preview"]));
    await workspace.setConfig("waitFor", "terminal");
    await workspace.setConfig("sqlHash", "v5");
    const applied = sim.appliedReschedules(SEED_JOB_ID);

    const running = workspace.pulumi(["up", "--yes", "--skip-preview"], { allowFailure: true });
    await pollUntil(() => (sim.appliedReschedules(SEED_JOB_ID) > applied ? true : undefined), {
      what: "the reschedule",
    });
    sim.advance(PENDING_MS);
    const since = sim.requests.length;
    await pollUntil(() => (sim.requests.length > since ? true : undefined), {
      what: "a poll of the running job",
    });
    workspace.signal("SIGKILL");
    const killed = await running;
    expect(killed.signal, killed.output).to.equal("SIGKILL");
    // Pulumi's YAML language host checks that the engine is alive only every 5 minutes (rpcutil.Healthcheck in
    // pulumi-yaml's main.go), so it outlives a killed CLI by up to that long; it holds no connection to the API.
    // The plugin, ours, must be gone within seconds.
    const isYamlHost = (command: string): boolean => command.includes("pulumi-language-yaml");
    const { remaining } = await waitUntilNoProcessesIn(workspace.dir, 6_000);
    expect(
      remaining.filter((process) => !isYamlHost(process.command)).map((process) => process.command),
      "processes left 6 s after the kill, other than Pulumi's YAML host",
    ).to.deep.equal([]);
    for (const process of remaining) {
      globalThis.process.kill(process.pid, "SIGKILL");
    }
    expect(sim.job(SEED_JOB_ID)).to.include({ state: "running" });

    const canceled = await workspace.pulumi(["cancel", "--yes"]);
    expect(canceled.output).to.match(CANCELED);
    const next = workspace.pulumi(["up", "--yes", "--skip-preview"]);
    const read = sim.requests.length;
    await pollUntil(() => (sim.requests.length > read ? true : undefined), { what: "the next up's read" });
    sim.advance(RUNNING_MS);
    const result = await next;

    expectSucceeded(result);
    expect(sim.appliedReschedules(SEED_JOB_ID), "one reschedule for this change").to.equal(applied + 1);
    expect(await workspace.outputs()).to.include({ outcome: "run_observed", state: "completed" });
  });

  it("8. the token is in no state file, no backup, no history and no output", async () => {
    const stateFiles = await workspace.backendFiles();
    expect(
      stateFiles.some((file) => file.endsWith(".json")),
      "the backend holds the stack's state",
    ).to.equal(true);
    for (const file of stateFiles) {
      const text = await fs.readFile(file, "utf8");
      expect(tokenLeaks(text, token), file).to.deep.equal([]);
    }
    for (const command of workspace.transcript) {
      expect(tokenLeaks(command.output, token), command.command).to.deep.equal([]);
    }
  });

  it("9. destroy sends nothing and empties the stack", async () => {
    const { result, requests } = await watchRequests(sim, () => workspace.pulumi(["destroy", "--yes"]));

    expectSucceeded(result);
    expect(requests, describeRequests(requests)).to.deep.equal([]);
    expect((await workspace.exportStack()).resources).to.have.length(0);
  });
});
