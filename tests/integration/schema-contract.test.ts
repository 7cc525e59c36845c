/**
 * schema.json held against the `narrative` provider plugin it describes, a real process driven over gRPC as the
 * engine drives it (the generated SDKs type every call by the schema, so where the two part, a user's typed
 * program is refused or reads an output that is never there):
 * - each input the schema declares, with a value of its declared type, passes the plugin's check; the inputs
 *   the schema requires are those the check refuses to go without;
 * - each setting the schema declares is read under its name by Configure;
 * - every output the schema requires is in what create and update return, each declared output that is
 *   returned has its declared type, and every declared output is returned once the inputs that carry it are
 *   given.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { SEEDED_JOB_IDS, startSimulator, type Simulator } from "../../provider/simulator";
import { ProviderHost } from "../support/provider-hosts";
import { rejection } from "../support/assertions";

const TOKEN = "tok-SCHEMA-8e2d4c1f";
const JOB_ID = SEEDED_JOB_IDS.completed;

type Property = { type?: string; $ref?: string };
interface Schema {
  config: { variables: Record<string, Property> };
  resources: Record<
    string,
    {
      inputProperties: Record<string, Property>;
      requiredInputs: string[];
      properties: Record<string, Property>;
      required: string[];
    }
  >;
}

const SCHEMA = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "schema.json"), "utf8")) as Schema;
const JOB_RERUN = SCHEMA.resources["narrative:index:JobRerun"]!;

/** A valid value of each input the schema declares (a new input needs one here). */
const EXAMPLE_INPUTS: Record<string, unknown> = {
  jobId: JOB_ID,
  dataset: { id: 10736, jobType: "materialize-view" },
  triggers: { sql: "v1" },
  force: true,
  runOnCreate: false,
  apiUrl: "https://api.narrative.io",
  waitFor: "none",
  timeout: "5m",
  failOnJobFailure: false,
  onUnrecordedRun: "follow",
  rerunFailed: false,
};

/** Whether `value` has the schema type `property` declares. */
function hasType(property: Property, value: unknown): boolean {
  switch (property.$ref ?? property.type) {
    case "pulumi.json#/Any":
      return true;
    case "#/types/narrative:index:DatasetSelector":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "integer":
      return Number.isSafeInteger(value);
    case "string":
    case "number":
    case "boolean":
      return typeof value === property.type;
    default:
      throw new Error(`no check for the schema type ${JSON.stringify(property)}`);
  }
}

/** The outputs that have a value, with those whose type is not the schema's. */
function typeProblems(outputs: Record<string, unknown>): string[] {
  return Object.entries(JOB_RERUN.properties)
    .filter(([name, property]) => outputs[name] !== undefined && !hasType(property, outputs[name]))
    .map(
      ([name, property]) => `${name}: ${JSON.stringify(outputs[name])} is not ${JSON.stringify(property)}`,
    );
}

describe("schema.json against the narrative provider plugin", function () {
  // A host process starts in about a second.
  this.timeout(30_000);

  let sim: Simulator;
  let host: ProviderHost;

  before(async () => {
    sim = await startSimulator({ frozen: true, token: TOKEN });
    host = await ProviderHost.start("plugin");
    await host.configure({ "narrative:token": TOKEN, "narrative:apiUrl": sim.url });
  });

  after(async () => {
    await host?.close();
    await sim?.close();
  });

  it("the check passes every declared input given a value of its declared type", async () => {
    expect(Object.keys(EXAMPLE_INPUTS).sort()).to.deep.equal(Object.keys(JOB_RERUN.inputProperties).sort());
    for (const [name, property] of Object.entries(JOB_RERUN.inputProperties)) {
      expect(hasType(property, EXAMPLE_INPUTS[name]), name).to.equal(true);
    }
    // jobId and dataset are two ways to name the job: one at a time.
    const { dataset: _dataset, ...byJobId } = EXAMPLE_INPUTS;
    const { jobId: _jobId, ...byDataset } = EXAMPLE_INPUTS;
    expect((await host.check({}, byJobId)).failures).to.deep.equal([]);
    expect((await host.check({}, byDataset)).failures).to.deep.equal([]);
  });

  it("the check refuses to go without each input the schema requires, and needs no other", async () => {
    // A job is named by jobId or dataset, so neither alone is required; this check names it by jobId.
    const required: Record<string, unknown> = {
      jobId: JOB_ID,
      ...Object.fromEntries(JOB_RERUN.requiredInputs.map((name) => [name, EXAMPLE_INPUTS[name]])),
    };
    expect((await host.check({}, required)).failures).to.deep.equal([]);
    for (const name of JOB_RERUN.requiredInputs) {
      const { [name]: _left, ...without } = required;
      const failures = (await host.check({}, without)).failures;
      expect(
        failures.map((failure) => failure.property),
        name,
      ).to.include(name);
    }
  });

  it("Configure reads each declared setting under its name: a bad value is refused naming it", async () => {
    const bad: Record<string, string> = {
      apiUrl: "http://api.narrative.example",
      attemptTimeout: "forever",
      totalTimeout: "forever",
    };
    const other = await ProviderHost.start("plugin");
    try {
      for (const name of Object.keys(SCHEMA.config.variables)) {
        if (name === "token") {
          // Any text may be a token: the create below succeeds only with the token configured under its name.
          continue;
        }
        expect(bad, `a bad value for ${name}`).to.have.property(name);
        const refused = (
          await rejection(
            other.configure({ "narrative:token": TOKEN, [`narrative:${name}`]: bad[name] ?? "" }),
          )
        ).message;
        expect(refused, name).to.be.a("string").and.include(`narrative:${name}`);
      }
    } finally {
      await other.close();
    }
  });

  it("create and update return every required output, each declared output with its declared type", async () => {
    const { dataset: _dataset, ...given } = EXAMPLE_INPUTS;
    const inputs = { ...given, apiUrl: sim.url };
    sim.reset();
    const { id, outputs } = await host.create(inputs);
    expect(sim.requests.map((request) => request.method)).to.deep.equal(["GET"]);
    const updated = await host.update(id, outputs, { ...inputs, triggers: { sql: "v2" } });
    for (const returned of [outputs, updated]) {
      expect(Object.keys(returned)).to.include.members(JOB_RERUN.required);
      expect(typeProblems(returned)).to.deep.equal([]);
    }
    // What no step here carries: dataset (this JobRerun names its job by jobId) and unfinishedRun (a run this
    // resource started that a refresh saw fail).
    const returned = new Set([...Object.keys(outputs), ...Object.keys(updated)]);
    const never = Object.keys(JOB_RERUN.properties).filter((name) => !returned.has(name));
    expect(never).to.deep.equal(["dataset", "unfinishedRun"]);
  });
});
