/**
 * The `narrative` package's tokens, and its schema and version as the plugin serves them. The schema is
 * schema.json at the package's root, built from the TypeScript declarations by `npm run schema`
 * (scripts/schema.ts); the version is the npm package's, the one number the plugin, the schema and the SDKs
 * share.
 */
export const JOB_RERUN_TOKEN = "narrative:index:JobRerun";
export const GET_JOB_TOKEN = "narrative:index:getJob";
export const DATASET_SELECTOR_TOKEN = "narrative:index:DatasetSelector";

// Literal requires of the package's root (two levels up from both provider/plugin, the sources, and lib/plugin,
// the build), rather than file reads: a bundler then carries both files into the standalone plugin.
/* eslint-disable @typescript-eslint/no-require-imports */
const manifest = (): { version: string } => require("../../package.json") as { version: string };
const schema = (): unknown => require("../../schema.json");
/* eslint-enable @typescript-eslint/no-require-imports */

export function packageVersion(): string {
  return manifest().version;
}

/** schema.json's text as `npm run schema` writes it (two-space JSON and a newline). */
export function schemaJson(): string {
  return `${JSON.stringify(schema(), null, 2)}\n`;
}
