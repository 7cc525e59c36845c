/**
 * The `narrative` package schema: the committed schema.json is what scripts/schema.ts builds from the
 * TypeScript declarations, so that a changed input, output or setting without `npm run schema` fails here; the
 * plugin reads that file; and what it promises users holds. Whether the plugin's check, configuration and
 * outputs agree with it is tests/integration/schema-contract.test.ts's.
 */
import { expect } from "chai";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { SCHEMA_FILE, schemaText } from "../../scripts/schema";
import {
  GET_JOB_TOKEN,
  JOB_RERUN_TOKEN,
  pluginVersion,
  schemaJson,
} from "../../provider/hosts/plugin/schema";

type Spec = Record<string, Record<string, unknown>>;

interface Schema {
  version: string;
  config: { variables: Spec };
  provider: { inputProperties: Spec; properties: Spec };
  resources: Record<string, Spec & { required: string[] }>;
  functions: Record<string, Spec>;
}

async function committed(): Promise<Schema> {
  return JSON.parse(await fs.readFile(SCHEMA_FILE, "utf8")) as Schema;
}

describe("the narrative package schema", function () {
  // Parsing the declarations with the TypeScript compiler takes a few seconds on a loaded machine.
  this.timeout(30_000);

  it("is committed exactly as scripts/schema.ts builds it (run `npm run schema` after changing an input)", async () => {
    expect(await fs.readFile(SCHEMA_FILE, "utf8")).to.equal(await schemaText());
  });

  it("is what the plugin reads (its GetSchema answer), at the npm package's version", async () => {
    // The plugin's own reader against a fresh build: it finds the file from provider/hosts/plugin and lib/hosts/plugin.
    expect(schemaJson()).to.equal(await schemaText());
    const manifest = JSON.parse(
      await fs.readFile(path.join(__dirname, "..", "..", "package.json"), "utf8"),
    ) as { version: string };
    expect(pluginVersion()).to.equal(manifest.version);
    expect((await committed()).version).to.equal(manifest.version);
  });

  it("gives JobRerun's triggers and job any JSON, and every property a description", async () => {
    const jobRerun = (await committed()).resources[JOB_RERUN_TOKEN] as Spec;
    expect(jobRerun["properties"]).to.include.keys("outcome", "job", "jobJson", "state", "rescheduleCount");
    expect(jobRerun["properties"]?.["triggers"]).to.deep.include({ $ref: "pulumi.json#/Any" });
    expect(jobRerun["properties"]?.["job"]).to.deep.include({ $ref: "pulumi.json#/Any" });
    for (const property of Object.values(jobRerun["properties"] ?? {})) {
      expect((property as { description?: string }).description, JSON.stringify(property))
        .to.be.a("string")
        .and.not.equal("");
    }
  });

  it("keeps the token secret: marked secret as a setting, never among the provider's stored outputs", async () => {
    const schema = await committed();
    expect(schema.config.variables["token"]).to.deep.include({ secret: true });
    expect(schema.provider.inputProperties["token"]).to.deep.include({ secret: true });
    expect(schema.provider.properties).not.to.have.property("token");
  });

  it("declares getJob: a jobId in, the job as the API returned it out", async () => {
    const getJob = (await committed()).functions[GET_JOB_TOKEN] as {
      inputs: Spec;
      outputs: { required: string[] };
    };
    expect(getJob.inputs["required"]).to.deep.equal(["jobId"]);
    expect(getJob.outputs.required).to.deep.equal(["jobId", "job", "jobJson", "state"]);
  });
});
