/**
 * End-to-end cases 1 to 9: one stack, walked in order by the real Pulumi CLI against the simulator over
 * loopback, the way a user lives with a JobRerun: create it, change its triggers, preview, apply, re-apply,
 * upgrade the package, survive an API outage, refresh, inspect the state, destroy.
 *
 * The simulator's clock is frozen: jobs only move through pending → running → completed when a case
 * advances it. Each case asserts on what the user sees and on the requests the API received.
 */
import { expect } from "chai";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { startSimulator, type Simulator } from "../../provider/simulator";
import { PROVIDER_TEXT } from "../../provider/hosts/dynamic/provider-text";
import { distinctiveToken, listFiles, PulumiWorkspace, REPO_ROOT } from "../../scripts/pulumi-harness";
import { jobRerunProgram } from "../support/e2e-programs";
import { storedFigures, skipTheRestAfterAFailure } from "../support/e2e";
import {
  casesOneToThree,
  describeRequests,
  expectSucceeded,
  SECOND_TRIGGERS,
  SEED_JOB_ID,
  watchRequests,
  type LifecycleContext,
} from "../support/e2e-steps";

const RESOURCE_NAME = "audience-view";
const THIRD_TRIGGERS = { release: "2024.06.3", sql: "sha256:9b7e44" };
const MAX_PROVIDER_TEXT_BYTES = 2048;

/**
 * Installs a copy of the built package, as npm would lay it out (package.json and its `files`), in
 * `dir`/node_modules, and returns its directory. The program and Pulumi's dynamic provider host both resolve
 * the package from the project's directory first, so this stack runs the copy: case 5 can rebuild it while
 * other test files use the repository's lib/ at the same time. Its dependencies still resolve from the
 * repository's node_modules, above.
 */
async function installCopyOfThePackage(dir: string): Promise<string> {
  const packageDir = path.join(dir, "node_modules", "pulumi-narrative-jobs");
  const manifest = JSON.parse(await fs.readFile(path.join(REPO_ROOT, "package.json"), "utf8")) as {
    files: string[];
  };
  for (const entry of ["package.json", ...manifest.files]) {
    await fs.cp(path.join(REPO_ROOT, entry), path.join(packageDir, entry), { recursive: true });
  }
  return packageDir;
}

describe("e2e: a JobRerun through the Pulumi CLI, cases 1-9 in order", function () {
  // Each CLI command takes a few seconds; a case runs up to four of them.
  this.timeout(120_000);

  const token = distinctiveToken("lifecycle");
  let sim: Simulator;
  let workspace: PulumiWorkspace;
  let context: LifecycleContext;
  /** This stack's own copy of the package, which case 5 rebuilds. */
  let packageDir: string;

  before(async function () {
    // Generous: on a machine without a cached CLI, ensure-pulumi builds one first (npm test does it before).
    this.timeout(600_000);
    sim = await startSimulator({ frozen: true, token });
    workspace = await PulumiWorkspace.create({ project: "narrative-e2e", program: jobRerunProgram() });
    packageDir = await installCopyOfThePackage(workspace.dir);
    await workspace.configureNarrative(sim.url, token);
    context = { workspace, sim, resourceName: RESOURCE_NAME };
  });

  after(async function () {
    this.timeout(60_000);
    await workspace?.dispose();
    await sim?.close();
  });

  // The cases build on each other: after a failure the rest would only report the same failure again.
  skipTheRestAfterAFailure();

  casesOneToThree(() => context);

  /** `pulumi up` that must find nothing to change and send no request. */
  async function upChangesNothing(): Promise<void> {
    const { result, requests } = await watchRequests(sim, () =>
      workspace.pulumi(["up", "--yes", "--skip-preview", "--expect-no-changes"]),
    );

    expectSucceeded(result);
    expect(result.output).to.match(/2 unchanged/);
    // The summary line of each kind of step: none but "unchanged" may appear.
    expect(result.output).not.to.match(/[~+-] \d+ (updated|created|deleted|replaced)/);
    // diff is pure, so an unchanged stack costs the API nothing, not even a read.
    expect(requests, describeRequests(requests)).to.have.length(0);
  }

  it("4. up with nothing changed sends no request and leaves the resource unchanged", async () => {
    await upChangesNothing();

    expect(await workspace.outputs()).to.include({ outcome: "rescheduled", rescheduleCount: 1 });
  });

  it("5. a new build of the package with the same inputs: no update, no write", async () => {
    // Only the provider code changes: the compiled implementation gets a new line, and the text the engine
    // stores as __provider (lib/hosts/dynamic/provider-text.js) a different body, as an upgrade from an older release would. The
    // stack's own copy is rebuilt, never the repository's lib/: other test files run at the same time and load
    // (or pack) that one.
    const shimFile = path.join(packageDir, "lib", "hosts", "dynamic", "provider-text.js");
    const providerFile = path.join(packageDir, "lib", "hosts", "dynamic", "provider.js");
    const originals = new Map<string, Buffer>();
    for (const file of [shimFile, providerFile]) {
      originals.set(file, await fs.readFile(file));
    }
    const marker = `e2e-new-build-${Date.now()}`;
    try {
      const shim = originals.get(shimFile)?.toString() ?? "";
      const rebuiltShim = shim.replace("'exports.handler = ", `'/* ${marker} */ exports.handler = `);
      expect(
        rebuiltShim,
        "lib/hosts/dynamic/provider-text.js no longer has the provider text this case edits",
      ).not.to.equal(shim);
      await fs.writeFile(shimFile, rebuiltShim);
      await fs.appendFile(providerFile, `\n// ${marker}\n`);
      const [storedBefore] = await workspace.jobReruns();
      expect(storedBefore?.inputs?.["__provider"]).to.be.a("string").and.not.include(marker);

      await upChangesNothing();

      // The engine recorded the new build's provider text, so this run really loaded the rebuilt package.
      const [storedAfter] = await workspace.jobReruns();
      expect(storedAfter?.inputs?.["__provider"]).to.be.a("string").and.include(marker);
      expect(storedFigures(storedAfter)).to.deep.include({ triggers: SECOND_TRIGGERS, rescheduleCount: 1 });
    } finally {
      // The later cases run the release as built again (case 8 checks the text it stores).
      for (const [file, content] of originals) {
        await fs.writeFile(file, content);
      }
    }
    // The repository's build was never touched.
    expect(
      await fs.readFile(path.join(REPO_ROOT, "lib", "hosts", "dynamic", "provider-text.js"), "utf8"),
    ).not.to.include(marker);
  });

  it("6. a reschedule failing past the retry budget fails up and keeps the old triggers; after recovery, one reschedule", async () => {
    // A short budget keeps this case fast: 1 s per attempt, 3 s for the whole reschedule.
    await workspace.setConfig("narrative:attemptTimeout", "1s");
    await workspace.setConfig("narrative:totalTimeout", "3s");
    await workspace.setConfig("triggers", JSON.stringify(THIRD_TRIGGERS));
    sim.fault(`POST /jobs/${SEED_JOB_ID}/reschedule`, ...Array.from({ length: 20 }, () => ({ status: 503 })));
    const appliedBefore = sim.appliedReschedules(SEED_JOB_ID);

    const failing = await watchRequests(sim, () =>
      workspace.pulumi(["up", "--yes", "--skip-preview"], { allowFailure: true }),
    );

    expect(failing.result.code, failing.result.output).not.to.equal(0);
    const error = failing.result.output;
    expect(error).to.match(
      new RegExp(`error: POST /jobs/${SEED_JOB_ID}/reschedule on 127\\.0\\.0\\.1:\\d+ failed with 503`),
    );
    expect(error).to.match(/after \d+ attempts/);
    expect(error).to.match(/budget/);
    expect(error).not.to.include(token);
    // It retried, each POST met a fault, and none was applied.
    const posts = failing.writes;
    expect(posts.length, describeRequests(failing.requests)).to.be.at.least(2);
    for (const post of posts) {
      expect(post).to.include({ method: "POST", status: 503, fault: "status 503" });
    }
    expect(sim.appliedReschedules(SEED_JOB_ID)).to.equal(appliedBefore);
    // The failed step left the previous state, so the next up sees the same change again.
    const [kept] = await workspace.jobReruns();
    expect(kept?.inputs?.["triggers"]).to.deep.equal(SECOND_TRIGGERS);
    expect(storedFigures(kept)).to.deep.include({ triggers: SECOND_TRIGGERS, rescheduleCount: 1 });

    sim.clearFaults();
    await workspace.removeConfig("narrative:attemptTimeout");
    await workspace.removeConfig("narrative:totalTimeout");

    const recovered = await watchRequests(sim, () => workspace.pulumi(["up", "--yes", "--skip-preview"]));

    expectSucceeded(recovered.result);
    expect(recovered.result.output).to.match(/~ 1 updated/);
    expect(recovered.writes, describeRequests(recovered.requests)).to.have.length(1);
    expect(recovered.writes[0]).to.include({
      method: "POST",
      path: `/jobs/${SEED_JOB_ID}/reschedule`,
      status: 200,
      body: '{"force":true}',
      outcome: "rescheduled",
    });
    expect(sim.appliedReschedules(SEED_JOB_ID)).to.equal(appliedBefore + 1);
    expect(await workspace.outputs()).to.include({
      outcome: "rescheduled",
      state: "pending",
      rescheduleCount: 2,
    });
    const [applied] = await workspace.jobReruns();
    expect(applied?.outputs?.["triggers"]).to.deep.equal(THIRD_TRIGGERS);
  });

  it("7. refresh after the job finished: the outputs show it completed", async () => {
    sim.advance(60_000);
    expect(sim.job(SEED_JOB_ID)?.state).to.equal("completed");

    // --run-program recomputes the stack outputs from the refreshed resource; a plain refresh updates only
    // the resource's stored outputs.
    const { result, requests, writes } = await watchRequests(sim, () =>
      workspace.pulumi(["refresh", "--yes", "--skip-preview", "--run-program"]),
    );

    expectSucceeded(result);
    expect(result.output).to.match(/state\s*: "pending" => "completed"/);
    expect(writes, describeRequests(requests)).to.have.length(0);
    expect(requests.map((request) => `${request.method} ${request.path} ${request.status}`)).to.deep.equal([
      `GET /jobs/${SEED_JOB_ID} 200`,
    ]);
    const outputs = await workspace.outputs();
    expect(outputs).to.include({ state: "completed", outcome: "rescheduled", rescheduleCount: 2 });
    expect(outputs["job"]).to.deep.include({ job_id: SEED_JOB_ID, state: "completed" });
    expect((outputs["job"] as Record<string, unknown>)["ended_at"]).to.be.a("string");
    const [stored] = await workspace.jobReruns();
    expect(storedFigures(stored)).to.deep.include({ state: "completed", triggers: THIRD_TRIGGERS });
  });

  it("8. no token in the stack: export, state files, config file and CLI output hold it 0 times; __provider < 2 KB", async () => {
    // The provider did have the token: every request it sent carried it.
    expect(sim.requests.length).to.be.above(0);
    expect(sim.requests.every((request) => request.authorized)).to.equal(true);

    const exported = await workspace.exportStack();
    expect(exported.text.split(token).length - 1).to.equal(0);

    const stateFiles = await workspace.backendFiles();
    expect(stateFiles.some((file) => file.endsWith(".json"))).to.equal(true);
    for (const file of [...stateFiles, ...(await listFiles(workspace.homeDir))]) {
      expect((await fs.readFile(file)).includes(token), `the token is in ${file}`).to.equal(false);
    }
    // The stack configuration holds the token, encrypted.
    const stackConfig = await fs.readFile(path.join(workspace.dir, `Pulumi.${workspace.stack}.yaml`), "utf8");
    expect(stackConfig).to.match(/narrative:token:\s*\n\s*secure: /);
    expect(stackConfig).not.to.include(token);
    for (const command of workspace.transcript) {
      expect(`${command.command}\n${command.output}`, command.command).not.to.include(token);
    }

    const reruns = exported.resources.filter((resource) => resource.type.endsWith("narrative:JobRerun"));
    expect(reruns).to.have.length(1);
    for (const rerun of reruns) {
      for (const [where, properties] of Object.entries({ inputs: rerun.inputs, outputs: rerun.outputs })) {
        const text = properties?.["__provider"];
        expect(text, `${where}.__provider`).to.be.a("string");
        expect(Buffer.byteLength(String(text)), `${where}.__provider bytes`).to.be.below(
          MAX_PROVIDER_TEXT_BYTES,
        );
        expect(text, `${where}.__provider`).to.equal(PROVIDER_TEXT);
        expect(String(text)).not.to.include(sim.url);
      }
    }
  });

  it("9. destroy sends no request to the API and leaves the stack empty", async () => {
    const { result, requests } = await watchRequests(sim, () =>
      workspace.pulumi(["destroy", "--yes", "--skip-preview"]),
    );

    expectSucceeded(result);
    expect(result.output).to.match(/- 2 deleted/);
    expect(requests, describeRequests(requests)).to.have.length(0);
    expect((await workspace.exportStack()).resources).to.have.length(0);
    expect(await workspace.outputs()).to.deep.equal({});
    // The job itself is untouched: a JobRerun only ever leaves the stack.
    expect(sim.job(SEED_JOB_ID)?.state).to.equal("completed");
  });
});
