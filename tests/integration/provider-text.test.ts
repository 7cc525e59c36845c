/**
 * What the dynamic provider host makes of the stored provider text: it loads the built package
 * (`pulumi-narrative-jobs/provider` resolves to lib/ through the link `npm run build` makes), so this runs after a
 * build, unlike the checks of the text itself in tests/unit/serialization.test.ts.
 */
import { expect } from "chai";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { PROVIDER_TEXT } from "../../provider/shim";

/** The loader the host uses (cmd/dynamic-provider: `requireFromString(text).handler()`), from its own package. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- @pulumi/pulumi's dependency, not ours
const requireFromString = require(
  require.resolve("require-from-string", { paths: [require.resolve("@pulumi/pulumi")] }),
) as (code: string) => { handler: () => Record<string, unknown> };

describe("the stored provider text, loaded by the host", () => {
  before(() => {
    const root = path.resolve(__dirname, "..", "..");
    for (const built of ["lib/provider.js", "node_modules/pulumi-narrative-jobs"]) {
      if (!existsSync(path.join(root, built))) {
        throw new Error(`${built} is missing: run \`npm run build\` first (npm run test:integration does)`);
      }
    }
  });

  it("loads, the way the host loads it, into the methods the engine calls and no delete", async () => {
    const provider = requireFromString(PROVIDER_TEXT).handler();
    const methods = ["configure", "check", "diff", "create", "read", "update"];
    for (const method of methods) {
      expect(provider[method], method).to.be.a("function");
    }
    // No delete: destroy only drops the resource from the state (a rerun cannot be undone).
    expect(provider["delete"]).to.equal(undefined);
    const check = provider["check"] as (
      olds: object,
      news: object,
    ) => Promise<{ failures: { property: string }[] }>;
    const result = await check({}, { jobId: "not-a-uuid", triggers: "v1" });
    expect(result.failures[0]?.property).to.equal("jobId");
  });
});
