/**
 * The language hosts scripts/ensure-pulumi puts beside the CLI, other than Node.js: Pulumi's YAML host
 * (pulumi-yaml built from the Go module proxy) and the project's stand-in Go host
 * (scripts/pulumi-cli/cmd/pulumi-language-go). Tiny programs that need no provider run through the real CLI.
 *
 * The Go program's first build is the expensive part: the Go SDK and its dependencies are fetched into Go's
 * module cache (GOMODCACHE) and compiled into its build cache (GOCACHE), minutes of CPU, hence
 * FIRST_BUILD_MS. Both caches are the default ones under $HOME and stay warm; after that each run still
 * builds (the stand-in keeps no binary), mostly linking. The measured times are in CONTRIBUTING.md (The
 * Pulumi CLI).
 */
import { expect } from "chai";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import {
  type CliResult,
  E2E_ROOT,
  ensurePulumiCli,
  PulumiWorkspace,
  REPO_ROOT,
} from "../../scripts/pulumi-harness";
import { pollUntil, skipTheRestAfterAFailure, waitUntilNoProcessesIn } from "../support/e2e";

const GO_FIXTURE = path.join(REPO_ROOT, "tests", "fixtures", "go-program");
/** A ceiling for a command whose Go build may be the first on this machine. */
const FIRST_BUILD_MS = 900_000;

/** Registers one narrative:index:JobRerun with the plain Go SDK, as a generated SDK would. */
const GO_PROGRAM_WITH_RESOURCE = `package main

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

type jobRerun struct {
\tpulumi.CustomResourceState
\tJobID pulumi.StringOutput \`pulumi:"jobId"\`
}

func main() {
\tpulumi.Run(func(ctx *pulumi.Context) error {
\t\tvar rerun jobRerun
\t\tif err := ctx.RegisterResource("narrative:index:JobRerun", "r", pulumi.Map{"jobId": pulumi.String("j-1")}, &rerun); err != nil {
\t\t\treturn err
\t\t}
\t\tctx.Export("jobId", rerun.JobID)
\t\treturn nil
\t})
}
`;

/** Says it runs (a file `started`), then waits two minutes: long enough to be interrupted. */
const GO_PROGRAM_THAT_WAITS = `package main

import (
\t"os"
\t"time"

\t"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
\tpulumi.Run(func(ctx *pulumi.Context) error {
\t\tif err := os.WriteFile("started", nil, 0o644); err != nil {
\t\t\treturn err
\t\t}
\t\ttime.Sleep(2 * time.Minute)
\t\treturn nil
\t})
}
`;

const STUB_PROVIDER = `const provider = require("@pulumi/pulumi/provider");
provider.main(
  {
    version: "0.1.0",
    async create(_urn, inputs) {
      return { id: "stub-1", outs: inputs };
    },
    async delete() {},
  },
  process.argv.slice(2),
);
`;

async function projectDir(prefix: string): Promise<string> {
  await fs.mkdir(E2E_ROOT, { recursive: true });
  return fs.mkdtemp(path.join(E2E_ROOT, `${prefix}-`));
}

/** `go` for the stand-in when none is on PATH: the toolchain ensure-pulumi builds with. */
function goEnvironment(): NodeJS.ProcessEnv {
  const fallback = "/usr/local/go/bin";
  const onPath = (process.env["PATH"] ?? "")
    .split(path.delimiter)
    .some((dir) => dir !== "" && existsSync(path.join(dir, "go")));
  return onPath || !existsSync(path.join(fallback, "go"))
    ? {}
    : { PATH: `${process.env["PATH"] ?? ""}${path.delimiter}${fallback}` };
}

describe("e2e: language hosts beside the CLI", function () {
  this.timeout(180_000);

  let cliDir: string;

  before(async function () {
    this.timeout(FIRST_BUILD_MS);
    cliDir = await ensurePulumiCli();
  });

  describe("Pulumi YAML (pulumi-language-yaml built by ensure-pulumi)", function () {
    let workspace: PulumiWorkspace;

    before(async function () {
      expect(
        existsSync(path.join(cliDir, "pulumi-language-yaml")),
        `pulumi-language-yaml in ${cliDir}`,
      ).to.equal(true);
      const dir = await projectDir("yaml");
      const project = [
        "name: yaml-e2e",
        "runtime: yaml",
        "config:",
        "  name:",
        "    type: string",
        "outputs:",
        "  x: 1",
        "  greeting: hello ${name}",
        "",
      ].join("\n");
      await fs.writeFile(path.join(dir, "Pulumi.yaml"), project);
      workspace = await PulumiWorkspace.create({
        project: "yaml-e2e",
        dir,
        existingProject: true,
        removeDir: true,
      });
      await workspace.setConfig("name", "yaml");
    });

    after(async function () {
      await workspace?.dispose();
    });

    skipTheRestAfterAFailure();

    it("runs `pulumi up` and the stack has the program's outputs", async () => {
      await workspace.pulumi(["up", "--yes", "--skip-preview"]);
      expect(await workspace.outputs()).to.deep.equal({ x: 1, greeting: "hello yaml" });
    });

    it("destroys the stack", async () => {
      await workspace.pulumi(["destroy", "--yes", "--skip-preview"]);
      expect((await workspace.exportStack()).resources).to.deep.equal([]);
    });
  });

  describe("Go (the stand-in pulumi-language-go)", function () {
    let workspace: PulumiWorkspace;
    let dir: string;

    before(async function () {
      if (!existsSync(path.join(cliDir, "pulumi-language-go"))) {
        // An installed Pulumi without its Go host: the stand-in is only built with the pinned CLI.
        this.skip();
      }
      dir = await projectDir("go");
      for (const file of ["go.mod", "go.sum", "main.go"]) {
        await fs.copyFile(path.join(GO_FIXTURE, file), path.join(dir, file));
      }
      await fs.writeFile(path.join(dir, "Pulumi.yaml"), "name: go-e2e\nruntime: go\n");
      workspace = await PulumiWorkspace.create({
        project: "go-e2e",
        dir,
        existingProject: true,
        removeDir: true,
        env: goEnvironment(),
      });
      await workspace.setConfig("name", "gopher");
    });

    after(async function () {
      await workspace?.dispose();
    });

    skipTheRestAfterAFailure();

    it("previews: builds the program and shows its outputs", async function () {
      // The first build on a machine downloads and compiles the Go SDK (see the top of this file).
      this.timeout(FIRST_BUILD_MS);
      const preview = await workspace.pulumi(["preview"], { timeoutMs: FIRST_BUILD_MS });
      expect(preview.output).to.match(/\+\s+pulumi:pulumi:Stack\s+go-e2e-/);
      expect(preview.output).to.match(/x\s*:\s*"y"/);
    });

    it("runs `pulumi up`: the outputs include one built from the stack configuration", async () => {
      await workspace.pulumi(["up", "--yes", "--skip-preview"]);
      expect(await workspace.outputs()).to.deep.equal({ x: "y", greeting: "hello, gopher" });
    });

    it("fails a run whose program does not compile, showing the compiler's message, and leaves nothing running", async () => {
      const broken = path.join(dir, "broken.go");
      await fs.writeFile(broken, 'package main\n\nvar broken int = "not a number"\n');
      try {
        const started = Date.now();
        const up = await workspace.pulumi(["up", "--yes", "--skip-preview"], { allowFailure: true });
        expect(up.code, up.output).to.not.equal(0);
        expect(up.output).to.include("go build failed");
        expect(up.output).to.match(/broken\.go:3:\d+: cannot use "not a number"/);
        // It fails at once rather than hanging until the command's timeout.
        expect(Date.now() - started).to.be.below(120_000);
        const left = await waitUntilNoProcessesIn(dir, 10_000);
        expect(left.remaining, JSON.stringify(left.remaining)).to.deep.equal([]);
        // The stack keeps what the last good update made.
        expect(await workspace.outputs()).to.deep.equal({ x: "y", greeting: "hello, gopher" });
      } finally {
        await fs.rm(broken, { force: true });
      }
    });

    it("destroys the stack", async () => {
      await workspace.pulumi(["destroy", "--yes", "--skip-preview"]);
      expect((await workspace.exportStack()).resources).to.deep.equal([]);
      const left = await waitUntilNoProcessesIn(dir, 10_000);
      expect(left.remaining, JSON.stringify(left.remaining)).to.deep.equal([]);
    });
  });

  describe("Go: a running program when the CLI is interrupted or killed", function () {
    let workspace: PulumiWorkspace;
    let dir: string;
    let started: string;

    before(async function () {
      if (!existsSync(path.join(cliDir, "pulumi-language-go"))) {
        this.skip();
      }
      dir = await projectDir("go-stop");
      started = path.join(dir, "started");
      for (const file of ["go.mod", "go.sum"]) {
        await fs.copyFile(path.join(GO_FIXTURE, file), path.join(dir, file));
      }
      await fs.writeFile(path.join(dir, "main.go"), GO_PROGRAM_THAT_WAITS);
      await fs.writeFile(path.join(dir, "Pulumi.yaml"), "name: go-stop-e2e\nruntime: go\n");
      workspace = await PulumiWorkspace.create({
        project: "go-stop-e2e",
        dir,
        existingProject: true,
        removeDir: true,
        env: goEnvironment(),
      });
    });

    after(async function () {
      await workspace?.dispose();
    });

    /**
     * Starts `pulumi up` and resolves once the program runs (it writes `started`), with the command still
     * running (wrapped: an async function returning the promise itself would wait for it).
     */
    async function upUntilTheProgramRuns(): Promise<{ running: Promise<CliResult> }> {
      await fs.rm(started, { force: true });
      const running = workspace.pulumi(["up", "--yes", "--skip-preview"], { allowFailure: true });
      const ended = running.then((result) => {
        throw new Error(`pulumi up ended before the program ran:\n${result.output}`);
      });
      await Promise.race([
        pollUntil(() => (existsSync(started) ? true : undefined), {
          what: "the program",
          timeoutMs: 120_000,
        }),
        ended,
      ]);
      return { running };
    }

    it("Ctrl+C (SIGINT to the CLI) cancels the update and ends the host and the program", async () => {
      const { running } = await upUntilTheProgramRuns();
      workspace.interrupt();
      const result = await running;
      expect(result.code, result.output).to.not.equal(0);
      expect(result.output).to.include("update canceled");
      const left = await waitUntilNoProcessesIn(dir, 10_000);
      expect(left.remaining, JSON.stringify(left.remaining)).to.deep.equal([]);
    });

    it("a CLI killed with SIGKILL leaves no host or program running", async () => {
      const { running } = await upUntilTheProgramRuns();
      workspace.signal("SIGKILL");
      const result = await running;
      expect(result.signal, result.output).to.equal("SIGKILL");
      // The host sees the engine gone at its next health check (every 2 s) and kills the program.
      const left = await waitUntilNoProcessesIn(dir, 10_000);
      expect(left.remaining, JSON.stringify(left.remaining)).to.deep.equal([]);
      await workspace.pulumi(["cancel", "--yes"]);
    });
  });

  describe("Go: a resource served by a provider plugin on PATH", function () {
    let workspace: PulumiWorkspace;
    let dir: string;

    before(async function () {
      if (!existsSync(path.join(cliDir, "pulumi-language-go"))) {
        this.skip();
      }
      dir = await projectDir("go-plugin");
      await fs.copyFile(path.join(GO_FIXTURE, "go.sum"), path.join(dir, "go.sum"));
      const goMod = (await fs.readFile(path.join(GO_FIXTURE, "go.mod"), "utf8")).replace(
        "module narrative-e2e-go",
        "module narrative-e2e-go-plugin",
      );
      // A local module standing for a generated narrative SDK: only its pulumi-plugin.json matters here.
      await fs.writeFile(
        path.join(dir, "go.mod"),
        `${goMod}\nrequire example.com/narrative-sdk v0.0.0\n\nreplace example.com/narrative-sdk => ./narrative-sdk\n`,
      );
      await fs.mkdir(path.join(dir, "narrative-sdk", "narrative"), { recursive: true });
      await fs.writeFile(
        path.join(dir, "narrative-sdk", "go.mod"),
        "module example.com/narrative-sdk\n\ngo 1.25.11\n",
      );
      await fs.writeFile(path.join(dir, "narrative-sdk", "narrative", "doc.go"), "package narrative\n");
      await fs.writeFile(
        path.join(dir, "narrative-sdk", "narrative", "pulumi-plugin.json"),
        '{"resource": true, "name": "narrative", "version": "0.1.0"}\n',
      );
      await fs.writeFile(path.join(dir, "main.go"), GO_PROGRAM_WITH_RESOURCE);
      await fs.writeFile(path.join(dir, "Pulumi.yaml"), "name: go-plugin-e2e\nruntime: go\n");
      // A stub provider plugin: @pulumi/pulumi/provider's main() creating anything with its inputs as outputs.
      const pluginDir = path.join(dir, "plugin");
      await fs.mkdir(pluginDir);
      await fs.writeFile(path.join(pluginDir, "stub.js"), STUB_PROVIDER);
      await fs.writeFile(
        path.join(pluginDir, "pulumi-resource-narrative"),
        `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(pluginDir, "stub.js"))} "$@"\n`,
        { mode: 0o755 },
      );
      const basePath = goEnvironment()["PATH"] ?? process.env["PATH"] ?? "";
      workspace = await PulumiWorkspace.create({
        project: "go-plugin-e2e",
        dir,
        existingProject: true,
        removeDir: true,
        env: { PATH: [pluginDir, cliDir, basePath].join(path.delimiter) },
      });
    });

    after(async function () {
      await workspace?.dispose();
    });

    skipTheRestAfterAFailure();

    it("creates the resource through the plugin, with the version pulumi-plugin.json names", async function () {
      this.timeout(FIRST_BUILD_MS);
      await workspace.pulumi(["up", "--yes", "--skip-preview"], { timeoutMs: FIRST_BUILD_MS });
      expect(await workspace.outputs()).to.deep.equal({ jobId: "j-1" });
      const { resources } = await workspace.exportStack();
      const rerun = resources.find((resource) => resource.type === "narrative:index:JobRerun");
      expect(rerun?.outputs).to.deep.equal({ jobId: "j-1" });
      // The stand-in reported narrative 0.1.0 (GetRequiredPackages), so the default provider is that version's.
      expect(resources.map((resource) => resource.urn)).to.include.members([
        `urn:pulumi:${workspace.stack}::go-plugin-e2e::pulumi:providers:narrative::default_0_1_0`,
      ]);
    });

    it("destroys the stack", async () => {
      await workspace.pulumi(["destroy", "--yes", "--skip-preview"]);
      expect((await workspace.exportStack()).resources).to.deep.equal([]);
    });
  });
});
