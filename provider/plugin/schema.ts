/**
 * The `narrative` package's tokens, and its schema and version as the plugin serves them. The schema is
 * schema.json at the package's root, built from the TypeScript declarations by `npm run schema`
 * (scripts/schema.ts); the version is the npm package's, the one number the plugin, the schema and the SDKs
 * share.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";

export const JOB_RERUN_TOKEN = "narrative:index:JobRerun";
export const GET_JOB_TOKEN = "narrative:index:getJob";
export const DATASET_SELECTOR_TOKEN = "narrative:index:DatasetSelector";

/** The package's root: two levels up from both provider/plugin (sources) and lib/plugin (the build). */
const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as {
    version: string;
  };
  return manifest.version;
}

export function schemaJson(): string {
  return readFileSync(path.join(PACKAGE_ROOT, "schema.json"), "utf8");
}
