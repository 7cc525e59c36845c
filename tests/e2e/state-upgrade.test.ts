/**
 * Upgrading the package under an existing stack. Each fixture in tests/fixtures/state/ is a `pulumi stack
 * export` of a stack that an earlier commit of this package wrote (README.md there says which and how). Each is
 * imported into a fresh stack and the current build runs over it through the real Pulumi CLI: `pulumi preview`
 * shows no change, `pulumi up` sends the API no request, every stack output is present and holds what it held
 * before the upgrade, and `pulumi refresh` works.
 *
 * One simulator and one project directory with one backend serve every fixture; each fixture gets a stack of
 * its own name (the URNs in its export carry it).
 */
import { expect } from "chai";
import { parse } from "lossless-json";
import { promises as fs, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { startSimulator, type Simulator } from "../../provider/simulator";
import { JOB_RERUN_TYPE } from "../../provider/hosts/dynamic/provider-text";
import { PulumiWorkspace, REPO_ROOT, type CliResult } from "../../scripts/pulumi-harness";
import { describeRequests, expectSucceeded, watchRequests } from "../support/e2e-steps";

const FIXTURES_DIR = path.join(REPO_ROOT, "tests", "fixtures", "state");

/**
 * What `pulumi preview` must show right after a fixture is imported into the current build.
 *
 * - "no-changes": nothing to do: the preview shows no diff, and `up` sends nothing.
 * - "update-sending-nothing": one update per JobRerun that changes only the stored shape: `pulumi up` applies
 *   it without any API request, and a preview after it shows no changes. For a shape whose outputs the
 *   program cannot read until the state is rewritten (@pulumi/pulumi resolves only the properties a program
 *   registers, so figures stored at the top level never reach a program that registers `status`).
 *
 * Every fixture must have an entry: a new fixture is not run on a guess.
 */
type PreviewExpectation = "no-changes" | "update-sending-nothing";

const EXPECTED_PREVIEW: Readonly<Record<string, PreviewExpectation>> = {
  // A flat state's outputs cannot reach the program (it registers only `status`, and @pulumi/pulumi drops stored
  // outputs a program did not register), so the first `up` after the upgrade rewrites it, sending nothing.
  "closure-flat-before-wait": "update-sending-nothing",
  "closure-flat": "update-sending-nothing",
  "text-flat": "update-sending-nothing",
  "text-status": "no-changes",
  "text-status-v3": "no-changes",
  "text-catch-status-v3": "no-changes",
  "text-status-v4": "no-changes",
};

/** fixture.json, written by scripts/make-state-fixture.sh. */
interface FixtureInfo {
  commit: string;
  subject: string;
  stack: string;
  project: string;
  apiUrl: string;
  token: string;
  passphrase: string;
}

interface Fixture extends FixtureInfo {
  name: string;
  dir: string;
  /** The export exactly as stored. */
  exportText: string;
  /** The stack outputs the program had when the fixture was made. */
  stackOutputs: Record<string, unknown>;
  jobReruns: number;
}

interface StateResource {
  type: string;
  outputs?: Record<string, unknown>;
}

function loadFixtures(): Fixture[] {
  return readdirSync(FIXTURES_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      const dir = path.join(FIXTURES_DIR, entry.name);
      const info = JSON.parse(readFileSync(path.join(dir, "fixture.json"), "utf8")) as FixtureInfo;
      const exportText = readFileSync(path.join(dir, "export.json"), "utf8");
      const resources =
        (JSON.parse(exportText) as { deployment?: { resources?: StateResource[] } }).deployment?.resources ??
        [];
      const stack = resources.find((resource) => resource.type === "pulumi:pulumi:Stack");
      return {
        ...info,
        name: entry.name,
        dir,
        exportText,
        stackOutputs: stack?.outputs ?? {},
        jobReruns: resources.filter((resource) => resource.type === JOB_RERUN_TYPE).length,
      };
    });
}

/**
 * The job as a program reads it from the current build: the stored text parsed with every integer beyond
 * ±(2^53−1) kept as its exact decimal string (resource.ts), every other value as JSON has it.
 */
function jobAsRead(jobJson: string): unknown {
  return parse(jobJson, null, (digits) => {
    const value = Number(digits);
    return /^-?\d+$/.test(digits) && !Number.isSafeInteger(value) ? digits : value;
  });
}

/** The lines of a CLI run that are warnings or errors, such as "warning: Undefined value (createdState) …". */
function warnings(result: CliResult): string[] {
  return result.output.split("\n").filter((line) => /\b(warning|error):/i.test(line));
}

function expectNoWarning(result: CliResult): void {
  expect(warnings(result), `${result.command} printed warnings`).to.deep.equal([]);
}

/**
 * The one change of a stack output that the current build makes on purpose: a job's integer beyond 2^53, which
 * the oldest fixtures' builds gave as the nearest double, becomes its exact digits (see `jobAsRead`). The CLI
 * shows it as `~ snapshot_id : 1724919539450264576 => "1724919539450264600"` under a changed `<name>Job`
 * output.
 */
const INTENDED_OUTPUT_CHANGE = /^\s*~ \w+\s*: (-?\d+) => "(-?\d+)"$/;

/**
 * The stack outputs a preview or an update shows as added (+), removed (-) or changed (~), and the changed
 * values (`a => b`) other than `INTENDED_OUTPUT_CHANGE`, from the CLI's text. An unchanged output is not
 * listed; a dropped one shows as removed.
 */
function outputChanges(result: CliResult): { outputs: string[]; values: string[] } {
  const outputs: string[] = [];
  const values: string[] = [];
  let inOutputs = false;
  for (const line of result.output.split("\n")) {
    if (/^\s*--outputs:--$/.test(line) || /^Outputs:$/.test(line)) {
      inOutputs = true;
      continue;
    }
    if (/^Resources:$/.test(line)) {
      inOutputs = false;
    }
    if (!inOutputs) {
      continue;
    }
    const output = /^ {2}([~+-]) (\w+)\s*:/.exec(line);
    if (output !== null) {
      outputs.push(`${output[1]} ${output[2]}`);
    }
    const value = /=>/.test(line) ? INTENDED_OUTPUT_CHANGE.exec(line) : null;
    const exactDigits = value !== null && value[2] !== undefined && !Number.isSafeInteger(Number(value[2]));
    if (/=>/.test(line) && !(exactDigits && Number(value?.[1]) === Number(value?.[2]))) {
      values.push(line.trim());
    }
  }
  return { outputs, values };
}

/** Asserts a preview or an update changes no stack output but as `INTENDED_OUTPUT_CHANGE` allows. */
function expectOutputsKept(result: CliResult): void {
  const { outputs, values } = outputChanges(result);
  expect(
    outputs.filter((change) => !/^~ \w+Job$/.test(change)),
    `${result.command}: stack outputs added, removed or changed`,
  ).to.deep.equal([]);
  expect(values, `${result.command}: changed values in the stack outputs`).to.deep.equal([]);
}

const fixtures = loadFixtures();

describe("e2e: stacks written by earlier builds, after the upgrade (tests/fixtures/state)", function () {
  // Each CLI command takes a few seconds.
  this.timeout(120_000);

  let sim: Simulator;
  let workspace: PulumiWorkspace;

  it("every fixture says what its preview must show", () => {
    expect(fixtures.map((fixture) => fixture.name)).to.include.members([
      "closure-flat-before-wait",
      "closure-flat",
      "text-flat",
      "text-status",
    ]);
    for (const fixture of fixtures) {
      expect(
        EXPECTED_PREVIEW,
        `EXPECTED_PREVIEW has no entry for the fixture ${fixture.name}`,
      ).to.have.property(fixture.name);
    }
  });

  before(async function () {
    // Generous: on a machine without a cached CLI, ensure-pulumi builds one first (npm test does it before).
    this.timeout(600_000);
    const [first] = fixtures;
    if (first === undefined) {
      throw new Error(`no fixtures in ${FIXTURES_DIR}`);
    }
    for (const fixture of fixtures) {
      // One simulator and one project serve them all.
      expect(fixture, fixture.name).to.include({
        token: first.token,
        project: first.project,
        passphrase: first.passphrase,
      });
    }
    sim = await startSimulator({ frozen: true, token: first.token });
    workspace = await PulumiWorkspace.create({
      project: first.project,
      stack: "scratch",
      program: await fs.readFile(path.join(first.dir, "index.js"), "utf8"),
      env: { PULUMI_CONFIG_PASSPHRASE: first.passphrase },
    });
  });

  after(async function () {
    this.timeout(60_000);
    await workspace?.dispose();
    await sim?.close();
  });

  for (const fixture of fixtures) {
    describe(`${fixture.name}: written by ${fixture.commit.slice(0, 7)} (${fixture.subject})`, () => {
      const expected = EXPECTED_PREVIEW[fixture.name];
      const stack = fixture.stack;
      const onStack = (args: readonly string[]): string[] => [...args, "--stack", stack];

      // Without the import the rest has nothing to run on; after any other failure it still runs, so that a
      // failing fixture reports everything that is missing at once.
      let imported = false;
      beforeEach(function () {
        if (!imported && this.currentTest?.title.startsWith("imports") !== true) {
          this.skip();
        }
      });

      it("imports into a fresh stack of the current build", async () => {
        // The same API URL as before the upgrade, on this run's simulator: the fixture's URL, as text, becomes
        // this simulator's, in the stack configuration and in the state.
        const rewrite = (text: string): string => text.split(fixture.apiUrl).join(sim.url);
        await fs.copyFile(path.join(fixture.dir, "index.js"), path.join(workspace.dir, "index.js"));
        const projectFile = await fs.readFile(path.join(fixture.dir, "Pulumi.yaml"), "utf8");
        expect(projectFile).to.match(new RegExp(`^name: ${fixture.project}$`, "m"));
        const configFile = `Pulumi.${stack}.yaml`;
        await fs.writeFile(
          path.join(workspace.dir, configFile),
          rewrite(await fs.readFile(path.join(fixture.dir, configFile), "utf8")),
        );
        const importFile = path.join(workspace.dir, `${stack}.import.json`);
        await fs.writeFile(importFile, rewrite(fixture.exportText));

        await workspace.pulumi(["stack", "init", stack]);
        const { result, requests } = await watchRequests(sim, () =>
          workspace.pulumi(onStack(["stack", "import", "--file", importFile])),
        );

        expectSucceeded(result);
        expect(requests, describeRequests(requests)).to.have.length(0);
        const exported = await workspace.pulumi(onStack(["stack", "export"]));
        const resources =
          (JSON.parse(exported.stdout) as { deployment?: { resources?: StateResource[] } }).deployment
            ?.resources ?? [];
        expect(resources.filter((resource) => resource.type === JOB_RERUN_TYPE)).to.have.length(
          fixture.jobReruns,
        );
        imported = true;
      });

      it(`preview: ${expected === "no-changes" ? "no changes" : "an update per JobRerun that sends nothing"}`, async () => {
        const args = ["preview", "--diff", ...(expected === "no-changes" ? ["--expect-no-changes"] : [])];
        const { result, requests } = await watchRequests(sim, () =>
          workspace.pulumi(onStack(args), { allowFailure: true }),
        );

        expectSucceeded(result);
        expect(requests, describeRequests(requests)).to.have.length(0);
        if (expected === "no-changes") {
          expect(result.output).to.match(new RegExp(`${fixture.jobReruns + 1} unchanged`));
          expect(result.output).not.to.match(/[~+-] \d+ to (update|create|delete|replace)/);
        } else {
          expect(result.output).to.match(new RegExp(`~ ${fixture.jobReruns} to update`));
          expect(result.output).not.to.match(/[+-] \d+ to (create|delete|replace)/);
        }
        expectOutputsKept(result);
        expectNoWarning(result);
      });

      it("up sends the API no request", async () => {
        const args = [
          "up",
          "--yes",
          "--skip-preview",
          ...(expected === "no-changes" ? ["--expect-no-changes"] : []),
        ];
        const { result, requests } = await watchRequests(sim, () =>
          workspace.pulumi(onStack(args), { allowFailure: true }),
        );

        expectSucceeded(result);
        expect(requests, describeRequests(requests)).to.have.length(0);
        if (expected === "no-changes") {
          expect(result.output).to.match(new RegExp(`${fixture.jobReruns + 1} unchanged`));
          expect(result.output).not.to.match(/[~+-] \d+ (updated|created|deleted|replaced)/);
        } else {
          expect(result.output).to.match(new RegExp(`~ ${fixture.jobReruns} updated`));
          expect(result.output).not.to.match(/[+-] \d+ (created|deleted|replaced)/);
          // The rewritten state needs nothing more.
          const again = await watchRequests(sim, () =>
            workspace.pulumi(onStack(["preview", "--expect-no-changes"]), { allowFailure: true }),
          );
          expectSucceeded(again.result);
          expect(again.requests, describeRequests(again.requests)).to.have.length(0);
        }
        expectOutputsKept(result);
        expectNoWarning(result);
      });

      it("every stack output is present and holds what it held before the upgrade", async () => {
        const result = await workspace.pulumi(onStack(["stack", "output", "--json"]));
        const outputs = JSON.parse(result.stdout) as Record<string, unknown>;
        const held = fixture.stackOutputs;

        // Present: the same names, none dropped as undefined.
        expect(Object.keys(outputs).sort(), "stack output names").to.deep.equal(Object.keys(held).sort());

        for (const [name, before] of Object.entries(held)) {
          if (name.endsWith("Job")) {
            // The job as the current build reads it from the stored text: where an old build's output held
            // the nearest double to an integer beyond 2^53, the exact digits.
            const jobJson = held[`${name}Json`];
            expect(jobJson, `${name}Json in the fixture`).to.be.a("string");
            expect(outputs[name], name).to.deep.equal(jobAsRead(String(jobJson)));
          } else {
            expect(outputs[name], name).to.deep.equal(before);
          }
        }

        // The figures the issue names, spelled out: what the program's JobReruns did (program.js; a fixture
        // from before waitFor has no `waited` and no unfinishedRun).
        const figures: Record<string, unknown> = {
          createdOutcome: "none",
          createdState: "completed",
          createdRescheduleCount: 0,
          createdLastRescheduledAt: "never",
          createdUnfinishedRun: "none",
          rescheduledOutcome: "rescheduled",
          rescheduledState: "pending",
          rescheduledRescheduleCount: 1,
          rescheduledUnfinishedRun: "none",
          waitedOutcome: "rescheduled",
          waitedState: "completed",
          waitedRescheduleCount: 1,
          waitedUnfinishedRun: "none",
        };
        expect(outputs).to.include(
          Object.fromEntries(Object.entries(figures).filter(([name]) => Object.hasOwn(held, name))),
        );
        expect(held).to.include.keys(
          Object.keys(figures).filter((name) => !/^waited|UnfinishedRun$/.test(name)),
        );
        for (const name of ["rescheduled", "waited"].filter((rerun) =>
          Object.hasOwn(held, `${rerun}JobId`),
        )) {
          expect(outputs[`${name}LastRescheduledAt`], `${name}LastRescheduledAt`)
            .to.be.a("string")
            .and.equal(held[`${name}LastRescheduledAt`])
            .and.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
        }
        // jobJson is the exact text, every digit of the big integer in it; the job holds those digits too.
        expect(outputs["createdJobJson"]).to.be.a("string").and.include('"snapshot_id":1724919539450264600');
        expect(outputs["createdJob"]).to.have.nested.property("result.snapshot_id", "1724919539450264600");
      });

      it("refresh reads each job once and changes nothing on the API", async () => {
        const { result, requests, writes } = await watchRequests(sim, () =>
          workspace.pulumi(onStack(["refresh", "--yes", "--skip-preview"]), { allowFailure: true }),
        );

        expectSucceeded(result);
        expect(writes, describeRequests(requests)).to.have.length(0);
        expect(requests.map((request) => `${request.method} ${request.status}`)).to.deep.equal(
          Array.from({ length: fixture.jobReruns }, () => "GET 200"),
        );
        expectNoWarning(result);
      });
    });
  }
});
