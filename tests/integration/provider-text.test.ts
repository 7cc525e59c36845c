/**
 * What the dynamic provider host makes of the stored provider text: it loads the built package
 * (`pulumi-narrative-jobs/provider` resolves to lib/ through the link `npm run build` makes), so this runs after a
 * build, unlike the checks of the text itself in tests/unit/provider-text.test.ts. Where the package is missing
 * or broken, the text runs in a Node.js process of its own whose working directory is a program directory
 * without it, as the host does (the engine starts the host in the program's directory).
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROVIDER_TEXT } from "../../provider/hosts/dynamic/provider-text";

/** The loader the host uses (cmd/dynamic-provider: `requireFromString(text).handler()`), from its own package. */
const REQUIRE_FROM_STRING = require.resolve("require-from-string", {
  paths: [require.resolve("@pulumi/pulumi")],
});
// eslint-disable-next-line @typescript-eslint/no-require-imports -- @pulumi/pulumi's dependency, not ours
const requireFromString = require(REQUIRE_FROM_STRING) as (code: string) => {
  handler: () => Record<string, unknown>;
};

/** The text this package stored before it said what to do: Node's error, exactly as the host reported it. */
const BARE_TEXT = 'exports.handler = () => require("pulumi-narrative-jobs/provider");\n';

/** What `requireFromString(text).handler()` threw in a process working in `cwd`, or the methods it returned. */
interface HostLoad {
  methods?: string[];
  error?: { name: string; message: string; code?: string };
}

/** Loads `text` the way the host does, in a fresh Node.js process working in `cwd`. */
function loadInHost(text: string, cwd: string): Promise<HostLoad> {
  const script = `
const requireFromString = require(${JSON.stringify(REQUIRE_FROM_STRING)});
let result;
try {
  result = { methods: Object.keys(requireFromString(process.argv[1]).handler()).sort() };
} catch (e) {
  result = { error: { name: e.name, message: e.message, code: e.code } };
}
process.stdout.write(JSON.stringify(result));
`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["-e", script, text], { cwd, env: {} }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(`the host-like load failed: ${error.message}\n${stderr}`));
        return;
      }
      resolve(JSON.parse(stdout) as HostLoad);
    });
  });
}

/** A package of this name in `programDir`'s node_modules whose provider module is `providerSource`. */
async function installBrokenPackage(programDir: string, providerSource: string): Promise<void> {
  const dir = path.join(programDir, "node_modules", "pulumi-narrative-jobs");
  await fs.mkdir(path.join(dir, "lib"), { recursive: true });
  const manifest = { name: "pulumi-narrative-jobs", exports: { "./provider": "./lib/provider.js" } };
  await fs.writeFile(path.join(dir, "package.json"), JSON.stringify(manifest));
  await fs.writeFile(path.join(dir, "lib", "provider.js"), providerSource);
}

describe("the stored provider text, loaded by the host", () => {
  before(() => {
    const root = path.resolve(__dirname, "..", "..");
    for (const built of ["lib/hosts/dynamic/provider.js", "node_modules/pulumi-narrative-jobs"]) {
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

  describe("in a program directory", function () {
    // Each case starts a Node.js process.
    this.timeout(30_000);
    let programDir: string;

    beforeEach(async () => {
      programDir = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-provider-text-"));
      await fs.writeFile(path.join(programDir, "package.json"), '{"name":"program","private":true}');
    });

    afterEach(async () => {
      await fs.rm(programDir, { recursive: true, force: true });
    });

    it("without the package: says to reinstall it or pulumi state delete, then Node's message", async () => {
      const loaded = await loadInHost(PROVIDER_TEXT, programDir);
      const bare = await loadInHost(BARE_TEXT, programDir);

      expect(bare.error?.code).to.equal("MODULE_NOT_FOUND");
      const message = loaded.error?.message ?? "";
      expect(loaded.error?.name).to.equal("Error");
      expect(message).to.match(/^Pulumi needs pulumi-narrative-jobs even to delete a JobRerun: /);
      expect(message).to.include("npm install pulumi-narrative-jobs and keep it until no stack has one");
      expect(message).to.include("remove one from the state with pulumi state delete <urn>");
      expect(message).to.include("(a job is never deleted anyway)");
      // Node's own message, require stack included, closes it.
      expect(message.endsWith(`\n${bare.error?.message ?? "(none)"}`), message).to.equal(true);
      expect(message).to.include("Cannot find module 'pulumi-narrative-jobs/provider'");
    });

    it("with the package installed there: loads it as before", async () => {
      await installBrokenPackage(programDir, "exports.check = async () => ({}); exports.diff = () => ({});");
      expect(await loadInHost(PROVIDER_TEXT, programDir)).to.deep.equal({ methods: ["check", "diff"] });
    });

    for (const [what, providerSource, expectedName] of [
      ["a syntax error inside the package", "exports.check = (;", "SyntaxError"],
      ["a module missing inside the package", 'require("node-fetch-not-installed");', "Error"],
      ["an error the package throws", 'throw new Error("pulumi-narrative-jobs broke");', "Error"],
    ] as const) {
      it(`passes ${what} on unchanged`, async () => {
        await installBrokenPackage(programDir, providerSource);

        const loaded = await loadInHost(PROVIDER_TEXT, programDir);

        expect(loaded.error?.name).to.equal(expectedName);
        expect(loaded.error?.message).not.to.include("Pulumi needs");
        // Exactly what the bare require gave.
        expect(loaded).to.deep.equal(await loadInHost(BARE_TEXT, programDir));
      });
    }
  });
});
