import { expect } from "chai";
import { promises as fs, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROVIDER_MODULE, providerResolutionProblem } from "../../provider/hosts/dynamic/resolvable";
import { PROVIDER_TEXT } from "../../provider/hosts/dynamic/provider-text";

const VERSION = (
  JSON.parse(readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as {
    version: string;
  }
).version;

/** A stand-in for the installed package: its package.json exports ./provider, as the real one does. */
async function installFakePackage(nodeModules: string): Promise<void> {
  const dir = path.join(nodeModules, "pulumi-narrative-jobs");
  await fs.mkdir(path.join(dir, "lib"), { recursive: true });
  const manifest = { name: "pulumi-narrative-jobs", exports: { "./provider": "./lib/provider.js" } };
  await fs.writeFile(path.join(dir, "package.json"), JSON.stringify(manifest));
  await fs.writeFile(path.join(dir, "lib", "provider.js"), "");
}

describe("whether the dynamic provider host can load the provider", () => {
  let root: string;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-resolvable-"));
  });

  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it("checks the module the stored provider text requires", () => {
    expect(PROVIDER_TEXT).to.include(`require(${JSON.stringify(PROVIDER_MODULE)})`);
  });

  it("finds the package in the project's node_modules, or in a parent directory's", async () => {
    await installFakePackage(path.join(root, "node_modules"));
    const project = path.join(root, "infra");
    await fs.mkdir(project);

    expect(providerResolutionProblem(root)).to.equal(undefined);
    expect(providerResolutionProblem(project)).to.equal(undefined);
  });

  it("names the nearest package.json and the dependency to add when the package is not found", async () => {
    const project = path.join(root, "infra");
    // The package is installed, but only inside a library's own node_modules, out of the project's reach.
    await installFakePackage(path.join(root, "jobs-lib", "node_modules"));
    await fs.mkdir(path.join(project, "src"), { recursive: true });
    await fs.writeFile(path.join(project, "package.json"), "{}");

    for (const dir of [project, path.join(project, "src")]) {
      const problem = providerResolutionProblem(dir);
      expect(problem).to.include(`cannot load pulumi-narrative-jobs/provider from ${dir}`);
      expect(problem).to.include(
        `Add "pulumi-narrative-jobs": "${VERSION}" to the dependencies in ${path.join(project, "package.json")}`,
      );
    }
  });
});
