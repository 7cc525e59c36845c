/**
 * The tarball npm would publish, read file by file, then installed into an empty directory and used the ways a
 * user's first minutes use it: the command-line tool's help and a `require` of every entry point of `exports`.
 * (`npm run check:package` lints the same tarball with publint and arethetypeswrong; packed-install.test.ts
 * runs a Pulumi program on it.)
 */
import { expect } from "chai";
import { promises as fs, readdirSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PulumiWorkspace, REPO_ROOT, runCommand } from "../../scripts/pulumi-harness";
import { npmInstall, packedTarball, PULUMI_SDK } from "../support/packing";

/**
 * Everything at the top of the tarball, exactly: a new entry fails this test until it is named here, so nothing
 * is published by accident. Directories end with "/".
 */
const EXPECTED_TOP_LEVEL = ["CHANGELOG.md", "LICENSE", "README.md", "lib/", "package.json", "schema.json"];

/** The packed tarball's size limit. The compiled code with its declarations, the README, the schema, the licence. */
const MAX_PACKED_BYTES = 256 * 1024;

/** Paths a user's install never needs: sources, tests and their data, development scripts, maps, archives. */
const NOT_SHIPPED: readonly [string, RegExp][] = [
  ["TypeScript sources (declarations aside)", /(?<!\.d)\.ts$/],
  ["source maps (they would point at provider/*.ts, which is not shipped)", /\.map$/],
  ["tests", /(^|\/)tests?\/|\.test\.|\.spec\./],
  ["fixtures", /(^|\/)fixtures?\//],
  ["benchmarks", /(^|\/)bench\//],
  ["development scripts", /^scripts\//],
  ["archives and logs", /\.(tgz|log)$/],
];

interface PackedFile {
  path: string;
  size: number;
}

interface PackManifest {
  filename: string;
  size: number;
  unpackedSize: number;
  files: PackedFile[];
}

/** What `npm pack` would put in the tarball: the same file list, read without writing a second tarball. */
async function packManifest(): Promise<PackManifest> {
  const packed = await runCommand("npm", ["pack", "--dry-run", "--json"], { cwd: REPO_ROOT });
  const [manifest] = JSON.parse(packed.stdout) as PackManifest[];
  if (manifest === undefined) {
    throw new Error(`npm pack printed no manifest:\n${packed.output}`);
  }
  return manifest;
}

/** The compiled modules a build of provider/ makes, as paths under lib/ without their extension. */
function compiledModules(dir = path.join(REPO_ROOT, "provider"), prefix = "lib/"): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? compiledModules(path.join(dir, entry.name), `${prefix}${entry.name}/`)
      : entry.name.endsWith(".ts")
        ? [`${prefix}${entry.name.slice(0, -".ts".length)}`]
        : [],
  );
}

interface PackageJson {
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, unknown>;
}

const packageJson = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as PackageJson;

/** The files an `exports` value points at, its conditions followed to their ends. */
function exportTargets(value: unknown): string[] {
  if (typeof value === "string") {
    return [value];
  }
  return value !== null && typeof value === "object" ? Object.values(value).flatMap(exportTargets) : [];
}

describe("e2e: the published package, file by file and installed into an empty directory", function () {
  this.timeout(120_000);

  let manifest: PackManifest;
  let paths: string[];

  before(async () => {
    manifest = await packManifest();
    paths = manifest.files.map((file) => file.path).sort();
  });

  it("holds exactly the expected top-level entries", () => {
    const topLevel = [...new Set(paths.map((file) => file.replace(/\/.*$/, "/")))].sort();
    expect(topLevel).to.deep.equal([...EXPECTED_TOP_LEVEL].sort());
  });

  it("holds no sources, tests, fixtures, benchmarks, scripts or maps", () => {
    const unwanted = NOT_SHIPPED.flatMap(([what, pattern]) =>
      paths.filter((file) => pattern.test(file)).map((file) => `${file} (${what})`),
    );
    expect(unwanted).to.deep.equal([]);
  });

  it("holds the compiled module and its declaration for each source module, and nothing stale", () => {
    const expected = compiledModules().flatMap((module) => [`${module}.d.ts`, `${module}.js`]);
    const shipped = paths.filter((file) => file.startsWith("lib/"));
    // A file left in lib/ by an earlier build of a module since removed would be published too.
    const stale = shipped.filter((file) => !expected.includes(file));
    expect(stale, "stale files in lib/: run `rm -rf lib && npm run build`").to.deep.equal([]);
    expect(expected.filter((file) => !shipped.includes(file))).to.deep.equal([]);
  });

  it("holds every file package.json names: main, types, bin and each export", () => {
    const named = [
      packageJson.main,
      packageJson.types,
      ...Object.values(packageJson.bin),
      ...exportTargets(packageJson.exports),
    ].map((file) => path.posix.normalize(file));
    expect(named.filter((file) => !paths.includes(file))).to.deep.equal([]);
  });

  it(`stays under ${MAX_PACKED_BYTES / 1024} KiB packed`, () => {
    console.log(
      `      tarball: ${paths.length} files, ${manifest.size} bytes packed, ${manifest.unpackedSize} unpacked`,
    );
    expect(manifest.size).to.be.below(MAX_PACKED_BYTES);
  });

  describe("installed into an empty directory", () => {
    let dir: string;

    before(async function () {
      // npm install may fetch @pulumi/pulumi and its dependencies from the registry.
      this.timeout(600_000);
      dir = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-installed-"));
      // What `npm init -y` leaves, so that npm installs here and not into a directory above.
      await fs.writeFile(path.join(dir, "package.json"), '{ "name": "fresh-project", "private": true }\n');
      // @pulumi/pulumi is the peer dependency a user installs beside it (README: Install).
      await npmInstall(dir, [await packedTarball(), PULUMI_SDK]);
    });

    after(async () => {
      if (dir !== undefined) {
        await fs.rm(dir, { recursive: true, force: true });
      }
    });

    it("runs `npx narrative-jobs --help`", async () => {
      const help = await runCommand("npx", ["--no-install", "narrative-jobs", "--help"], { cwd: dir });
      expect(help.code).to.equal(0);
      expect(help.stdout).to.match(/^Usage: narrative-jobs/m);
      for (const command of ["get <jobId>", "list", "reschedule <jobId>", "wait <jobId>"]) {
        expect(help.stdout).to.match(new RegExp(`^  ${command} `, "m"));
      }
    });

    it("serves pulumi-resource-narrative's schema: this repository's schema.json", async () => {
      const workspace = await PulumiWorkspace.create({ project: "fresh-project", dir, removeDir: false });
      try {
        // By path: given a bare name, the CLI would ask the Pulumi registry first.
        const plugin = path.join(dir, "node_modules", ".bin", "pulumi-resource-narrative");
        const served = await workspace.pulumi(["package", "get-schema", plugin]);
        // The committed file (which tests/unit/schema.test.ts holds to a fresh build), not the installed copy the
        // plugin read it from: a stale or altered copy in the tarball fails here.
        const committed = await fs.readFile(path.join(REPO_ROOT, "schema.json"), "utf8");
        expect(JSON.parse(served.stdout)).to.deep.equal(JSON.parse(committed));
        expect(JSON.parse(served.stdout)).to.include({ name: "narrative" });
      } finally {
        await workspace.dispose();
      }
    });

    it("loads every entry point of `exports` with `require`", async () => {
      const specifiers = Object.keys(packageJson.exports).map((subpath) =>
        subpath === "." ? "pulumi-narrative-jobs" : `pulumi-narrative-jobs/${subpath.slice(2)}`,
      );
      // From a script in the installed directory, so that each resolves as a user's program resolves it.
      const script = `for (const specifier of ${JSON.stringify(specifiers)}) {
  const loaded = require(specifier);
  console.log(specifier + " " + require.resolve(specifier) + " " + Object.keys(loaded).sort().join(","));
}`;
      await fs.writeFile(path.join(dir, "load.js"), script);
      const loaded = await runCommand(process.execPath, ["load.js"], { cwd: dir });
      const lines = loaded.stdout.trim().split("\n");
      expect(lines.map((line) => line.split(" ")[0])).to.deep.equal(specifiers);
      for (const line of lines) {
        const [, resolved] = line.split(" ");
        expect(resolved, line).to.satisfy((file: string) =>
          file.startsWith(path.join(dir, "node_modules", "pulumi-narrative-jobs")),
        );
      }
      const exportsOf = (specifier: string): string[] =>
        lines
          .find((line) => line.startsWith(`${specifier} `))
          ?.split(" ")[2]
          ?.split(",") ?? [];
      expect(exportsOf("pulumi-narrative-jobs")).to.include.members(["JobRerun", "NarrativeJobsClient"]);
      expect(exportsOf("pulumi-narrative-jobs/provider")).to.include.members(["check", "diff", "create"]);
      expect(exportsOf("pulumi-narrative-jobs/simulator")).to.include("startSimulator");
      expect(exportsOf("pulumi-narrative-jobs/package.json")).to.include.members(["name", "version"]);
    });
  });
});
