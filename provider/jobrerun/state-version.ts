/**
 * The stored state's version, and the downgrade rule. A release reads every shape it or an earlier release
 * wrote. A state that a newer release wrote (a higher `schemaVersion`, or members this release never wrote)
 * is refused before anything is sent: reading it would drop what this release does not understand when the
 * state is rewritten, and decide whether to reschedule from a record it only partly understands. The refusal
 * names both releases and says which to install.
 */
import { NarrativeStateError } from "../api/errors";
import { JOB_RERUN_INPUTS } from "./inputs";
import { compareVersions, PACKAGE_NAME, packageVersion } from "../common/package-version";

/**
 * The version of the stored shape. 1: every figure at the top level (no `status`); 2: `status` without a
 * version; 3: `status.schemaVersion`, `deployedJob`, and the `run_observed` outcome; 4: `status.writtenBy`, the
 * package version that wrote the state. `outputsFromState` reads them all and refuses a higher one. Any change
 * to the stored shape, a new optional member included, raises it: an older release refuses what it has not seen.
 */
export const STATE_SCHEMA_VERSION = 4;

/** The members of `status` (JobRerunStatus in decisions.ts), which `storedOutputs` moves under `status`. */
export const STATUS_KEYS = [
  "schemaVersion",
  "writtenBy",
  "outcome",
  "state",
  "jobJson",
  "rescheduleCount",
  "lastRescheduledAt",
  "unfinishedRun",
  "deployedJob",
] as const;

/**
 * Every top-level output of a JobRerun in any shape this release reads: the inputs, the API URL used, `status`,
 * and the figures a version-1 state kept at the top level (the parsed `job` among them). Members whose names
 * start with `__` belong to the Pulumi host that stores them (the dynamic provider host's `__provider`), not to
 * this package, and are not judged here.
 */
const TOP_LEVEL_MEMBERS: ReadonlySet<string> = new Set([
  ...Object.keys(JOB_RERUN_INPUTS),
  "apiUrl",
  "status",
  ...STATUS_KEYS,
  "job",
]);

/**
 * What in a stored JobRerun shows that a newer release wrote it, as the refusal names it: a schema version
 * above this release's, and each member this release does not know. Empty when this release can read it.
 */
export function newerStateSigns(stored: Readonly<Record<string, unknown>>): string[] {
  const signs: string[] = [];
  const status = stored["status"];
  const statusMembers = isRecord(status) ? status : {};
  const version = statusMembers["schemaVersion"];
  if (
    version !== undefined &&
    !(
      typeof version === "number" &&
      Number.isInteger(version) &&
      version >= 1 &&
      version <= STATE_SCHEMA_VERSION
    )
  ) {
    signs.push(`state schemaVersion ${JSON.stringify(version)}`);
  }
  const unknown = (members: Readonly<Record<string, unknown>>, known: ReadonlySet<string>): string[] =>
    Object.keys(members).filter((name) => !known.has(name) && !name.startsWith("__"));
  signs.push(...unknown(stored, TOP_LEVEL_MEMBERS).map((name) => `the output ${name}`));
  signs.push(...unknown(statusMembers, new Set<string>(STATUS_KEYS)).map((name) => `status.${name}`));
  return signs;
}

/**
 * The refusal of a state a newer release wrote (see `newerStateSigns`), or undefined when this release can
 * read it. Thrown before the state is used, so that nothing is sent and the engine keeps the state as it is.
 */
export function newerStateError(stored: Readonly<Record<string, unknown>>): NarrativeStateError | undefined {
  const signs = newerStateSigns(stored);
  if (signs.length === 0) {
    return undefined;
  }
  const status = isRecord(stored["status"]) ? stored["status"] : {};
  const writtenBy = typeof status["writtenBy"] === "string" ? status["writtenBy"] : undefined;
  const installed = packageVersion();
  const jobId = typeof stored["jobId"] === "string" ? stored["jobId"] : "unknown";
  const writer =
    writtenBy === undefined ? `a newer release of ${PACKAGE_NAME}` : `${PACKAGE_NAME} ${writtenBy}`;
  const reader = installed === undefined ? `the installed ${PACKAGE_NAME}` : `${PACKAGE_NAME} ${installed}`;
  // The release to install is the writer's when it is known to be newer than this one.
  const newer =
    writtenBy !== undefined && installed !== undefined && (compareVersions(writtenBy, installed) ?? 0) > 0;
  const install = newer
    ? `${PACKAGE_NAME} ${writtenBy} or later`
    : `a release of ${PACKAGE_NAME} newer than ${installed ?? "the installed one"}`;
  const error = new NarrativeStateError(
    `The state of the JobRerun of job ${jobId} was written by ${writer} and holds ${listed(signs)}, which ` +
      `${reader}, installed here, does not know: it reads state schemaVersion ${STATE_SCHEMA_VERSION} and ` +
      `earlier. Nothing was sent and the state is unchanged: a release never rewrites a newer state into an ` +
      `older shape or reschedules on a guess. Install ${install} (npm install ${PACKAGE_NAME}@latest) and ` +
      `run the command again.`,
    { jobId, writtenBy, installed, signs },
  );
  // Without a stack: the dynamic provider host prints a failed diff's stack to stderr, which the CLI shows
  // above its error line, and for a refusal the user acts on, a trace through this package only buries it.
  error.stack = "";
  return error;
}

function listed(items: readonly string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1) ?? ""}`;
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
