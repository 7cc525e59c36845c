/**
 * The examples, run as a user would run them: the TypeScript programs in examples/ through the Pulumi CLI
 * against the simulator. Each runs from a copy under `<repo>/.e2e/`, so its stack files and the edits some
 * cases make (a changed SQL file, a commit) never touch examples/. The repository root's Pulumi.yaml runs in
 * place, since the point there is that `pulumi preview` works at the root.
 */
import { expect } from "chai";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import {
  SEEDED_JOB_IDS,
  startSimulator,
  type RecordedRequest,
  type Simulator,
} from "../../provider/simulator";
import {
  distinctiveToken,
  E2E_ROOT,
  PulumiWorkspace,
  REPO_ROOT,
  runCommand,
} from "../../scripts/pulumi-harness";
import { describeRequests, expectSucceeded, SEED_JOB_ID, watchRequests } from "../support/e2e-steps";

/** An existing example copied into a fresh directory under .e2e/, with a workspace on it. */
async function exampleWorkspace(name: string, workspaces: PulumiWorkspace[]): Promise<PulumiWorkspace> {
  const source = path.join(REPO_ROOT, "examples", name);
  const projectFile = await fs.readFile(path.join(source, "Pulumi.yaml"), "utf8");
  const project = /^name:\s*(\S+)\s*$/m.exec(projectFile)?.[1];
  if (project === undefined) {
    throw new Error(`examples/${name}/Pulumi.yaml has no name`);
  }
  await fs.mkdir(E2E_ROOT, { recursive: true });
  const dir = await fs.mkdtemp(path.join(E2E_ROOT, `example-${name}-`));
  await fs.cp(source, dir, { recursive: true });
  const workspace = await PulumiWorkspace.create({ project, dir, existingProject: true, removeDir: true });
  workspaces.push(workspace);
  return workspace;
}

function git(dir: string, ...args: string[]): Promise<string> {
  const identity = [
    "-c",
    "user.name=e2e",
    "-c",
    "user.email=e2e@example.invalid",
    "-c",
    "commit.gpgsign=false",
  ];
  return runCommand("git", [...identity, ...args], { cwd: dir }).then((result) => result.stdout.trim());
}

describe("e2e: the examples through the Pulumi CLI", function () {
  // TypeScript programs are type-checked on every run, which adds a second or two per command.
  this.timeout(120_000);

  const token = distinctiveToken("examples");
  let sim: Simulator;
  const workspaces: PulumiWorkspace[] = [];

  before(async () => {
    sim = await startSimulator({ frozen: true, token });
  });

  after(async function () {
    this.timeout(60_000);
    for (const workspace of workspaces) {
      await workspace.dispose();
    }
    await sim?.close();
  });

  it("the repository root's Pulumi.yaml runs examples/basic: `pulumi preview` works at the root", async () => {
    const root = await PulumiWorkspace.create({
      project: "narrative-basic",
      dir: REPO_ROOT,
      existingProject: true,
      removeDir: false,
    });
    workspaces.push(root);
    await root.configureNarrative(sim.url, token);
    await root.setConfig("jobId", SEED_JOB_ID);
    await root.setConfig("dataVersion", "2024-06-01");

    const { result, requests } = await watchRequests(sim, () => root.pulumi(["preview", "--diff"]));

    expectSucceeded(result);
    expect(result.output).to.match(/\+ pulumi-nodejs:dynamic\/narrative:JobRerun: \(create\)/);
    expect(result.output).to.match(/dataVersion\s*: "2024-06-01"/);
    expect(result.output).to.match(/\+ 2 to create/);
    expect(requests, describeRequests(requests)).to.have.length(0);
  });

  it("basic: up reads the job; a new dataVersion shows as the pending rerun in preview", async () => {
    const basic = await exampleWorkspace("basic", workspaces);
    await basic.configureNarrative(sim.url, token);
    await basic.setConfig("jobId", SEED_JOB_ID);
    await basic.setConfig("dataVersion", "2024-06-01");

    const created = await watchRequests(sim, () => basic.pulumi(["up", "--yes", "--skip-preview"]));
    expectSucceeded(created.result);
    expect(created.writes, describeRequests(created.requests)).to.have.length(0);
    expect(await basic.outputs()).to.include({
      jobId: SEED_JOB_ID,
      jobState: "completed",
      outcome: "not rescheduled yet",
      rescheduleCount: 0,
      lastRescheduledAt: "never",
    });

    await basic.setConfig("dataVersion", "2024-06-02");
    const previewed = await watchRequests(sim, () => basic.pulumi(["preview", "--diff"]));
    expectSucceeded(previewed.result);
    expect(previewed.result.output).to.match(/~ dataVersion\s*: "2024-06-01" => "2024-06-02"/);
    expect(previewed.result.output).to.match(/~ 1 to update/);
    expect(previewed.requests, describeRequests(previewed.requests)).to.have.length(0);
  });

  it("pipeline: triggers follow the SQL and the commit that changed it; preview needs no Narrative token", async () => {
    const pipeline = await exampleWorkspace("pipeline", workspaces);
    // The copy is its own git repository, as a user's checkout of the example would be.
    await git(pipeline.dir, "init", "--quiet", "--initial-branch=main");
    await git(pipeline.dir, "add", ".");
    await git(pipeline.dir, "commit", "--quiet", "-m", "Add the audience view");
    const sqlCommit = await git(pipeline.dir, "rev-parse", "HEAD");
    const sqlFile = path.join(pipeline.dir, "sql", "audience_view.sql");
    const sqlHash = async (): Promise<string> => {
      const text = await fs.readFile(sqlFile, "utf8");
      const digest = createHash("sha256").update(`audience_view.sql\0${text}\0`).digest("hex");
      return `sha256:${digest}`;
    };
    const firstHash = await sqlHash();
    await pipeline.setConfig("jobId", SEED_JOB_ID);
    // A pull request's preview, as in the example's CI: the API URL but no token.
    await pipeline.setConfig("narrative:apiUrl", sim.url);

    const pullRequest = await watchRequests(sim, () => pipeline.pulumi(["preview", "--diff"]));
    expectSucceeded(pullRequest.result);
    expect(pullRequest.result.output).to.match(/\+ pulumi-nodejs:dynamic\/narrative:JobRerun: \(create\)/);
    expect(pullRequest.result.output).to.include(`sql   : "${firstHash}"`);
    expect(pullRequest.result.output).to.include(`commit: "${sqlCommit}"`);
    expect(pullRequest.requests, describeRequests(pullRequest.requests)).to.have.length(0);

    // Merged: main's `pulumi up`, with the token from the environment as the example's CI passes it.
    const ciEnv = { NARRATIVE_API_TOKEN: token };
    const merged = await watchRequests(sim, () =>
      pipeline.pulumi(["up", "--yes", "--skip-preview"], { env: ciEnv }),
    );
    expectSucceeded(merged.result);
    expect(merged.writes, describeRequests(merged.requests)).to.have.length(0);
    expect(merged.requests.every((request) => request.authorized)).to.equal(true);

    // A commit that leaves the SQL alone changes nothing.
    await fs.appendFile(path.join(pipeline.dir, "Pulumi.yaml"), "# an unrelated change\n");
    await git(pipeline.dir, "commit", "--quiet", "-am", "Unrelated change");
    const unrelated = await watchRequests(sim, () => pipeline.pulumi(["preview", "--expect-no-changes"]));
    expectSucceeded(unrelated.result);
    expect(unrelated.requests, describeRequests(unrelated.requests)).to.have.length(0);

    // A commit that changes the SQL shows the rerun, with both the new hash and the new commit.
    await fs.appendFile(sqlFile, 'WHERE "value" IS NOT NULL\n');
    await git(pipeline.dir, "commit", "--quiet", "-am", "Skip null values");
    const changedCommit = await git(pipeline.dir, "rev-parse", "HEAD");
    const changed = await watchRequests(sim, () => pipeline.pulumi(["preview", "--diff"]));
    expectSucceeded(changed.result);
    expect(changed.result.output).to.include(`~ sql   : "${firstHash}" => "${await sqlHash()}"`);
    expect(changed.result.output).to.include(`~ commit: "${sqlCommit}" => "${changedCommit}"`);
    expect(changed.result.output).to.match(/~ 1 to update/);
    expect(changed.requests, describeRequests(changed.requests)).to.have.length(0);
  });

  it("chained: each job is rescheduled after the one it reads from finished; a failed job stops the chain", async () => {
    // On the wall clock with short runs: the waits (waitFor "terminal") poll every ~2 s until a job finishes.
    const chainSim = await startSimulator({ token, durations: { pendingMs: 200, runningMs: 500 } });
    try {
      const chained = await exampleWorkspace("chained", workspaces);
      const jobs = {
        view: SEEDED_JOB_IDS.completed,
        stats: SEEDED_JOB_IDS.fromProcess,
        delivery: SEEDED_JOB_IDS.failed,
      };
      const posts = (requests: RecordedRequest[]): string[] =>
        requests
          .filter((request) => request.method === "POST")
          .map((request) => `${request.path} ${request.status}`);
      await chained.configureNarrative(chainSim.url, token);
      await chained.setConfig("viewJobId", jobs.view);
      await chained.setConfig("statsJobId", jobs.stats);
      await chained.setConfig("deliveryJobId", jobs.delivery);
      await chained.setConfig("sourceVersion", "2024-06-01");

      const created = await watchRequests(chainSim, () => chained.pulumi(["up", "--yes", "--skip-preview"]));
      expectSucceeded(created.result);
      expect(created.result.output).to.match(/\+ 4 created/);
      expect(created.writes, describeRequests(created.requests)).to.have.length(0);
      expect(await chained.outputs()).to.deep.include({ reruns: { view: 0, stats: 0, delivery: 0 } });

      await chained.setConfig("sourceVersion", "2024-06-02");
      const previewed = await watchRequests(chainSim, () => chained.pulumi(["preview"]));
      expectSucceeded(previewed.result);
      // The view's triggers changed; its dependents' are unknown until it has rerun, so all three show.
      expect(previewed.result.output).to.match(/~ 3 to update/);
      expect(previewed.requests, describeRequests(previewed.requests)).to.have.length(0);

      // The view's run fails: the deployment stops there and nothing downstream is rescheduled.
      chainSim.setJobOutcome(jobs.view, { state: "failed", message: "e2e: the source table is missing" });
      const failed = await watchRequests(chainSim, () =>
        chained.pulumi(["up", "--yes", "--skip-preview"], { allowFailure: true }),
      );
      expect(failed.result.code, failed.result.output).not.to.equal(0);
      expect(failed.result.output).to.include(jobs.view);
      expect(failed.result.output).to.include("e2e: the source table is missing");
      expect(posts(failed.requests)).to.deep.equal([`/jobs/${jobs.view}/reschedule 200`]);
      expect(chainSim.appliedReschedules(jobs.stats) + chainSim.appliedReschedules(jobs.delivery)).to.equal(
        0,
      );

      // Fixed: the next up reruns the view, waits for it, then the statistics, then the delivery.
      chainSim.setJobOutcome(jobs.view, { state: "completed" });
      const applied = await watchRequests(chainSim, () => chained.pulumi(["up", "--yes", "--skip-preview"]));
      expectSucceeded(applied.result);
      expect(posts(applied.requests)).to.deep.equal([
        `/jobs/${jobs.view}/reschedule 200`,
        `/jobs/${jobs.stats}/reschedule 200`,
        `/jobs/${jobs.delivery}/reschedule 200`,
      ]);
      const postedAt = (jobId: string): number =>
        Date.parse(
          applied.requests.find((request) => request.path === `/jobs/${jobId}/reschedule`)?.time ?? "",
        );
      const endedAt = (jobId: string): number => Date.parse(`${String(chainSim.job(jobId)?.ended_at)}Z`);
      expect(postedAt(jobs.stats), "statistics rescheduled after the view finished").to.be.at.least(
        endedAt(jobs.view),
      );
      expect(postedAt(jobs.delivery), "delivery rescheduled after the statistics finished").to.be.at.least(
        endedAt(jobs.stats),
      );
      expect(await chained.outputs()).to.deep.include({
        reruns: { view: 2, stats: 1, delivery: 1 },
        states: { view: "completed", stats: "completed", delivery: "pending" },
      });
    } finally {
      await chainSim.close();
    }
  });
});
