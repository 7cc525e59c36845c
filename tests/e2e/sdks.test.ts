/**
 * The SDKs in sdk/, generated from schema.json by `npm run sdks` (scripts/sdkgen, Pulumi's generators at
 * v3.248.0), checked: the committed files are exactly what the schema gives today (so no generated file is
 * edited by hand and none is stale), the Go SDK builds and vets with its committed go.sum, the README's Go
 * recipe (a module outside the repository with a `replace` to a clone's sdk/go) builds, the Python SDK
 * compiles and the Node.js SDK type-checks. Needs Go (as the pinned Pulumi CLI does) and python3; the first
 * Go build downloads the Go SDK's modules from the Go module proxy.
 */
import { expect } from "chai";
import { existsSync, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { listFiles, REPO_ROOT, runCommand } from "../../scripts/pulumi-harness";

const SDK = path.join(REPO_ROOT, "sdk");
const GO_SDK = path.join(SDK, "go");

/** `go` on PATH, else where the Go installer puts it (as scripts/ensure-pulumi looks for it). */
async function goCommand(): Promise<string> {
  const found = await runCommand("sh", ["-c", "command -v go"], { allowFailure: true });
  if (found.code === 0 && found.stdout.trim() !== "") {
    return found.stdout.trim();
  }
  if (existsSync("/usr/local/go/bin/go")) {
    return "/usr/local/go/bin/go";
  }
  throw new Error("the SDK checks need Go (https://go.dev/doc/install), as the pinned Pulumi CLI does");
}

function goEnv(go: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${path.dirname(go)}${path.delimiter}${process.env["PATH"] ?? ""}`,
    GOWORK: "off",
    GOTOOLCHAIN: "local",
    GOFLAGS: "-mod=readonly -buildvcs=false",
    ...extra,
  };
}

/** The files under sdk/ as a clone has them: tracked, or new and not ignored (such as a stale extra file). */
async function committedSdkFiles(): Promise<string[]> {
  const listed = await runCommand("git", [
    "ls-files",
    "--cached",
    "--others",
    "--exclude-standard",
    "-z",
    "--",
    "sdk",
  ]);
  const files = listed.stdout.split("\0").filter((file) => file !== "");
  return [...new Set(files.map((file) => path.relative("sdk", file)))].sort();
}

/** What differs between sdk/ and a fresh generation, with a unified diff of each changed file (shortened). */
async function drift(generatedDir: string): Promise<string[]> {
  const generated = (await listFiles(generatedDir)).map((file) => path.relative(generatedDir, file)).sort();
  const committed = await committedSdkFiles();
  const problems: string[] = [];
  for (const file of committed.filter((name) => !generated.includes(name))) {
    problems.push(`sdk/${file}: in sdk/, but the schema does not generate it`);
  }
  for (const file of generated) {
    const mine = path.join(SDK, file);
    if (!committed.includes(file) || !existsSync(mine)) {
      problems.push(`sdk/${file}: generated from the schema, but not in sdk/`);
      continue;
    }
    const diff = await runCommand("diff", ["-u", mine, path.join(generatedDir, file)], {
      allowFailure: true,
    });
    if (diff.code !== 0) {
      const lines = diff.stdout.split("\n");
      const shown =
        lines.slice(0, 60).join("\n") + (lines.length > 60 ? `\n… ${lines.length - 60} more lines` : "");
      problems.push(`sdk/${file} differs from what the schema generates:\n${shown}`);
    }
  }
  return problems;
}

describe("e2e: SDKs generated from schema.json (sdk/)", function () {
  this.timeout(120_000);

  let go: string;
  let scratch: string;

  before(async () => {
    go = await goCommand();
    scratch = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-sdks-"));
  });

  after(async () => {
    await fs.rm(scratch, { recursive: true, force: true });
  });

  it("sdk/ is exactly what `npm run sdks` generates from schema.json today", async function () {
    // A cold build of the generator compiles Pulumi's codegen packages.
    this.timeout(900_000);
    const out = path.join(scratch, "generated");
    await runCommand(path.join(REPO_ROOT, "scripts", "sdks"), [out], { timeoutMs: 900_000 });
    const problems = await drift(out);
    if (problems.length > 0) {
      expect.fail(`Run \`npm run sdks\` and commit sdk/.\n${problems.join("\n")}`);
    }
  });

  it("the Go SDK builds and vets with its committed go.mod and go.sum (go build ./... && go vet ./...)", async function () {
    // The first run downloads github.com/pulumi/pulumi/sdk/v3's modules and compiles them.
    this.timeout(900_000);
    const env = goEnv(go);
    await runCommand(go, ["build", "./..."], { cwd: GO_SDK, env, timeoutMs: 900_000 });
    await runCommand(go, ["vet", "./..."], { cwd: GO_SDK, env, timeoutMs: 900_000 });
  });

  it("the README's Go recipe: a program outside the repository requires sdk/go through a replace and builds", async function () {
    this.timeout(900_000);
    const modulePath = /^module (\S+)$/m.exec(await fs.readFile(path.join(GO_SDK, "go.mod"), "utf8"))?.[1];
    const version = (
      JSON.parse(await fs.readFile(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }
    ).version;
    expect(modulePath).to.be.a("string");
    // The README's commands, word for word: a clone beside the program, then these in the program's module.
    const recipe = [
      `go mod edit -require=${modulePath}@v${version} \\`,
      `  -replace=${modulePath}=../pulumi-narrative-jobs/sdk/go`,
      "go mod tidy",
    ];
    const readme = await fs.readFile(path.join(REPO_ROOT, "README.md"), "utf8");
    expect(readme).to.include(recipe.join("\n"));

    // The repository stands in for the clone, under the name the recipe gives it.
    const home = path.join(scratch, "recipe");
    const program = path.join(home, "my-program");
    await fs.mkdir(program, { recursive: true });
    await fs.symlink(REPO_ROOT, path.join(home, "pulumi-narrative-jobs"));
    await fs.writeFile(
      path.join(program, "main.go"),
      `package main

import (
	"${modulePath}/narrative"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		rerun, err := narrative.NewJobRerun(ctx, "nightly", &narrative.JobRerunArgs{
			JobId:    pulumi.String("5f0e5b2c-8b0a-4c57-9c1f-3c2a8f6d9e11"),
			Triggers: pulumi.Any(map[string]interface{}{"sha": "abc123"}),
			WaitFor:  pulumi.String("running"),
		})
		if err != nil {
			return err
		}
		job, err := narrative.GetJob(ctx, &narrative.GetJobArgs{JobId: "5f0e5b2c-8b0a-4c57-9c1f-3c2a8f6d9e11"})
		if err != nil {
			return err
		}
		ctx.Export("state", rerun.State)
		ctx.Export("readState", pulumi.String(job.State))
		return nil
	})
}
`,
    );
    // A user's environment: no readonly flag, so `go mod tidy` may write go.mod and go.sum.
    const env = goEnv(go, { GOFLAGS: "-buildvcs=false" });
    await runCommand(go, ["mod", "init", "example.com/my-program"], { cwd: program, env });
    const editArgs = [
      "mod",
      "edit",
      `-require=${modulePath}@v${version}`,
      `-replace=${modulePath}=../pulumi-narrative-jobs/sdk/go`,
    ];
    await runCommand(go, editArgs, { cwd: program, env });
    await runCommand(go, ["mod", "tidy"], { cwd: program, env, timeoutMs: 900_000 });
    await runCommand(go, ["build", "-o", path.join(scratch, "my-program-bin"), "."], {
      cwd: program,
      env,
      timeoutMs: 900_000,
    });
    expect(existsSync(path.join(scratch, "my-program-bin"))).to.equal(true);
  });

  it("docs/other-languages.md's SDKs section names what was generated: the Go module, its requirements, the package names", async () => {
    // Prose may be wrapped anywhere.
    const doc = (await fs.readFile(path.join(REPO_ROOT, "docs", "other-languages.md"), "utf8")).replace(
      /\s+/g,
      " ",
    );
    const goMod = await fs.readFile(path.join(GO_SDK, "go.mod"), "utf8");
    const pulumiSdk = /^\s*github\.com\/pulumi\/pulumi\/sdk\/v3 (v\S+)$/m.exec(goMod)?.[1];
    const nodePackage = (
      JSON.parse(await fs.readFile(path.join(SDK, "nodejs", "package.json"), "utf8")) as { name: string }
    ).name;
    const pyproject = await fs.readFile(path.join(SDK, "python", "pyproject.toml"), "utf8");
    expect(doc).to.include(`The module is \`${/^module (\S+)$/m.exec(goMod)?.[1]}\``);
    expect(doc).to.include(
      `\`github.com/pulumi/pulumi/sdk/v3\` ${pulumiSdk} and Go ${/^go (\S+)$/m.exec(goMod)?.[1]} or newer`,
    );
    expect(doc).to.include(
      `The package \`${/^\s*name = "([^"]+)"$/m.exec(pyproject)?.[1]}\` is in \`sdk/python\``,
    );
    expect(doc).to.include(`\`sdk/nodejs\` is the package \`${nodePackage}\``);
  });

  it("the Python SDK compiles (python3 -m compileall)", async () => {
    // Byte code goes to the scratch directory, not into sdk/python. Built, installed and type-checked:
    // python-sdk.test.ts; run through the CLI: python.test.ts.
    await runCommand("python3", [
      "-X",
      `pycache_prefix=${path.join(scratch, "pycache")}`,
      "-m",
      "compileall",
      "-q",
      "sdk/python",
    ]);
    expect(existsSync(path.join(scratch, "pycache"))).to.equal(true);
  });

  it("the Node.js SDK type-checks against this repository's @pulumi/pulumi and TypeScript (tsc --noEmit)", async () => {
    // sdk/nodejs has no node_modules: @pulumi/pulumi and @types/node resolve from the repository's.
    const tsc = require.resolve("typescript/bin/tsc");
    await runCommand(process.execPath, [tsc, "--noEmit", "-p", "sdk/nodejs"], { timeoutMs: 120_000 });
  });
});
