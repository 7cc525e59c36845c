/**
 * What Pulumi writes into the state for every JobRerun as `__provider`. The text must stay small, hold nothing
 * from the program (no token, no API URL, no client code), load the installed implementation by package name,
 * and say what to do when that package is gone; what the host makes of it needs the build (and a directory
 * without the package), so it is checked in tests/integration/provider-text.test.ts. That a JobRerun registers
 * exactly this text is checked in resource.test.ts.
 */
import { expect } from "chai";
import { PROVIDER_TEXT } from "../../provider/hosts/dynamic/provider-text";

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
