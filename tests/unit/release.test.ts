/**
 * The release (.github/workflows/release.yml): the checks `npm run release` makes before the upload, and the
 * workflow itself: every step that builds or checks something is an npm script of this package that a test here
 * runs, so that only the upload (the Go SDK's tag, the GitHub release) goes untested. actionlint checks the
 * workflow's syntax (`npm run lint:workflows`, a step of .ci/run).
 */
import { expect } from "chai";
import { createHash } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assetProblems, expectedAssets, goSdkTag, packageVersion, tagProblem } from "../../scripts/release";

const ROOT = path.resolve(__dirname, "..", "..");
const WORKFLOW = path.join(ROOT, ".github", "workflows", "release.yml");

/** The workflow's upload commands, the steps no test runs. */
const UPLOAD = [/^git tag "\$\(npm run --silent release -- go-sdk-tag\)"/, /^gh release create /];

describe("release: npm run release's checks", () => {
  it("check-tag: the tag must be v<package.json's version>", () => {
    expect(tagProblem(`v${packageVersion()}`)).to.equal(undefined);
    expect(tagProblem("v9.9.9", "0.1.0")).to.include("is not v0.1.0");
    expect(tagProblem("0.1.0", "0.1.0")).to.include("is not v0.1.0");
  });

  it("go-sdk-tag: sdk/go/v<version>, the tag Go finds the SDK's module by", () => {
    expect(goSdkTag("1.2.3")).to.equal("sdk/go/v1.2.3");
  });

  it("check-assets: names what is missing, what does not belong, and an archive whose listed checksum differs", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-assets-"));
    try {
      const assets = expectedAssets("0.1.0");
      expect(assets).to.include.members([
        "pulumi-resource-narrative-v0.1.0-linux-amd64.tar.gz",
        "pulumi-resource-narrative-v0.1.0-linux-arm64.tar.gz",
        "pulumi-resource-narrative-v0.1.0-darwin-amd64.tar.gz",
        "pulumi-resource-narrative-v0.1.0-darwin-arm64.tar.gz",
        "pulumi-resource-narrative-v0.1.0-windows-amd64.tar.gz",
        "pulumi-resource-narrative-v0.1.0-checksums.txt",
        "pulumi-narrative-jobs-0.1.0.tgz",
        "pulumi_narrative-0.1.0.tar.gz",
        "pulumi_narrative-0.1.0-py3-none-any.whl",
      ]);
      const archives = assets.filter(
        (name) => name.startsWith("pulumi-resource-") && name.endsWith(".tar.gz"),
      );
      const sums: string[] = [];
      for (const name of assets.filter((asset) => !asset.endsWith("checksums.txt"))) {
        await fs.writeFile(path.join(dir, name), name);
      }
      for (const name of archives) {
        sums.push(`${createHash("sha256").update(name).digest("hex")}  ${name}`);
      }
      await fs.writeFile(
        path.join(dir, "pulumi-resource-narrative-v0.1.0-checksums.txt"),
        `${sums.join("\n")}\n`,
      );
      expect(await assetProblems(dir, "0.1.0")).to.deep.equal([]);

      await fs.rm(path.join(dir, "pulumi_narrative-0.1.0-py3-none-any.whl"));
      await fs.writeFile(path.join(dir, "pulumi-resource-narrative-v0.0.9-linux-amd64.tar.gz"), "old");
      await fs.writeFile(path.join(dir, "pulumi-resource-narrative-v0.1.0-linux-arm64.tar.gz"), "changed");

      const problems = await assetProblems(dir, "0.1.0");
      expect(problems).to.include("missing: pulumi_narrative-0.1.0-py3-none-any.whl");
      expect(problems).to.include("not a release asset: pulumi-resource-narrative-v0.0.9-linux-amd64.tar.gz");
      expect(problems.some((problem) => problem.includes("linux-arm64.tar.gz is listed as"))).to.equal(true);
      expect(problems).to.have.length(3);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe("release: .github/workflows/release.yml", () => {
  const text = readFileSync(WORKFLOW, "utf8");
  const runs = [...text.matchAll(/^\s*(?:-\s+)?run:\s*(.*)$/gm)].map((match) => (match[1] ?? "").trim());
  const scripts = (
    JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    }
  ).scripts;

  it("runs on a version tag", () => {
    expect(text).to.match(/^on:\n {2}push:\n {4}tags: \["v\[0-9\]\+\.\[0-9\]\+\.\[0-9\]\+"\]$/m);
  });

  it("every step it runs is one line: npm ci, npm pack, an npm script, .ci/run, or the upload", () => {
    expect(runs.length).to.be.above(0);
    expect(
      runs.filter((run) => run === "|" || run === ">"),
      "multi-line steps",
    ).to.deep.equal([]);
    const other = runs.filter(
      (run) =>
        !/^npm (ci|pack)( |$)/.test(run) &&
        !/^npm run [\w:-]+( |$)/.test(run) &&
        run !== "bash .ci/run" &&
        !UPLOAD.some((upload) => upload.test(run)),
    );
    expect(other).to.deep.equal([]);
  });

  it("every npm script it runs is this package's, and a test here runs it", async () => {
    const named = [
      ...new Set(
        runs.flatMap((run) => [...run.matchAll(/npm run (?:--silent )?([\w:-]+)/g)].map((m) => m[1] ?? "")),
      ),
    ];
    expect(named).to.include.members(["plugin-archives", "release", "build", "python-sdk"]);
    const testText = await allTestText();
    for (const name of named) {
      expect(scripts[name], `npm run ${name}`).to.be.a("string");
      // `build` runs before every test command (npm test); a test runs each other one by its name, or runs the
      // file it runs (scripts/build-python-sdk for python-sdk).
      if (name !== "build") {
        const file = path
          .basename(/scripts\/[\w/.-]+/.exec(scripts[name] ?? "")?.[0] ?? name)
          .replace(/\.ts$/, "");
        const runByATest = testText.includes(`"${name}"`) || testText.includes(`${file}"`);
        expect(runByATest, `a test that runs npm run ${name} (or ${file})`).to.equal(true);
      }
    }
  });

  it("builds every platform's archive: darwin-arm64 on a macOS arm64 runner, where codesign signs both macOS ones", () => {
    expect(text).to.include("npm run plugin-archives -- linux-amd64 linux-arm64 windows-amd64");
    expect(text).to.match(/runs-on: macos-14\n[\s\S]*?npm run plugin-archives -- darwin-arm64 darwin-amd64/);
  });
});

/** The text of every test file and helper, to find the npm scripts they run. */
async function allTestText(): Promise<string> {
  const entries = await fs.readdir(path.join(ROOT, "tests"), { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile() && entry.name.endsWith(".ts"));
  const texts = await Promise.all(
    files.map((entry) => fs.readFile(path.join(entry.parentPath, entry.name), "utf8")),
  );
  return texts.join("\n");
}
