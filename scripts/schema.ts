/**
 * Builds the `narrative` package schema (schema.json) from the TypeScript declarations it describes, so that
 * the plugin, the SDKs generated from the schema and the TypeScript class cannot drift apart:
 *
 * - JobRerun's inputs, their types and descriptions: `JobRerunInputValues` and `DatasetSelector`
 *   (provider/jobrerun/inputs.ts), with the required and defaulted ones from the input table `JOB_RERUN_INPUTS`;
 * - its outputs: the getters of the `JobRerun` class (provider/hosts/dynamic/resource.ts) and `JobRerunStatus`'s required
 *   members (provider/jobrerun/decisions.ts);
 * - the configuration: `CONFIG_KEYS` (provider/common/setting-names.ts);
 * - `getJob`: `GetJobArgs` and `GetJobResult` (provider/jobrerun/get-job.ts).
 *
 * `npm run schema` writes schema.json; tests/unit/schema.test.ts fails when the committed file differs from
 * what this builds. A TypeScript type this file cannot map fails the build instead of guessing.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { INPUT_DEFAULTS, JOB_RERUN_INPUTS } from "../provider/jobrerun/inputs";
import { CONFIG_KEYS } from "../provider/common/setting-names";
import { GET_JOB_TOKEN, JOB_RERUN_TOKEN, DATASET_SELECTOR_TOKEN } from "../provider/hosts/plugin/schema";

const ROOT = path.resolve(__dirname, "..");
export const SCHEMA_FILE = path.join(ROOT, "schema.json");

type Spec = Record<string, unknown>;

/** Each TypeScript type the declarations use, as a schema type. */
const TYPES: Record<string, Spec> = {
  string: { type: "string" },
  boolean: { type: "boolean" },
  number: { type: "number" },
  JsonValue: { $ref: "pulumi.json#/Any" },
  Job: { $ref: "pulumi.json#/Any" },
  // A number of seconds or a duration such as "30m"; languages without unions take the text.
  "number | string": { type: "string", oneOf: [{ type: "number" }, { type: "string" }] },
  WaitFor: { type: "string" },
  OnUnrecordedRun: { type: "string" },
  RerunOutcome: { type: "string" },
  UnfinishedRun: { type: "string" },
  DatasetSelector: { $ref: `#/types/${DATASET_SELECTOR_TOKEN}` },
};

/** Whole numbers, which the declarations can only type as `number`. */
const INTEGERS = new Set(["DatasetSelector.id", "JobRerun.rescheduleCount"]);

interface Member {
  name: string;
  optional: boolean;
  typeText: string;
  description: string;
}

function sourceFile(relative: string): ts.SourceFile {
  const file = path.join(ROOT, relative);
  return ts.createSourceFile(file, ts.sys.readFile(file) ?? "", ts.ScriptTarget.ES2022, true);
}

/** A declaration's JSDoc text (the last block before it), flattened to one paragraph per blank line. */
function jsDoc(node: ts.Node): string {
  const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
  const comment = docs[docs.length - 1]?.comment;
  const text = typeof comment === "string" ? comment : (ts.getTextOfJSDocComment(comment) ?? "");
  return text
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.replace(/\s*\n\s*/g, " ").trim())
    .join("\n\n");
}

function findNode<T extends ts.Node>(
  file: ts.SourceFile,
  test: (node: ts.Node) => node is T,
  name: string,
): T {
  let found: T | undefined;
  const visit = (node: ts.Node): void => {
    if (found === undefined && test(node) && (node as { name?: ts.Identifier }).name?.text === name) {
      found = node;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  if (found === undefined) {
    throw new Error(`schema: ${name} not found in ${file.fileName}`);
  }
  return found;
}

function interfaceMembers(relative: string, name: string): Member[] {
  const file = sourceFile(relative);
  const declaration = findNode(file, ts.isInterfaceDeclaration, name);
  return declaration.members.filter(ts.isPropertySignature).map((member) => ({
    name: member.name.getText(file),
    optional: member.questionToken !== undefined,
    typeText: member.type?.getText(file) ?? "",
    description: jsDoc(member),
  }));
}

/** The getters of the JobRerun class, with the type inside `pulumi.Output<…>` less `undefined`. */
function outputGetters(): Member[] {
  const file = sourceFile("provider/hosts/dynamic/resource.ts");
  const declaration = findNode(file, ts.isClassDeclaration, "JobRerun");
  return declaration.members.filter(ts.isGetAccessorDeclaration).map((getter) => {
    const text = getter.type?.getText(file) ?? "";
    const inner = /^pulumi\.Output<(.+)>$/s.exec(text)?.[1] ?? text;
    return {
      name: getter.name.getText(file),
      optional: /\|\s*undefined/.test(inner),
      typeText: inner.replace(/\s*\|\s*undefined/, "").trim(),
      description: jsDoc(getter),
    };
  });
}

function propertySpec(owner: string, member: Member, extra: Spec = {}): Spec {
  const type = TYPES[member.typeText];
  if (type === undefined) {
    throw new Error(
      `schema: ${owner}.${member.name} has type ${member.typeText}, which scripts/schema.ts does not map`,
    );
  }
  const typed = INTEGERS.has(`${owner}.${member.name}`) ? { type: "integer" } : type;
  return { ...typed, description: member.description, ...extra };
}

function properties(owner: string, members: Member[], extra: (member: Member) => Spec = () => ({})): Spec {
  return Object.fromEntries(
    members.map((member) => [member.name, propertySpec(owner, member, extra(member))]),
  );
}

function configVariables(): Spec {
  const file = sourceFile("provider/common/setting-names.ts");
  const declaration = findNode(file, ts.isVariableDeclaration, "CONFIG_KEYS");
  let literal = declaration.initializer;
  while (literal !== undefined && ts.isAsExpression(literal)) {
    literal = literal.expression;
  }
  if (literal === undefined || !ts.isObjectLiteralExpression(literal)) {
    throw new Error("schema: CONFIG_KEYS is not an object literal");
  }
  return Object.fromEntries(
    literal.properties.map((member) => {
      const name = member.name?.getText(file) ?? "";
      if (!(name in CONFIG_KEYS)) {
        throw new Error(`schema: CONFIG_KEYS.${name} is not a key of the built CONFIG_KEYS`);
      }
      return [
        name,
        { type: "string", description: jsDoc(member), ...(name === "token" ? { secret: true } : {}) },
      ];
    }),
  );
}

/** The paragraphs of a JSDoc block meant for users: up to the first one that explains the implementation. */
function firstParagraph(text: string): string {
  return text.split("\n\n")[0] ?? "";
}

async function manifest(): Promise<{ version: string; devDependencies: Record<string, string> }> {
  return JSON.parse(await fs.readFile(path.join(ROOT, "package.json"), "utf8")) as {
    version: string;
    devDependencies: Record<string, string>;
  };
}

async function packageVersion(): Promise<string> {
  return (await manifest()).version;
}

/** Where the Go SDK lives: its module path names the repository whose releases hold the plugin's archives. */
export const GO_IMPORT_BASE_PATH = "github.com/narrative-io/pulumi-narrative-jobs/sdk/go/narrative";

/**
 * Where the Pulumi CLI downloads the plugin a program's SDK asks for: the GitHub releases (tag v<version>, assets
 * pulumi-resource-narrative-v<version>-<os>-<arch>.tar.gz, `npm run plugin-archives`) of the repository the Go
 * SDK's module path names. Every generated SDK carries it, with the schema's version.
 */
export function pluginDownloadUrl(importBasePath: string): string {
  const match = /^github\.com\/([^/]+)\/([^/]+)\//.exec(importBasePath);
  if (match === null) {
    throw new Error(`schema: the Go import path ${importBasePath} names no GitHub repository`);
  }
  return `github://api.github.com/${match[1]}/${match[2]}`;
}

export async function buildSchema(): Promise<Spec> {
  const config = configVariables();
  return {
    name: "narrative",
    displayName: "Narrative I/O Jobs",
    version: await packageVersion(),
    description: "Re-run a Narrative I/O data job from a Pulumi deployment when its triggers change.",
    keywords: ["pulumi", "narrative", "category/utility", "kind/native"],
    pluginDownloadURL: pluginDownloadUrl(GO_IMPORT_BASE_PATH),
    license: "Apache-2.0",
    meta: { moduleFormat: "(.*)" },
    config: { variables: config },
    provider: {
      description: "The Narrative provider: which API it talks to, and with which key.",
      inputProperties: config,
      properties: Object.fromEntries(Object.entries(config).filter(([name]) => name !== "token")),
    },
    types: { [DATASET_SELECTOR_TOKEN]: datasetSelectorType() },
    resources: { [JOB_RERUN_TOKEN]: jobRerunResource() },
    functions: { [GET_JOB_TOKEN]: getJobFunction() },
    language: await languages(),
  };
}

/** The JobRerun resource: its inputs from `JobRerunInputValues`, its outputs from the class's getters. */
function jobRerunResource(): Record<string, unknown> {
  const inputs = interfaceMembers("provider/jobrerun/inputs.ts", "JobRerunInputValues");
  const inputNames = inputs.map((member) => member.name).sort();
  const tableNames = Object.keys(JOB_RERUN_INPUTS).sort();
  if (JSON.stringify(inputNames) !== JSON.stringify(tableNames)) {
    throw new Error(
      `schema: JobRerunInputValues (${inputNames}) and JOB_RERUN_INPUTS (${tableNames}) differ`,
    );
  }
  const status = interfaceMembers("provider/jobrerun/decisions.ts", "JobRerunStatus");
  const getters = outputGetters();
  const requiredStatus = status.filter((member) => !member.optional).map((member) => member.name);
  const outputNames = getters.map((getter) => getter.name);
  const resourceClass = findNode(
    sourceFile("provider/hosts/dynamic/resource.ts"),
    ts.isClassDeclaration,
    "JobRerun",
  );
  const requiredInputs = inputs.filter((member) => !member.optional).map((member) => member.name);
  return {
    description: firstParagraph(jsDoc(resourceClass)),
    inputProperties: properties("JobRerun", inputs),
    requiredInputs,
    properties: { ...properties("JobRerun", inputs), ...properties("JobRerun", getters) },
    required: [
      ...new Set([
        "jobId",
        ...requiredInputs,
        ...Object.keys(INPUT_DEFAULTS),
        "apiUrl",
        ...outputNames.filter((name) => requiredStatus.includes(name) || name === "job"),
      ]),
    ].sort(),
  };
}

function datasetSelectorType(): Record<string, unknown> {
  const members = interfaceMembers("provider/jobrerun/inputs.ts", "DatasetSelector");
  return {
    type: "object",
    description: jsDoc(
      findNode(sourceFile("provider/jobrerun/inputs.ts"), ts.isInterfaceDeclaration, "DatasetSelector"),
    ),
    properties: properties("DatasetSelector", members),
    required: members.filter((member) => !member.optional).map((member) => member.name),
  };
}

function getJobFunction(): Record<string, unknown> {
  const args = interfaceMembers("provider/jobrerun/get-job.ts", "GetJobArgs");
  const result = interfaceMembers("provider/jobrerun/get-job.ts", "GetJobResult");
  const read = findNode(
    sourceFile("provider/jobrerun/get-job.ts"),
    ts.isFunctionDeclaration,
    "getJobSnapshot",
  );
  return {
    description: firstParagraph(jsDoc(read)),
    inputs: {
      properties: properties("GetJobArgs", args),
      required: args.filter((member) => !member.optional).map((member) => member.name),
    },
    outputs: {
      properties: properties("GetJobResult", result),
      required: result.filter((member) => !member.optional).map((member) => member.name),
    },
  };
}

/**
 * What Pulumi's generators need to write the SDKs (npm run sdks): each SDK takes the schema's version, and the
 * Node.js one the TypeScript this repository pins (the generator's default is ^4.7.0).
 */
async function languages(): Promise<Record<string, unknown>> {
  return {
    go: {
      importBasePath: GO_IMPORT_BASE_PATH,
      generateResourceContainerTypes: false,
      respectSchemaVersion: true,
    },
    nodejs: {
      packageName: "@narrative-io/pulumi-narrative",
      typescriptVersion: (await manifest()).devDependencies["typescript"],
      respectSchemaVersion: true,
    },
    python: { packageName: "pulumi_narrative", respectSchemaVersion: true, pyproject: { enabled: true } },
  };
}

/** The schema as the file holds it: two-space JSON with a final newline. */
export async function schemaText(): Promise<string> {
  return `${JSON.stringify(await buildSchema(), null, 2)}\n`;
}

if (require.main === module) {
  schemaText()
    .then((text) => fs.writeFile(SCHEMA_FILE, text))
    .then(() => process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
