/**
 * What Pulumi writes into the state for every JobRerun as `__provider`. The text must stay small, hold nothing
 * from the program (no token, no API URL, no client code), load the installed implementation by package name,
 * and say what to do when that package is gone; what the host makes of it needs the build (and a directory
 * without the package), so it is checked in tests/integration/provider-text.test.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { JobRerun } from "../../provider/hosts/dynamic/resource";
import { JOB_RERUN_TYPE, PROVIDER_TEXT } from "../../provider/hosts/dynamic/provider-text";

const TOKEN = "tok-SECRET-serialization-4d2e";
const API_URL = "https://api-dev.narrative.io";
const JOB_ID = "2a5b9ad7-0d8e-4a36-9a1c-2d4e7c9b1f00";

describe("the stored provider text", () => {
  it("is a few hundred bytes, far under the 2 KB budget (it is stored twice per resource)", () => {
    expect(Buffer.byteLength(PROVIDER_TEXT, "utf8")).to.be.below(512);
  });

  it("holds no client code: only requires the implementation by package name", () => {
    expect(PROVIDER_TEXT).to.include('require("pulumi-narrative-jobs/provider")');
    expect(PROVIDER_TEXT.match(/require\(/g)).to.have.length(1);
    for (const clientCode of [
      "node-fetch",
      "Authorization",
      "Bearer",
      "token",
      "/reschedule",
      "narrative.io",
      "://",
      "agent",
      "process",
    ]) {
      expect(PROVIDER_TEXT, clientCode).not.to.include(clientCode);
    }
  });

  it("says what to do when the package is gone: reinstall it and keep it, or pulumi state delete", () => {
    expect(PROVIDER_TEXT).to.include("MODULE_NOT_FOUND");
    expect(PROVIDER_TEXT).to.include("npm install pulumi-narrative-jobs");
    expect(PROVIDER_TEXT).to.include("until no stack has one");
    expect(PROVIDER_TEXT).to.include("pulumi state delete <urn>");
  });
});

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
