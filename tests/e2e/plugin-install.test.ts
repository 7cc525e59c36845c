/**
 * The `narrative` provider plugin as a user installs and configures it, through the real CLI and Pulumi's YAML
 * language host: the packed package installed with `npm install -g` (which puts `pulumi-resource-narrative` on
 * PATH), `pulumi package get-schema`, examples/yaml word for word with its `getJob`, an explicit provider whose
 * token comes from a secret, and `pulumi import`. Every program lives outside the repository.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startSimulator, type Simulator } from "../../provider/simulator";
import { JOB_RERUN_TOKEN } from "../../provider/hosts/plugin/schema";
import { ensurePulumiCli, PulumiWorkspace, REPO_ROOT, runCommand } from "../../scripts/pulumi-harness";
import { expectInNoOutput, expectInNoStateFile, tokenLeaks } from "../support/token-leaks";
import { packedTarball } from "../support/packing";
import { cleanUpAfter } from "../support/e2e";
import { describeRequests, expectSucceeded, SEED_JOB_ID, watchRequests } from "../support/e2e-steps";

const SNAPSHOT_ID = "1724919539450264600";

/** One JobRerun, the plugin found on PATH. */
const SINGLE_RERUN = `name: narrative-single
runtime: yaml
resources:
  rerun:
    type: narrative:index:JobRerun
    properties:
      jobId: ${SEED_JOB_ID}
      triggers: v1
outputs:
  snapshotId: \${rerun.job["result"]["snapshot_id"]}
`;

describe("e2e: the narrative plugin installed with npm install -g, configured as any provider", function () {
  this.timeout(180_000);

  const token = `tok-PLUGIN-${randomBytes(12).toString("hex")}`;
  let prefix: string;
  let binDir: string;
  let sim: Simulator;
  const workspaces: PulumiWorkspace[] = [];
  const dirs: string[] = [];

  before(async function () {
    // npm install -g of the tarball fetches its dependencies and @pulumi/pulumi (a peer) from the npm cache.
    this.timeout(600_000);
    prefix = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-global-"));
    dirs.push(prefix);
    await runCommand(
      "npm",
      [
        "install",
        "-g",
        "--prefix",
        prefix,
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        await packedTarball(),
      ],
      { cwd: prefix, timeoutMs: 540_000 },
    );
    binDir = path.join(prefix, "bin");
    sim = await startSimulator({ frozen: true, token });
  });

  cleanUpAfter(() => ({ workspaces, servers: [sim], dirs }));

  /** A YAML project outside the repository whose CLI finds the plugin only on PATH, in npm's global bin. */
  async function project(name: string, program: string): Promise<PulumiWorkspace> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), `${name}-`));
    dirs.push(dir);
    await fs.writeFile(path.join(dir, "Pulumi.yaml"), program);
    // npm's global bin first, as after `npm install -g` with that prefix; no node_modules/.bin of this
    // repository (npm puts it on the test's PATH), so that only the installed copy can be found.
    const inherited = (process.env["PATH"] ?? "")
      .split(path.delimiter)
      .filter((entry) => !entry.endsWith(path.join("node_modules", ".bin")));
    const env = { PATH: [binDir, await ensurePulumiCli(), ...inherited].join(path.delimiter) };
    const workspace = await PulumiWorkspace.create({
      project: name,
      dir,
      existingProject: true,
      removeDir: false,
      env,
    });
    workspaces.push(workspace);
    return workspace;
  }

  it("puts pulumi-resource-narrative on PATH; pulumi package get-schema prints the schema it serves", async () => {
    expect(existsSync(path.join(binDir, "pulumi-resource-narrative")), "the executable on PATH").to.equal(
      true,
    );
    const workspace = await project("narrative-schema", "name: narrative-schema\nruntime: yaml\n");

    // By path: given a bare name, the CLI asks the Pulumi registry first, which an offline machine cannot reach.
    const result = await workspace.pulumi([
      "package",
      "get-schema",
      path.join(binDir, "pulumi-resource-narrative"),
    ]);

    expect(JSON.parse(result.stdout)).to.deep.equal(
      JSON.parse(await fs.readFile(path.join(REPO_ROOT, "schema.json"), "utf8")),
    );
  });

  it("runs examples/yaml as written: getJob reads in preview, a trigger change sends one POST", async () => {
    const example = await fs.readFile(path.join(REPO_ROOT, "examples", "yaml", "Pulumi.yaml"), "utf8");
    const workspace = await project("narrative-yaml", example);
    await workspace.configureNarrative(sim.url, token);
    await workspace.setConfig("jobId", SEED_JOB_ID);
    await workspace.setConfig("sqlHash", "v1");

    const created = await watchRequests(sim, () => workspace.pulumi(["up", "--yes", "--skip-preview"]));
    expectSucceeded(created.result);
    expect(created.result.output).to.include(`using pulumi-resource-narrative from $PATH at ${binDir}`);
    expect(created.writes, describeRequests(created.requests)).to.deep.equal([]);
    expect(await workspace.outputs()).to.include({
      state: "completed",
      stateWhenRead: "completed",
      rescheduleCount: 0,
      snapshotId: SNAPSHOT_ID,
    });

    await workspace.setConfig("sqlHash", "v2");
    const preview = await watchRequests(sim, () => workspace.pulumi(["preview"]));
    expectSucceeded(preview.result);
    expect(preview.result.output).to.match(/~ 1 to update/);
    // The one read is getJob's, which reads in preview too; nothing that changes the job.
    expect(preview.requests.map((request) => `${request.method} ${request.path}`)).to.deep.equal([
      `GET /jobs/${SEED_JOB_ID}`,
    ]);

    const updated = await watchRequests(sim, () => workspace.pulumi(["up", "--yes", "--skip-preview"]));
    expectSucceeded(updated.result);
    expect(
      updated.writes.map((request) => `${request.method} ${request.path} ${request.body}`),
    ).to.deep.equal([`POST /jobs/${SEED_JOB_ID}/reschedule {"force":true}`]);
    expect(await workspace.outputs()).to.include({ outcome: "rescheduled", rescheduleCount: 1 });
  });

  it("pulumi import adopts an existing job: it reads the job, sends nothing else, triggers still to set", async () => {
    const workspace = workspaces[workspaces.length - 1];
    if (workspace === undefined) {
      throw new Error("the examples/yaml stack is missing");
    }
    const imported = await watchRequests(sim, () =>
      workspace.pulumi(["import", JOB_RERUN_TOKEN, "adopted", SEED_JOB_ID, "--yes"]),
    );

    expectSucceeded(imported.result);
    expect(imported.result.output).to.match(/narrative:index:JobRerun\s+adopted\s+imported/);
    // The import's preview reads the job, and so does the import itself: reads only.
    expect(imported.requests.length).to.be.above(0);
    expect(
      imported.requests.filter(
        (request) => `${request.method} ${request.path}` !== `GET /jobs/${SEED_JOB_ID}`,
      ),
      describeRequests(imported.requests),
    ).to.deep.equal([]);
    const adopted = (await workspace.exportStack()).resources.find((resource) =>
      resource.urn.endsWith("::adopted"),
    );
    expect(adopted?.id).to.equal(SEED_JOB_ID);
    expect(adopted?.outputs).to.deep.include({ jobId: SEED_JOB_ID, triggers: null, rescheduleCount: 0 });
  });

  it("an explicit provider takes its token from a secret; the token is encrypted in the state and nowhere else", async () => {
    const other = `tok-OTHER-${randomBytes(12).toString("hex")}`;
    const staging = await startSimulator({ frozen: true, token: other });
    try {
      const workspace = await project(
        "narrative-explicit",
        `name: narrative-explicit
runtime: yaml
config:
  stagingApiUrl:
    type: string
  stagingToken:
    type: string
    secret: true
  sqlHash:
    type: string
resources:
  staging:
    type: pulumi:providers:narrative
    properties:
      apiUrl: \${stagingApiUrl}
      token: \${stagingToken}
  rerun:
    type: narrative:index:JobRerun
    properties:
      jobId: ${SEED_JOB_ID}
      triggers:
        sql: \${sqlHash}
    options:
      provider: \${staging}
outputs:
  outcome: \${rerun.outcome}
  state: \${rerun.state}
`,
      );
      // No narrative:token in the stack: only the explicit provider knows a token.
      await workspace.setConfig("stagingApiUrl", staging.url);
      await workspace.setConfig("stagingToken", other, { secret: true });
      await workspace.setConfig("sqlHash", "v1");
      expectSucceeded(await workspace.pulumi(["up", "--yes", "--skip-preview"]));
      await workspace.setConfig("sqlHash", "v2");
      const before = sim.requests.length;

      const updated = await watchRequests(staging, () => workspace.pulumi(["up", "--yes", "--skip-preview"]));

      expectSucceeded(updated.result);
      expect(updated.writes.map((request) => request.path)).to.deep.equal([
        `/jobs/${SEED_JOB_ID}/reschedule`,
      ]);
      expect(staging.requests.every((request) => request.authorized)).to.equal(true);
      expect(sim.requests.length, "the default provider's API got nothing").to.equal(before);
      expect(await workspace.outputs()).to.include({ outcome: "rescheduled" });
      const { text, resources } = await workspace.exportStack();
      const provider = resources.find((resource) => resource.type === "pulumi:providers:narrative");
      expect(JSON.stringify(provider?.inputs?.["token"])).to.include("ciphertext");
      expect(tokenLeaks(text, other)).to.deep.equal([]);
      await expectInNoStateFile(workspace, other);
      expectInNoOutput(workspace, other);
    } finally {
      await staging.close();
    }
  });

  it("a plain-http narrative:apiUrl stops the deployment before anything is sent, naming the setting", async () => {
    const workspace = await project("narrative-http", SINGLE_RERUN);
    // TEST-NET-1: nothing listens there, and nothing may be sent there either.
    await workspace.setConfig("narrative:apiUrl", "http://192.0.2.1:8080");
    await workspace.setConfig("narrative:token", token, { secret: true });
    const before = sim.requests.length;

    const refused = await workspace.pulumi(["up", "--yes"], { allowFailure: true });

    expect(refused.code, refused.output).not.to.equal(0);
    expect(refused.output).to.include("narrative:apiUrl must use https://");
    expect(sim.requests.length).to.equal(before);
    expect((await workspace.exportStack()).resources.filter((r) => r.type === JOB_RERUN_TOKEN)).to.deep.equal(
      [],
    );
  });

  it("a narrative:apiUrl with a user name and password stops the deployment naming the setting; the password printed nowhere", async () => {
    const workspace = await project("narrative-userinfo", SINGLE_RERUN);
    const password = `pw-${randomBytes(6).toString("hex")}`;
    await workspace.setConfig("narrative:apiUrl", `https://alice:${password}@api.narrative.io`);
    await workspace.setConfig("narrative:token", token, { secret: true });
    const before = sim.requests.length;

    const refused = await workspace.pulumi(["up", "--yes"], { allowFailure: true });

    expect(refused.code, refused.output).not.to.equal(0);
    expect(refused.output).to.include("narrative:apiUrl must not contain a user name or password");
    // CheckConfig names no property, so the engine prints no value beside the reason.
    expect(refused.output).not.to.include(password).and.not.to.include("alice");
    expect(sim.requests.length).to.equal(before);
  });

  it("a token given as plain text to an explicit provider is still encrypted in the state", async () => {
    const literal = `tok-LITERAL-${randomBytes(12).toString("hex")}`;
    const workspace = await project(
      "narrative-literal",
      `name: narrative-literal
runtime: yaml
resources:
  literal:
    type: pulumi:providers:narrative
    properties:
      token: ${literal}
`,
    );

    expectSucceeded(await workspace.pulumi(["up", "--yes", "--skip-preview"]));

    const { resources } = await workspace.exportStack();
    const provider = resources.find((resource) => resource.type === "pulumi:providers:narrative");
    expect(JSON.stringify(provider?.inputs?.["token"])).to.include("ciphertext");
    await expectInNoStateFile(workspace, literal);
  });

  it('Pulumi YAML reaches into job with ["…"] only: ${rerun.job.result} is refused by its type checker', async () => {
    const workspace = await project(
      "narrative-dot",
      SINGLE_RERUN.replace("outputs:\n", "outputs:\n  result: ${rerun.job.result}\n"),
    );
    await workspace.configureNarrative(sim.url, token);

    const refused = await workspace.pulumi(["preview"], { allowFailure: true });

    expect(refused.code).not.to.equal(0);
    expect(refused.output).to.include("cannot access a property on 'rerun.job' (type any)");
  });

  it("npm run plugin-tarball makes a tarball that pulumi plugin install --file installs offline, and it serves", async () => {
    const outDir = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-plugin-tarball-"));
    dirs.push(outDir);
    // From the run's packed package: building here would rewrite lib/ under the files running beside this one.
    const made = await runCommand(
      path.join(REPO_ROOT, "scripts", "plugin-tarball"),
      [outDir, await packedTarball()],
      {
        cwd: REPO_ROOT,
        timeoutMs: 300_000,
      },
    );
    const tarball = made.stdout.trim().split("\n").pop() ?? "";
    expect(path.basename(tarball)).to.match(/^pulumi-resource-narrative-v\d+\.\d+\.\d+\.tar\.gz$/);
    const version = /v(\d+\.\d+\.\d+)\.tar\.gz$/.exec(tarball)?.[1] ?? "";
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-cached-"));
    dirs.push(dir);
    await fs.writeFile(
      path.join(dir, "Pulumi.yaml"),
      SINGLE_RERUN.replace("narrative-single", "narrative-cached"),
    );
    // No plugin on PATH, and PATH not even looked at: only Pulumi's plugin cache can serve the program.
    const inherited = (process.env["PATH"] ?? "")
      .split(path.delimiter)
      .filter((entry) => !entry.endsWith(path.join("node_modules", ".bin")));
    const workspace = await PulumiWorkspace.create({
      project: "narrative-cached",
      dir,
      existingProject: true,
      removeDir: false,
      env: {
        PATH: [await ensurePulumiCli(), ...inherited].join(path.delimiter),
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
      },
    });
    workspaces.push(workspace);
    await workspace.pulumi(["plugin", "install", "resource", "narrative", version, "--file", tarball]);
    await workspace.configureNarrative(sim.url, token);

    const { result, writes } = await watchRequests(sim, () =>
      workspace.pulumi(["up", "--yes", "--skip-preview"]),
    );

    expectSucceeded(result);
    expect(writes).to.deep.equal([]);
    expect(await workspace.outputs()).to.include({ snapshotId: SNAPSHOT_ID });
  });
});
