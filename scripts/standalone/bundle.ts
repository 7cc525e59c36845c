/**
 * The plugin as one CommonJS file (esbuild), the script a Node.js single executable application runs: its
 * embedded `require` loads Node.js's built-in modules only, so every other module must be inside the file.
 */
import { build, type Metafile, type Plugin } from "esbuild";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const ENTRY = path.join(ROOT, "provider", "hosts", "plugin", "main.ts");
const PROVIDER_DIR = path.join(ROOT, "provider");

/**
 * The gRPC runtime and google-protobuf, resolved from @pulumi/pulumi's location as provider/hosts/plugin/proto.ts
 * resolves them at run time: its generated protocol classes serialize only messages of their own copy.
 */
function fromPulumi(): Plugin {
  const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [ROOT] }));
  return {
    name: "resolve-from-pulumi",
    setup(plugin) {
      plugin.onResolve({ filter: /^(@grpc\/grpc-js|google-protobuf)(\/|$)/ }, async (args) => {
        if (args.pluginData === "from-pulumi" || !args.importer.startsWith(PROVIDER_DIR)) {
          return undefined;
        }
        return plugin.resolve(args.path, {
          kind: args.kind,
          resolveDir: pulumiDir,
          pluginData: "from-pulumi",
        });
      });
    },
  };
}

/**
 * node-fetch's optional `encoding` (not installed): a module that fails to load as a missing one does, which
 * node-fetch expects. Left as a require, the executable's embedded `require` would print a warning on stderr at
 * every start for a name that is not a built-in.
 */
function absentEncoding(): Plugin {
  return {
    name: "absent-encoding",
    setup(plugin) {
      plugin.onResolve({ filter: /^encoding$/ }, () => ({ path: "encoding", namespace: "absent" }));
      plugin.onLoad({ filter: /.*/, namespace: "absent" }, () => ({
        contents: `throw Object.assign(new Error("Cannot find module 'encoding'"), { code: "MODULE_NOT_FOUND" });`,
        loader: "js",
      }));
    },
  };
}

/** Writes the bundle to `outFile`; returns the packages it holds (for the third-party notices). */
export async function bundlePlugin(outFile: string): Promise<Metafile> {
  const result = await build({
    entryPoints: [ENTRY],
    outfile: outFile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // proto.ts takes its plain-require branch; the other one, and its require.resolve, is dropped as dead code.
    define: { NARRATIVE_STANDALONE: "true" },
    minifySyntax: true,
    // The dropped branch's require.resolve, which esbuild would otherwise warn about.
    external: ["@pulumi/pulumi/package.json"],
    legalComments: "none",
    plugins: [fromPulumi(), absentEncoding()],
    metafile: true,
    logLevel: "warning",
    absWorkingDir: ROOT,
  });
  if (result.errors.length > 0 || result.warnings.length > 0) {
    throw new Error(`esbuild: ${result.errors.length} errors, ${result.warnings.length} warnings (above)`);
  }
  // The entry's `#!/usr/bin/env node` line: the executable's script is not run by a shell.
  const text = await fs.readFile(outFile, "utf8");
  await fs.writeFile(outFile, text.replace(/^#![^\n]*\n/, ""));
  return result.metafile;
}

interface BundledPackage {
  name: string;
  version: string;
  license: string;
  licenseText?: string;
}

/** The npm packages whose code the bundle holds, each with its license file. */
async function bundledPackages(metafile: Metafile): Promise<BundledPackage[]> {
  const dirs = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match?.[1] !== undefined) {
      dirs.add(path.join(ROOT, match[1]));
    }
  }
  const packages: BundledPackage[] = [];
  for (const dir of [...dirs].sort()) {
    const manifest = JSON.parse(await fs.readFile(path.join(dir, "package.json"), "utf8")) as {
      name: string;
      version: string;
      license?: string;
    };
    const names = await fs.readdir(dir);
    const licenseFile = names.find((name) => /^(licen[cs]e|copying)(\.|$)/i.test(name));
    packages.push({
      name: manifest.name,
      version: manifest.version,
      license: manifest.license ?? "see its license file",
      ...(licenseFile === undefined
        ? {}
        : { licenseText: await fs.readFile(path.join(dir, licenseFile), "utf8") }),
    });
  }
  return packages;
}

/**
 * THIRD-PARTY-NOTICES: the licenses of what the executable holds besides this package: Node.js (its LICENSE,
 * from the npm package the executable came from, when there is one) and every bundled npm package.
 */
export async function thirdPartyNotices(
  metafile: Metafile,
  nodeLicense: string | undefined,
): Promise<string> {
  const sections = [
    "pulumi-resource-narrative is a Node.js single executable application: Node.js with the plugin's code and",
    "the npm packages below bundled into it. Their licenses follow.",
    "",
  ];
  sections.push("=".repeat(100), "Node.js", "=".repeat(100));
  sections.push(
    nodeLicense !== undefined && existsSync(nodeLicense)
      ? await fs.readFile(nodeLicense, "utf8")
      : "Node.js is licensed under the MIT license; see https://github.com/nodejs/node/blob/main/LICENSE\n",
  );
  for (const pkg of await bundledPackages(metafile)) {
    sections.push("=".repeat(100), `${pkg.name}@${pkg.version} (${pkg.license})`, "=".repeat(100));
    sections.push(
      pkg.licenseText ?? `No license file ships with ${pkg.name}; its package.json says ${pkg.license}.\n`,
    );
  }
  return sections.join("\n");
}
