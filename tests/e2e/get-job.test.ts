/**
 * Reading a job without rerunning it, through the Pulumi CLI: a TypeScript program (programs.ts,
 * READ_JOB_PROGRAM) exports a job's last `result.snapshot_id` and its state with `getJobOutput`, and feeds the
 * snapshot to a JobRerun's triggers. Against the simulator, whose seeded completed job carries a snapshot_id
 * beyond 2^53.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { SEEDED_JOB_IDS, startSimulator, type Simulator } from "../../provider/simulator";
import { listFiles, PulumiWorkspace } from "../../scripts/pulumi-harness";
import { tokenLeaks } from "../support/token-leaks";
import { READ_JOB_PROGRAM, READ_JOB_TSCONFIG } from "../support/e2e-programs";
import { describeRequests, expectSucceeded, watchRequests } from "../support/e2e-steps";
import { skipTheRestAfterAFailure } from "../support/e2e";

const UPSTREAM = SEEDED_JOB_IDS.completed;
const DOWNSTREAM = SEEDED_JOB_IDS.running;
/** The seeded job's result.snapshot_id: a JavaScript number would round it to 1724919539450264600 ± 128. */
const SNAPSHOT_ID = "1724919539450264600";

describe("e2e: reading a job with getJobOutput, through the Pulumi CLI", function () {
  // A TypeScript program is type-checked on every run, which adds a second or two per command.
  this.timeout(120_000);

  // Random base64 (slashes, pluses), so that any 8 characters of it found anywhere are a leak: a readable
  // prefix such as distinctiveToken's would be found in every "narrative:token".
  const token = `gj${randomBytes(18).toString("base64")}`;
  let sim: Simulator;
  let workspace: PulumiWorkspace;

  before(async () => {
    sim = await startSimulator({ frozen: true, token });
    workspace = await PulumiWorkspace.create({ project: "narrative-read-job" });
    await fs.writeFile(
      path.join(workspace.dir, "package.json"),
      `${JSON.stringify({ name: "narrative-read-job", private: true, main: "index.ts" }, null, 2)}\n`,
    );
    await fs.writeFile(path.join(workspace.dir, "index.ts"), READ_JOB_PROGRAM);
    await fs.writeFile(path.join(workspace.dir, "tsconfig.json"), READ_JOB_TSCONFIG);
    await workspace.configureNarrative(sim.url, token);
    await workspace.setConfig("upstreamJobId", UPSTREAM);
    await workspace.setConfig("downstreamJobId", DOWNSTREAM);
  });

  after(async function () {
    this.timeout(60_000);
    await workspace?.dispose();
    await sim?.close();
  });

  skipTheRestAfterAFailure();

  it("`pulumi preview` reads the job (one GET, no POST) and shows its snapshot digit for digit", async () => {
    const { result, requests, writes } = await watchRequests(sim, () => workspace.pulumi(["preview"]));

    expectSucceeded(result);
    // The JobRerun's create is not run in preview: the only request is the read.
    expect(requests.map((request) => `${request.method} ${request.path} ${request.status}`)).to.deep.equal([
      `GET /jobs/${UPSTREAM} 200`,
    ]);
    expect(writes).to.have.length(0);
    expect(result.output).to.match(new RegExp(`snapshotId\\s*: "${SNAPSHOT_ID}"`));
    expect(result.output).to.match(/upstreamState\s*: "completed"/);
    // The snapshot is known in preview, so the JobRerun's triggers are too.
    expect(result.output).to.match(/\+ 2 to create/);
  });

  it("`pulumi up` exports the snapshot's exact digits and the state; nothing is rescheduled", async () => {
    const { result, requests, writes } = await watchRequests(sim, () =>
      workspace.pulumi(["up", "--yes", "--skip-preview"]),
    );

    expectSucceeded(result);
    expect(writes, describeRequests(requests)).to.have.length(0);
    expect(requests.map((request) => `${request.method} ${request.path}`).sort()).to.deep.equal(
      [`GET /jobs/${UPSTREAM}`, `GET /jobs/${DOWNSTREAM}`].sort(),
    );
    const outputs = await workspace.outputs();
    expect(outputs).to.deep.equal({
      snapshotId: SNAPSHOT_ID,
      upstreamState: "completed",
      downstreamState: "running",
    });
    const [downstream] = await workspace.jobReruns();
    expect(JSON.stringify(downstream?.outputs?.["triggers"])).to.equal(
      JSON.stringify({ upstreamSnapshot: SNAPSHOT_ID }),
    );
    expect(sim.appliedReschedules(UPSTREAM)).to.equal(0);
  });

  it("a jobId that is not a UUID fails preview and up with the error naming jobId, and nothing is sent", async function () {
    this.timeout(300_000);
    await workspace.setConfig("upstreamJobId", "job-42");
    for (const command of [["preview"], ["up", "--yes", "--skip-preview"]]) {
      const started = Date.now();
      const { result, requests } = await watchRequests(sim, () =>
        workspace.pulumi(command, { allowFailure: true }),
      );
      // The error's stack is its first line: a full one, formatted through source maps, takes minutes
      // (docs/performance.md, Failures print at once).
      expect(Date.now() - started).to.be.below(90_000);
      expect(result.code, result.output).not.to.equal(0);
      expect(result.output).to.include(
        'getJob: jobId must be a Narrative job UUID such as 2a5b9ad7-dc8f-47bb-8e62-843a38f8054c; got "job-42". ' +
          "Nothing was sent.",
      );
      expect(requests, describeRequests(requests)).to.have.length(0);
    }
    await workspace.setConfig("upstreamJobId", UPSTREAM);
  });

  it("`pulumi preview` of a program that reads a job needs the token: without it, the error says how to set it", async () => {
    await workspace.removeConfig("narrative:token");
    const { result, requests } = await watchRequests(sim, () =>
      workspace.pulumi(["preview"], { allowFailure: true }),
    );
    await workspace.setConfig("narrative:token", token, { secret: true });
    expect(result.code, result.output).not.to.equal(0);
    expect(result.output).to.include(
      "No Narrative API token: set it with `pulumi config set --secret narrative:token",
    );
    expect(requests, describeRequests(requests)).to.have.length(0);
  });

  it("the token is in no CLI output, stack output, state file or backup, in any encoding", async () => {
    // The read did carry it: the simulator refuses requests without it.
    expect(sim.requests.length).to.be.above(0);
    expect(sim.requests.every((request) => request.authorized)).to.equal(true);
    const texts: [string, string][] = workspace.transcript.map((command) => [
      command.command,
      `${command.command}\n${command.output}`,
    ]);
    texts.push(["pulumi stack export", (await workspace.exportStack()).text]);
    texts.push(["pulumi stack output", JSON.stringify(await workspace.outputs())]);
    const stateFiles = await workspace.backendFiles();
    expect(
      stateFiles.some((file) => file.endsWith(".json")),
      "the backend holds the stack's state",
    ).to.equal(true);
    for (const file of [...stateFiles, ...(await listFiles(workspace.homeDir))]) {
      texts.push([file, await fs.readFile(file, "latin1")]);
    }
    for (const [where, text] of texts) {
      expect(tokenLeaks(text, token), where).to.deep.equal([]);
    }
  });
});
