/**
 * The `narrative` package's tokens, and its schema and version as the plugin serves them. The schema is
 * schema.json at the package's root, built from the TypeScript declarations by `npm run schema`
 * (scripts/schema.ts); the version is the npm package's, the one number the plugin, the schema and the SDKs
 * share.
 */
import { PACKAGE_NAME, packageVersion } from "../../common/package-version";

export const JOB_RERUN_TOKEN = "narrative:index:JobRerun";
export const GET_JOB_TOKEN = "narrative:index:getJob";
export const DATASET_SELECTOR_TOKEN = "narrative:index:DatasetSelector";

// A literal require of the package's root (three levels up from both provider/hosts/plugin, the sources, and
// lib/hosts/plugin, the build), rather than a file read: a bundler then carries schema.json into the standalone
// plugin.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const schema = (): unknown => require("../../../schema.json");

/** The version the plugin reports: the engine needs one, so a package.json it cannot read is an error here. */
export function pluginVersion(): string {
  const version = packageVersion();
  if (version === undefined) {
    throw new Error(`cannot read ${PACKAGE_NAME}'s version from its package.json`);
  }
  return version;
}

/** schema.json's text as `npm run schema` writes it (two-space JSON and a newline). */
export function schemaJson(): string {
  return `${JSON.stringify(schema(), null, 2)}\n`;
}
