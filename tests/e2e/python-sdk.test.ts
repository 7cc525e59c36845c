/**
 * The Python SDK as a user gets it: sdk/python built into a wheel and an sdist by scripts/build-python-sdk
 * (`python -m build` with the pinned tools), their files and metadata, the wheel installed into an empty virtual
 * environment beside Pulumi's Python SDK (`pip check`, `import pulumi_narrative`), and examples/python checked by
 * mypy against it: clean as written, and failing on a copy with a misspelt argument, run by hand and through the
 * Python stand-in's `typechecker: mypy` option. Installs come from the pinned wheelhouse only (tests/support/python.ts).
 */
import { expect } from "chai";
import { promises as fs, readFileSync } from "node:fs";
import * as path from "node:path";
import {
  E2E_ROOT,
  ensurePulumiCli,
  PulumiWorkspace,
  REPO_ROOT,
  runCommand,
  type CliResult,
} from "../../scripts/pulumi-harness";
import { startSimulator } from "../../provider/simulator";
import { expectSucceeded, SEED_JOB_ID, watchRequests } from "../support/e2e-steps";
import {
  buildPythonSdk,
  copyPythonExample,
  ensurePythonEnvironment,
  offlinePip,
  type PythonSdkBuild,
} from "../support/python";

/** Prints, as JSON, an archive's member names and the text of the members asked for (zip or tar.gz). */
const READ_ARCHIVE = `
import json, sys, tarfile, zipfile
path, wanted = sys.argv[1], sys.argv[2:]
if path.endswith(".whl"):
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        texts = {name: archive.read(name).decode() for name in names if name.endswith(tuple(wanted))}
else:
    with tarfile.open(path) as archive:
        names = [member.name for member in archive.getmembers() if member.isfile()]
        texts = {name: archive.extractfile(name).read().decode() for name in names if name.endswith(tuple(wanted))}
json.dump({"names": names, "texts": texts}, sys.stdout)
`;

interface ArchiveListing {
  names: string[];
  texts: Record<string, string>;
}

/** The misspelling the type checker must catch: `job_idd=` for JobRerun's `job_id=`. */
function withTypo(program: string): string {
  const typo = program.replace("    job_id=job_id,\n", "    job_idd=job_id,\n");
  expect(typo, "the example passes job_id=job_id to JobRerun").not.to.equal(program);
  return typo;
}

describe("e2e: the Python SDK as users get it (wheel, sdist, an empty virtual environment, mypy)", function () {
  this.timeout(180_000);

  let pinned: string;
  let sdk: PythonSdkBuild;
  let scratch: string;
  let venvPython: string;
  const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
    version: string;
  };

  before(async function () {
    // A first ensure-python on this machine downloads and installs the pinned packages.
    this.timeout(900_000);
    await fs.mkdir(E2E_ROOT, { recursive: true });
    scratch = await fs.mkdtemp(path.join(E2E_ROOT, "narrative-python-sdk-"));
    pinned = await ensurePythonEnvironment();
    sdk = await buildPythonSdk(path.join(scratch, "dist"));
    venvPython = path.join(scratch, "venv", "bin", "python");
  });

  after(async () => {
    if (scratch !== undefined) {
      await fs.rm(scratch, { recursive: true, force: true });
    }
  });

  async function readArchive(archive: string, ...wanted: string[]): Promise<ArchiveListing> {
    const listed = await runCommand(path.join(pinned, "bin", "python"), [
      "-c",
      READ_ARCHIVE,
      archive,
      ...wanted,
    ]);
    return JSON.parse(listed.stdout) as ArchiveListing;
  }

  /** A stack for the Python project in `dir`, with the plugin (the repository's build) and the CLI on PATH. */
  async function pythonWorkspace(dir: string, env: NodeJS.ProcessEnv = {}): Promise<PulumiWorkspace> {
    const inherited = (process.env["PATH"] ?? "").split(path.delimiter);
    const bin = path.join(REPO_ROOT, "node_modules", ".bin");
    const PATH = [bin, await ensurePulumiCli(), ...inherited].join(path.delimiter);
    return PulumiWorkspace.create({
      project: "narrative-python",
      dir,
      existingProject: true,
      env: { PATH, ...env },
    });
  }

  function pip(args: readonly string[]): Promise<CliResult> {
    return runCommand(venvPython, ["-m", "pip", ...args], {
      cwd: scratch,
      env: { ...process.env, ...offlinePip(pinned, sdk.dir) },
      timeoutMs: 300_000,
    });
  }

  it(`the wheel is pulumi_narrative ${version}: its modules, py.typed, pulumi-plugin.json and the Pulumi requirement`, async () => {
    expect(path.basename(sdk.wheel)).to.equal(`pulumi_narrative-${version}-py3-none-any.whl`);
    const { names, texts } = await readArchive(sdk.wheel, "METADATA", "pulumi-plugin.json");
    const info = `pulumi_narrative-${version}.dist-info`;
    expect([...names].sort()).to.deep.equal(
      [
        "pulumi_narrative/__init__.py",
        "pulumi_narrative/_inputs.py",
        "pulumi_narrative/_utilities.py",
        "pulumi_narrative/config/__init__.py",
        "pulumi_narrative/config/__init__.pyi",
        "pulumi_narrative/config/vars.py",
        "pulumi_narrative/get_job.py",
        "pulumi_narrative/job_rerun.py",
        "pulumi_narrative/outputs.py",
        "pulumi_narrative/provider.py",
        "pulumi_narrative/pulumi-plugin.json",
        "pulumi_narrative/py.typed",
        `${info}/METADATA`,
        `${info}/RECORD`,
        `${info}/WHEEL`,
        `${info}/top_level.txt`,
      ].sort(),
    );
    const metadata = texts[`${info}/METADATA`] ?? "";
    expect(metadata).to.match(/^Name: pulumi_narrative$/m);
    expect(metadata).to.match(new RegExp(`^Version: ${version.replace(/\./g, "\\.")}$`, "m"));
    const requires = metadata.split("\n").filter((line) => line.startsWith("Requires-Dist: "));
    expect(requires).to.include("Requires-Dist: pulumi<4.0.0,>=3.231.0");
    expect(requires).to.include("Requires-Dist: parver>=0.2.1");
    // `server` is the schema's pluginDownloadURL: where the CLI downloads the plugin of this version.
    expect(JSON.parse(texts["pulumi_narrative/pulumi-plugin.json"] ?? "null")).to.deep.equal({
      resource: true,
      name: "narrative",
      version,
      server: "github://api.github.com/narrative-io/pulumi-narrative-jobs",
    });
  });

  it("the sdist holds the sources, pyproject.toml at the same version, py.typed and pulumi-plugin.json", async () => {
    expect(path.basename(sdk.sdist)).to.equal(`pulumi_narrative-${version}.tar.gz`);
    const { names, texts } = await readArchive(sdk.sdist, "pyproject.toml");
    const root = `pulumi_narrative-${version}`;
    expect(names).to.include.members([
      `${root}/pyproject.toml`,
      `${root}/PKG-INFO`,
      `${root}/pulumi_narrative/job_rerun.py`,
      `${root}/pulumi_narrative/py.typed`,
      `${root}/pulumi_narrative/pulumi-plugin.json`,
    ]);
    expect(texts[`${root}/pyproject.toml`]).to.include(`version = "${version}"`);
  });

  it("installed from the wheel into an empty virtual environment beside pulumi==3.248.0: pip check is clean, import pulumi_narrative works", async function () {
    this.timeout(300_000);
    await runCommand(path.join(pinned, "bin", "python"), ["-m", "venv", path.join(scratch, "venv")]);
    await pip(["install", "pulumi==3.248.0", sdk.wheel]);

    const check = await pip(["check"]);
    expect(check.stdout).to.include("No broken requirements found");
    const imported = await runCommand(venvPython, [
      "-c",
      "import importlib.metadata as m, pulumi_narrative as n; print(m.version('pulumi'), m.version('pulumi-narrative'), n.JobRerun.__name__, n.get_job_output.__name__)",
    ]);
    expect(imported.stdout.trim()).to.equal(`3.248.0 ${version} JobRerun get_job_output`);
  });

  it("mypy, installed beside it, finds no error in examples/python and names the misspelt argument in a copy", async function () {
    this.timeout(300_000);
    await pip(["install", "mypy==2.4.1"]);
    const program = await fs.readFile(path.join(REPO_ROOT, "examples", "python", "__main__.py"), "utf8");
    const copy = path.join(scratch, "typo", "__main__.py");
    await fs.mkdir(path.dirname(copy), { recursive: true });
    await fs.writeFile(copy, withTypo(program));
    const mypy = (file: string): Promise<CliResult> =>
      runCommand(
        venvPython,
        ["-m", "mypy", "--strict", "--cache-dir", path.join(scratch, "mypy-cache"), file],
        {
          cwd: path.dirname(file),
          allowFailure: true,
          timeoutMs: 300_000,
        },
      );

    const clean = await mypy(path.join(REPO_ROOT, "examples", "python", "__main__.py"));
    expect(clean.code, clean.output).to.equal(0);
    expect(clean.stdout).to.match(/^Success: no issues found in 1 source file$/m);

    const typo = await mypy(copy);
    expect(typo.code, typo.output).to.equal(1);
    expect(typo.stdout).to.include(
      'error: Unexpected keyword argument "job_idd" for overloaded function "JobRerun"; did you mean "job_id"?',
    );
  });

  it("the stand-in's typechecker: mypy option fails `pulumi preview` on the misspelt copy with mypy's message", async function () {
    this.timeout(300_000);
    const dir = path.join(scratch, "typechecked");
    await copyPythonExample(dir);
    const project = await fs.readFile(path.join(dir, "Pulumi.yaml"), "utf8");
    // The environment of the cases above, with mypy in it; the project's own options otherwise.
    const options = `    virtualenv: ${JSON.stringify(path.join(scratch, "venv"))}\n    typechecker: mypy\n`;
    await fs.writeFile(path.join(dir, "Pulumi.yaml"), project.replace("    virtualenv: venv\n", options));
    await fs.writeFile(
      path.join(dir, "__main__.py"),
      withTypo(await fs.readFile(path.join(dir, "__main__.py"), "utf8")),
    );
    const workspace = await pythonWorkspace(dir);
    try {
      await workspace.setConfig("jobId", SEED_JOB_ID);
      await workspace.setConfig("sqlHash", "v1");
      const preview = await workspace.pulumi(["preview"], { allowFailure: true });

      expect(preview.code, preview.output).not.to.equal(0);
      expect(preview.output).to.include(
        'error: Unexpected keyword argument "job_idd" for overloaded function "JobRerun"; did you mean "job_id"?',
      );
      expect(preview.output).to.include("the type checker (typechecker: mypy) failed");
    } finally {
      await workspace.dispose();
    }
  });
  it("pulumi package add <the plugin> generates the SDK into sdks/narrative, lists it in requirements.txt and installs it; the example previews on it", async function () {
    this.timeout(600_000);
    const dir = path.join(scratch, "package-add");
    await copyPythonExample(dir);
    const token = "tok-PKGADD-7f3c9a";
    const sim = await startSimulator({ frozen: true, token });
    // pip finds pulumi and its requirements in the wheelhouse, but no pulumi-narrative wheel: only the generated SDK.
    const workspace = await pythonWorkspace(dir, offlinePip(pinned));
    try {
      const plugin = path.join(REPO_ROOT, "node_modules", ".bin", "pulumi-resource-narrative");
      const added = await workspace.pulumi(["package", "add", plugin], { timeoutMs: 600_000 });

      expectSucceeded(added);
      expect(added.output).to.include("import pulumi_narrative as narrative");
      const requirements = await fs.readFile(path.join(dir, "requirements.txt"), "utf8");
      expect(requirements.trim().split("\n")).to.deep.equal(["pulumi>=3.248.0,<4.0.0", "sdks/narrative"]);
      const pyproject = await fs.readFile(path.join(dir, "sdks", "narrative", "pyproject.toml"), "utf8");
      expect(pyproject).to.match(/^ {2}name = "pulumi_narrative"$/m);
      const where = await runCommand(path.join(dir, "venv", "bin", "python"), [
        "-c",
        "import importlib.metadata as m; print(m.version('pulumi-narrative'), m.distribution('pulumi-narrative').read_text('direct_url.json'))",
      ]);
      expect(where.stdout).to.match(
        new RegExp(`^${version.replace(/\./g, "\\.")} .*"url": "file://${dir}/sdks/narrative"`),
      );

      await workspace.configureNarrative(sim.url, token);
      await workspace.setConfig("jobId", SEED_JOB_ID);
      await workspace.setConfig("sqlHash", "v1");
      const { result, requests } = await watchRequests(sim, () => workspace.pulumi(["preview"]));
      expectSucceeded(result);
      expect(result.output).to.match(/\+ {2}narrative:index:JobRerun rerun create/);
      expect(requests.map((request) => `${request.method} ${request.path}`)).to.deep.equal([
        `GET /jobs/${SEED_JOB_ID}`,
      ]);
    } finally {
      await workspace.dispose();
      await sim.close();
    }
  });
});
