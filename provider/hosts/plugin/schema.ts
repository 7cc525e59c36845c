/**
 * The `narrative` package's tokens, and its schema and version as the plugin serves them. The schema is
 * schema.json at the package's root, built from the TypeScript declarations by `npm run schema`
 * (scripts/schema.ts); the version is the npm package's, the one number the plugin, the schema and the SDKs
 * share.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { PACKAGE_NAME, PACKAGE_ROOT, packageVersion } from "../../common/package-version";

export const JOB_RERUN_TOKEN = "narrative:index:JobRerun";
export const GET_JOB_TOKEN = "narrative:index:getJob";
export const DATASET_SELECTOR_TOKEN = "narrative:index:DatasetSelector";

/** The version the plugin reports: the engine needs one, so a package.json it cannot read is an error here. */
export function pluginVersion(): string {
  const version = packageVersion();
  if (version === undefined) {
    throw new Error(`cannot read ${PACKAGE_NAME}'s version from ${path.join(PACKAGE_ROOT, "package.json")}`);
  }
  return version;
}

export function schemaJson(): string {
  return readFileSync(path.join(PACKAGE_ROOT, "schema.json"), "utf8");
}
