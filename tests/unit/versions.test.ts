/**
 * One version number, set in one place: package.json's `version`. schema.json carries it (`npm run schema`
 * copies it), and the generated SDKs carry the schema's (`npm run sdks`, with `respectSchemaVersion` in the
 * schema's `language` settings). A version bump that skips either command fails here.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

function read(relative: string): string {
  return fs.readFileSync(path.join(ROOT, relative), "utf8");
}

function versionOf(relative: string): unknown {
  return (JSON.parse(read(relative)) as { version?: unknown }).version;
}

/** `version = "…"` in the [project] table of a pyproject.toml, as the Python generator writes it. */
function pyprojectVersion(text: string): string | undefined {
  const project = /^\[project\]\n([\s\S]*?)(?=^\[)/m.exec(text)?.[1] ?? "";
  return /^\s*version\s*=\s*"([^"]*)"\s*$/m.exec(project)?.[1];
}

describe("versions: package.json's version is the schema's and every generated SDK's", () => {
  const version = versionOf("package.json");

  it("package.json has a plain X.Y.Z version", () => {
    // A pre-release would be written 1.2.3a1 in pyproject.toml (PEP 440), which the comparisons below do not map.
    expect(version)
      .to.be.a("string")
      .and.match(/^\d+\.\d+\.\d+$/);
  });

  it("schema.json", () => {
    expect(versionOf("schema.json")).to.equal(version);
  });

  it("the Node.js SDK: sdk/nodejs/package.json and the plugin version it asks for", () => {
    const manifest = JSON.parse(read("sdk/nodejs/package.json")) as {
      version: unknown;
      pulumi: { version: unknown };
    };
    expect(manifest.version).to.equal(version);
    expect(manifest.pulumi.version).to.equal(version);
  });

  it("the Python SDK: sdk/python/pyproject.toml and its pulumi-plugin.json", () => {
    expect(pyprojectVersion(read("sdk/python/pyproject.toml"))).to.equal(version);
    expect(versionOf("sdk/python/pulumi_narrative/pulumi-plugin.json")).to.equal(version);
  });

  it("the Go SDK: its pulumi-plugin.json and the plugin version its resources ask for", () => {
    expect(versionOf("sdk/go/narrative/pulumi-plugin.json")).to.equal(version);
    expect(read("sdk/go/narrative/internal/pulumiUtilities.go")).to.include(
      `version := semver.MustParse(${JSON.stringify(version)})`,
    );
  });
});

describe("pluginDownloadURL: every generated SDK tells the CLI where its plugin's release archives are", () => {
  const schema = JSON.parse(read("schema.json")) as {
    pluginDownloadURL?: unknown;
    language: { go: { importBasePath: string } };
  };

  it("the schema's is the GitHub releases of the repository the Go SDK's module path names", () => {
    const [, owner, repo] = /^github\.com\/([^/]+)\/([^/]+)\//.exec(schema.language.go.importBasePath) ?? [];
    expect(schema.pluginDownloadURL).to.equal(`github://api.github.com/${owner}/${repo}`);
  });

  it("each SDK's pulumi-plugin.json (package.json for Node.js) carries it as its server", () => {
    const nodejs = JSON.parse(read("sdk/nodejs/package.json")) as { pulumi: { server?: unknown } };
    expect(nodejs.pulumi.server).to.equal(schema.pluginDownloadURL);
    for (const file of [
      "sdk/go/narrative/pulumi-plugin.json",
      "sdk/python/pulumi_narrative/pulumi-plugin.json",
    ]) {
      expect((JSON.parse(read(file)) as { server?: unknown }).server, file).to.equal(
        schema.pluginDownloadURL,
      );
    }
  });
});
