/**
 * The layout of provider/ as the README's module map describes it, checked: every module sits in a layer,
 * imports only from its own layer or the ones below, takes part in no import cycle, and stays short enough to
 * read top to bottom. A new module fails here until it is given a layer (and a line in the README).
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

const PROVIDER = path.resolve(__dirname, "..", "..", "provider");

/**
 * Bottom first. The provider plugin's host (plugin/) sits over the shared lifecycle, as the dynamic provider's
 * does; the simulator and the command-line tool are applications of the package, above it all.
 */
const LAYERS: readonly (readonly string[])[] = [
  [
    "types",
    "duration",
    "json",
    "errors",
    "redact",
    "api-url",
    "triggers",
    "server-text",
    "answers",
    "package-version",
  ],
  ["settings", "retry"],
  ["failure", "reschedule-rule", "proxy", "transport", "client-args", "attempts"],
  ["client"],
  ["inputs", "wait", "cancellation", "get-job", "state-version"],
  ["decisions"],
  ["shim", "incomplete", "provider", "resource", "resolvable", "functions"],
  ["index"],
  ["plugin/proto", "plugin/schema"],
  ["plugin/values"],
  ["plugin/config", "plugin/reads"],
  ["plugin/server"],
  ["plugin/main"],
];

/** Folders of provider/ whose modules take part in the layering (the others are applications above it). */
const LAYERED_FOLDERS = ["", "plugin"];

const MAX_FILE_LINES = 450;
const MAX_FUNCTION_LINES = 80;

/** Modules by their path under provider/ without the extension: "client", "plugin/server". */
function modules(): string[] {
  return LAYERED_FOLDERS.flatMap((folder) =>
    fs
      .readdirSync(path.join(PROVIDER, folder))
      .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts"))
      .map((name) => path.posix.join(folder, name.slice(0, -3))),
  );
}

function layerOf(name: string): number {
  return LAYERS.findIndex((layer) => layer.includes(name));
}

function source(name: string): ts.SourceFile {
  const file = path.join(PROVIDER, `${name}.ts`);
  return ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
}

/** The provider/ modules a module imports (type-only imports included: they shape the layering too). */
function localImports(name: string): string[] {
  const imports: string[] = [];
  for (const statement of source(name).statements) {
    if (
      (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
      statement.moduleSpecifier !== undefined &&
      ts.isStringLiteral(statement.moduleSpecifier)
    ) {
      const specifier = statement.moduleSpecifier.text;
      if (specifier.startsWith(".")) {
        imports.push(path.posix.join(path.posix.dirname(name), specifier));
      }
    }
  }
  return imports;
}

describe("provider/ layout", () => {
  it("gives every module a layer", () => {
    const without = modules().filter((name) => layerOf(name) === -1);
    expect(without, "modules missing from LAYERS (and from the README's module map)").to.deep.equal([]);
  });

  it("imports only from the same layer or below", () => {
    const upward: string[] = [];
    for (const name of modules()) {
      for (const imported of localImports(name)) {
        if (layerOf(imported) > layerOf(name)) {
          upward.push(`${name} (layer ${layerOf(name)}) imports ${imported} (layer ${layerOf(imported)})`);
        }
      }
    }
    expect(upward).to.deep.equal([]);
  });

  it("has no import cycle", () => {
    const graph = new Map(modules().map((name) => [name, localImports(name)]));
    const cycles: string[] = [];
    const visit = (name: string, trail: string[]): void => {
      if (trail.includes(name)) {
        cycles.push([...trail.slice(trail.indexOf(name)), name].join(" → "));
        return;
      }
      for (const next of graph.get(name) ?? []) {
        visit(next, [...trail, name]);
      }
    };
    for (const name of graph.keys()) {
      visit(name, []);
    }
    expect(cycles).to.deep.equal([]);
  });

  it(`keeps every module under ${MAX_FILE_LINES} lines`, () => {
    const long = modules()
      .map(
        (name) =>
          [name, fs.readFileSync(path.join(PROVIDER, `${name}.ts`), "utf8").split("\n").length] as const,
      )
      .filter(([, lines]) => lines > MAX_FILE_LINES)
      .map(([name, lines]) => `${name}.ts: ${lines} lines`);
    expect(long).to.deep.equal([]);
  });

  it(`keeps every function under ${MAX_FUNCTION_LINES} lines`, () => {
    const long: string[] = [];
    for (const name of modules()) {
      const file = source(name);
      const visit = (node: ts.Node): void => {
        if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
          const start = file.getLineAndCharacterOfPosition(node.getStart()).line;
          const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
          if (end - start + 1 > MAX_FUNCTION_LINES) {
            const label = node.name !== undefined ? node.name.getText(file) : "(anonymous)";
            long.push(`${name}.ts:${start + 1} ${label}: ${end - start + 1} lines`);
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(file);
    }
    expect(long).to.deep.equal([]);
  });
});
