/**
 * The JobRerun resource class as a program registers it with the engine (through @pulumi/pulumi's mocks): a
 * dynamic resource whose `__provider` is the stored provider text, carrying nothing the program had in scope.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { JobRerun } from "../../provider/hosts/dynamic/resource";
import { JOB_RERUN_TYPE, PROVIDER_TEXT } from "../../provider/hosts/dynamic/provider-text";

const TOKEN = "tok-SECRET-serialization-4d2e";
const API_URL = "https://api-dev.narrative.io";
const JOB_ID = "2a5b9ad7-0d8e-4a36-9a1c-2d4e7c9b1f00";

describe("JobRerun as registered with the engine", () => {
  const registered: pulumi.runtime.MockResourceArgs[] = [];

  before(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push(args);
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: () => ({}),
      },
      "project",
      "stack",
      true,
    );
    // A program that read the token and the URL into its environment before creating resources.
    process.env["NARRATIVE_API_TOKEN"] = TOKEN;
    process.env["NARRATIVE_API_URL"] = API_URL;
    try {
      const rerun = new JobRerun("nightly", { jobId: JOB_ID, triggers: { sha: "abc" } });
      await new Promise<void>((resolve) => rerun.urn.apply(() => resolve()));
    } finally {
      delete process.env["NARRATIVE_API_TOKEN"];
      delete process.env["NARRATIVE_API_URL"];
    }
  });

  it("is a dynamic resource whose __provider is exactly the stored text", () => {
    expect(registered).to.have.length(1);
    expect(registered[0]?.type).to.equal(JOB_RERUN_TYPE);
    expect(registered[0]?.inputs["__provider"]).to.equal(PROVIDER_TEXT);
  });

  it("sends no token and no API URL the program had in scope", () => {
    const sent = JSON.stringify(registered[0]?.inputs);
    expect(sent).not.to.include(TOKEN);
    expect(sent).not.to.include(API_URL);
  });
});
