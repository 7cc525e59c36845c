/**
 * What Pulumi writes into the state for every JobRerun as `__provider`: the serialized shim. It must stay
 * small, and hold no token, no API URL and no client code, whatever the program had in scope.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { jobRerunProvider } from "../../provider/shim";

const TOKEN = "tok-SECRET-serialization-4d2e";
const API_URL = "https://api-dev.narrative.io";

describe("the serialized provider", () => {
  let text: string;

  before(async () => {
    // A program that read the token and the URL into its environment before creating resources.
    process.env["NARRATIVE_API_TOKEN"] = TOKEN;
    process.env["NARRATIVE_API_URL"] = API_URL;
    try {
      // The same call dynamic.Resource makes on the provider object it is given.
      const provider = jobRerunProvider;
      text = (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
    } finally {
      delete process.env["NARRATIVE_API_TOKEN"];
      delete process.env["NARRATIVE_API_URL"];
    }
  });

  it("is under 2 KB", () => {
    expect(Buffer.byteLength(text, "utf8")).to.be.below(2048);
  });

  it("holds no token and no API URL", () => {
    expect(text).not.to.include(TOKEN);
    expect(text).not.to.include(API_URL);
    expect(text).not.to.match(/narrative\.io/);
  });

  it("holds no client code: only requires the implementation by package name", () => {
    expect(text).to.include('require("pulumi-narrative-jobs/provider")');
    for (const clientCode of [
      "node-fetch",
      "Authorization",
      "Bearer",
      "/reschedule",
      "NarrativeJobsClient",
      "agent",
    ]) {
      expect(text, clientCode).not.to.include(clientCode);
    }
  });

  it("delegates every method the engine calls to the installed implementation", async () => {
    const loaded = new Function("require", `const exports = {}; ${text}; return exports.handler();`)(require);
    const result = await loaded.check({}, { jobId: "not-a-uuid", triggers: "v1" });
    expect(result.failures[0].property).to.equal("jobId");
    expect(Object.keys(loaded).sort()).to.deep.equal([
      "check",
      "configure",
      "create",
      "diff",
      "read",
      "update",
    ]);
  });
});
