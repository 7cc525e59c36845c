/**
 * The layout of provider/ as CONTRIBUTING.md's table of folders describes it, checked: every module sits in a
 * folder that is a layer, imports only from the folders its layer may use, takes part in no import cycle, and
 * every source file of the repository's code folders stays short enough to read top to bottom.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..", "..");
const PROVIDER = path.join(ROOT, "provider");

/**
 * Each folder of provider/ and the folders its modules may import from (its own always included). "" is
 * provider/ itself, which holds only the package's public surface.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  common: [],
  api: ["common"],
  jobrerun: ["common", "api"],
  "hosts/dynamic": ["common", "api", "jobrerun"],
  "hosts/plugin": ["common", "api", "jobrerun"],
  "": ["common", "api", "jobrerun", "hosts/dynamic"],
  cli: ["common", "api", "jobrerun"],
  simulator: ["common", "api"],
};

/** The folders held to the size rules: the package's source and every other folder of code in the repository. */
const SIZED_FOLDERS = ["provider", "bench", "scripts", "examples"];

const MAX_FILE_LINES = 450;
const MAX_FUNCTION_LINES = 80;

/** Every .ts file below a directory, as paths relative to it ("api/client.ts"). */
function tsFiles(dir: string, under = ""): string[] {
  return fs.readdirSync(path.join(dir, under), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(under, entry.name);
    if (entry.isDirectory()) {
      return entry.name === "node_modules" ? [] : tsFiles(dir, relative);
    }
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [relative] : [];
  });
}

/** Modules of provider/ by their path without the extension: "api/client", "hosts/plugin/server". */
function modules(): string[] {
  return tsFiles(PROVIDER).map((file) => file.slice(0, -3));
}

function folderOf(module: string): string {
  return path.posix.dirname(module) === "." ? "" : path.posix.dirname(module);
}

function source(file: string): ts.SourceFile {
  return ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
}

/** The provider/ modules a module imports (type-only imports included: they shape the layering too). */
function localImports(module: string): string[] {
  const imports: string[] = [];
  for (const statement of source(path.join(PROVIDER, `${module}.ts`)).statements) {
    if (
      (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
      statement.moduleSpecifier !== undefined &&
      ts.isStringLiteral(statement.moduleSpecifier) &&
      statement.moduleSpecifier.text.startsWith(".")
    ) {
      imports.push(path.posix.join(path.posix.dirname(module), statement.moduleSpecifier.text));
    }
  }
  return imports;
}

/** The code files the size rules hold: TypeScript, JavaScript and Go, tracked or new, outside generated SDKs. */
function sizedFiles(): string[] {
  const walk = (relative: string): string[] =>
    fs.readdirSync(path.join(ROOT, relative), { withFileTypes: true }).flatMap((entry) => {
      const child = path.posix.join(relative, entry.name);
      if (entry.isDirectory()) {
        return ["node_modules", "fixtures", "sdks", ".pulumi"].includes(entry.name) ? [] : walk(child);
      }
      return /\.(ts|js|cjs|go)$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [child] : [];
    });
  return SIZED_FOLDERS.flatMap((folder) => walk(folder));
}

/** The functions of a TypeScript or JavaScript file longer than the limit, as "file:line name: N lines". */
function longScriptFunctions(file: string): string[] {
  const tree = source(path.join(ROOT, file));
  const long: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
      const start = tree.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = tree.getLineAndCharacterOfPosition(node.getEnd()).line;
      if (end - start + 1 > MAX_FUNCTION_LINES) {
        const label = node.name !== undefined ? node.name.getText(tree) : "(anonymous)";
        long.push(`${file}:${start + 1} ${label}: ${end - start + 1} lines`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return long;
}

/** The same for Go: a top-level `func` runs to the first line that is a lone closing brace (gofmt's layout). */
function longGoFunctions(file: string): string[] {
  const lines = fs.readFileSync(path.resolve(ROOT, file), "utf8").split("\n");
  const long: string[] = [];
  lines.forEach((line, index) => {
    const match = /^func (?:\([^)]*\) )?(\w+)/.exec(line);
    if (match === null || line.trimEnd().endsWith("}")) {
      return;
    }
    const end = lines.findIndex((candidate, at) => at > index && candidate === "}");
    if (end - index + 1 > MAX_FUNCTION_LINES) {
      long.push(`${file}:${index + 1} ${match[1]}: ${end - index + 1} lines`);
    }
  });
  return long;
}

describe("provider/ layout", () => {
  it("puts every module in a folder that is a layer", () => {
    const stray = modules().filter((module) => !(folderOf(module) in MAY_IMPORT));
    expect(stray, "modules outside the folders of MAY_IMPORT (and CONTRIBUTING.md's table)").to.deep.equal(
      [],
    );
  });

  it("keeps provider/ itself to the public surface", () => {
    expect(modules().filter((module) => folderOf(module) === "")).to.deep.equal(["index"]);
  });

  it("imports only from the folders a layer may use", () => {
    const forbidden: string[] = [];
    for (const module of modules()) {
      const folder = folderOf(module);
      const allowed = [folder, ...(MAY_IMPORT[folder] ?? [])];
      for (const imported of localImports(module)) {
        if (!allowed.includes(folderOf(imported))) {
          forbidden.push(`${module} imports ${imported}`);
        }
      }
    }
    expect(forbidden).to.deep.equal([]);
  });

  it("has no import cycle", () => {
    const graph = new Map(modules().map((module) => [module, localImports(module)]));
    const cycles: string[] = [];
    const visit = (module: string, trail: string[]): void => {
      if (trail.includes(module)) {
        cycles.push([...trail.slice(trail.indexOf(module)), module].join(" → "));
        return;
      }
      for (const next of graph.get(module) ?? []) {
        visit(next, [...trail, module]);
      }
    };
    for (const module of graph.keys()) {
      visit(module, []);
    }
    expect(cycles).to.deep.equal([]);
  });

  it("finds a Go function over the limit, and none at it", () => {
    // The Go rule reads gofmt's layout: a function of 81 lines must be found, one of 80 must not.
    const body = (lines: number): string => ["func f() {", ...Array(lines - 2).fill("\tx()"), "}"].join("\n");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "layout-"));
    try {
      fs.writeFileSync(path.join(dir, "long.go"), body(81));
      fs.writeFileSync(path.join(dir, "short.go"), body(80));
      expect(longGoFunctions(path.join(dir, "long.go"))).to.have.length(1);
      expect(longGoFunctions(path.join(dir, "short.go"))).to.deep.equal([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("CONTRIBUTING.md's table of folders", () => {
  it("names each folder of provider/ with the folders MAY_IMPORT lets it import, and no other", () => {
    const text = fs.readFileSync(path.join(ROOT, "CONTRIBUTING.md"), "utf8");
    const table = text.slice(text.indexOf("## The folders"), text.indexOf("Beside `provider/`"));
    const rows = new Map<string, string[]>();
    for (const match of table.matchAll(/^\| `provider\/([^`]*)` +\|[^|]*\| ([^|]*?) +\|$/gm)) {
      const folder = (match[1] ?? "").replace(/\/$/, "").replace(/^index\.ts$/, "");
      const imports = (match[2] ?? "").trim();
      rows.set(folder, imports === "nothing" ? [] : imports.split(", "));
    }
    expect(Object.fromEntries(rows)).to.deep.equal(MAY_IMPORT);
  });
});

describe("size of the code", () => {
  it(`keeps every file of ${SIZED_FOLDERS.join("/, ")}/ under ${MAX_FILE_LINES} lines`, () => {
    const long = sizedFiles()
      .map((file) => [file, fs.readFileSync(path.join(ROOT, file), "utf8").split("\n").length] as const)
      .filter(([, lines]) => lines > MAX_FILE_LINES)
      .map(([file, lines]) => `${file}: ${lines} lines`);
    expect(long).to.deep.equal([]);
  });

  it(`keeps every function of those folders under ${MAX_FUNCTION_LINES} lines`, () => {
    const long = sizedFiles().flatMap((file) =>
      file.endsWith(".go") ? longGoFunctions(file) : longScriptFunctions(file),
    );
    expect(long).to.deep.equal([]);
  });
});
