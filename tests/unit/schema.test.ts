/**
 * The `narrative` package schema: the committed schema.json is what scripts/schema.ts builds from the
 * TypeScript declarations, so that a changed input, output or setting without `npm run schema` fails here.
 */
import { expect } from "chai";
import { promises as fs } from "node:fs";
import { buildSchema, SCHEMA_FILE, schemaText } from "../../scripts/schema";
import { INPUT_DEFAULTS, JOB_RERUN_INPUTS } from "../../provider/jobrerun/inputs";
import { CONFIG_KEYS } from "../../provider/common/setting-names";
import {
  GET_JOB_TOKEN,
  JOB_RERUN_TOKEN,
  pluginVersion,
  schemaJson,
} from "../../provider/hosts/plugin/schema";

type Spec = Record<string, Record<string, unknown>>;

describe("the narrative package schema", function () {
  // Parsing the declarations with the TypeScript compiler takes a few seconds on a loaded machine.
  this.timeout(30_000);

  it("is committed exactly as scripts/schema.ts builds it (run `npm run schema` after changing an input)", async () => {
    expect(await fs.readFile(SCHEMA_FILE, "utf8")).to.equal(await schemaText());
  });

  it("is what the plugin serves, at the npm package's version", async () => {
    expect(schemaJson()).to.equal(await fs.readFile(SCHEMA_FILE, "utf8"));
    expect((JSON.parse(schemaJson()) as { version: string }).version).to.equal(pluginVersion());
  });

  it("declares every JobRerun input of the input table, with its required and defaulted outputs", async () => {
    const schema = (await buildSchema()) as { resources: Record<string, Spec> };
    const jobRerun = schema.resources[JOB_RERUN_TOKEN] as Spec & { required: string[] };
    expect(Object.keys(jobRerun["inputProperties"] ?? {}).sort()).to.deep.equal(
      Object.keys(JOB_RERUN_INPUTS).sort(),
    );
    expect(jobRerun["requiredInputs"]).to.deep.equal(["triggers"]);
    for (const name of Object.keys(INPUT_DEFAULTS)) {
      expect(jobRerun.required, name).to.include(name);
    }
    expect(jobRerun["properties"]).to.include.keys("outcome", "job", "jobJson", "state", "rescheduleCount");
    expect(jobRerun["properties"]?.["triggers"]).to.deep.include({ $ref: "pulumi.json#/Any" });
    expect(jobRerun["properties"]?.["job"]).to.deep.include({ $ref: "pulumi.json#/Any" });
    for (const property of Object.values(jobRerun["properties"] ?? {})) {
      expect((property as { description?: string }).description, JSON.stringify(property))
        .to.be.a("string")
        .and.not.equal("");
    }
  });

  it("declares the configuration, the token secret, and getJob", async () => {
    const schema = (await buildSchema()) as {
      config: { variables: Spec };
      provider: { inputProperties: Spec };
      functions: Record<string, Spec>;
    };
    const names = Object.keys(CONFIG_KEYS).sort();
    expect(Object.keys(schema.config.variables).sort()).to.deep.equal(names);
    expect(Object.keys(schema.provider.inputProperties).sort()).to.deep.equal(names);
    expect(schema.config.variables["token"]).to.deep.include({ secret: true });
    expect(schema.provider.inputProperties["token"]).to.deep.include({ secret: true });
    const getJob = schema.functions[GET_JOB_TOKEN] as { inputs: Spec; outputs: { required: string[] } };
    expect(getJob.inputs["required"]).to.deep.equal(["jobId"]);
    expect(getJob.outputs.required).to.deep.equal(["jobId", "job", "jobJson", "state"]);
  });
});
