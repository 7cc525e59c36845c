/**
 * The client's options and arguments, checked before anything is sent: the token, the API URL, the timing
 * options, a job id, the filters of GET /jobs. Each failure is a NarrativeConfigError naming what to fix, and
 * none shows the token.
 */
import { apiUrlProblem } from "./api-url";
import { NarrativeConfigError } from "./errors";
import { formatMs } from "../common/duration";
import { DEFAULT_RETRY_OPTIONS, RETRY_OPTION_LIMITS_MS, type RetryOptions } from "./retry-policy";
import { CONFIG_KEYS, ENV_KEYS } from "../common/setting-names";
import { isJobId, JOB_ORDERS, jobIdProblem, type ListJobsFilters } from "./types";

/**
 * The token, refused unless every character is visible ASCII (letters, digits, punctuation): the only characters
 * an API key holds. Anything else is a paste accident (a space, a line break, a zero-width space, a smart quote)
 * that an HTTP header cannot carry, or carries as a different byte (é goes out as the Latin-1 byte 0xE9), so the
 * request would fail as a network error or a 401 after the deployment had begun. The message never shows the
 * token: only what kind of character is wrong.
 */
export function checkToken(token: unknown): string {
  if (typeof token !== "string" || token.trim() === "") {
    throw new NarrativeConfigError(
      `No Narrative API token: set it with \`pulumi config set --secret ${CONFIG_KEYS.token} <key>\` or the ` +
        `${ENV_KEYS.token} environment variable. Nothing was sent.`,
      { property: CONFIG_KEYS.token },
    );
  }
  const bad = [...token].find((char) => !/^[\x21-\x7e]$/.test(char));
  if (bad !== undefined) {
    throw new NarrativeConfigError(
      `The Narrative API token (${CONFIG_KEYS.token} or ${ENV_KEYS.token}) contains ${characterKind(bad)}: ` +
        "an API key holds only letters, digits and punctuation, and an HTTP header would not carry it as typed. " +
        `Copy the key again and set it with \`pulumi config set --secret ${CONFIG_KEYS.token} <key>\` or ` +
        `${ENV_KEYS.token}. Nothing was sent.`,
      { property: CONFIG_KEYS.token },
    );
  }
  return token;
}

/** What a character that is not visible ASCII is, in words; its code point only when it is not ASCII. */
function characterKind(char: string): string {
  const codePoint = char.codePointAt(0) ?? 0;
  if (char.trim() === "" && codePoint < 0x80) {
    return codePoint === 0x20 ? "a space" : "a tab or line break";
  }
  if (codePoint < 0x20 || codePoint === 0x7f) {
    return "a control character";
  }
  const code = `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
  return char.trim() === "" || /\p{Cf}/u.test(char)
    ? `an invisible character (${code})`
    : `a character outside ASCII (${code})`;
}

/**
 * The API's base URL under the one rule of api-url.ts (https; http only for loopback; no user name or
 * password), checked before any connection. `setting` names where the URL came from, e.g. "narrative:apiUrl".
 */
export function apiBaseUrl(apiUrl: unknown, setting: string): URL {
  const problem = apiUrlProblem(apiUrl);
  if (problem !== undefined) {
    throw new NarrativeConfigError(`${setting} ${problem}. Nothing was sent.`, { property: setting });
  }
  return new URL(apiUrl as string);
}

/** Fills the timing options from DEFAULT_RETRY_OPTIONS, refusing a value that is not a usable duration. */
export function resolveRetryOptions(
  options: Partial<Record<keyof RetryOptions, unknown>>,
): Readonly<RetryOptions> {
  const resolved: RetryOptions = { ...DEFAULT_RETRY_OPTIONS };
  for (const name of Object.keys(DEFAULT_RETRY_OPTIONS) as (keyof RetryOptions)[]) {
    const value = options[name];
    if (value === undefined) {
      continue;
    }
    const allowsZero = name === "baseDelayMs" || name === "maxDelayMs";
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!allowsZero && value === 0)) {
      throw new NarrativeConfigError(
        `${name} must be a ${allowsZero ? "non-negative" : "positive"} number of milliseconds; got ${String(value)}.`,
        { property: name },
      );
    }
    if (value > RETRY_OPTION_LIMITS_MS[name]) {
      throw new NarrativeConfigError(
        `${name} must be at most ${RETRY_OPTION_LIMITS_MS[name]} milliseconds (${formatMs(RETRY_OPTION_LIMITS_MS[name])}); got ${value}.`,
        { property: name },
      );
    }
    resolved[name] = value;
  }
  return resolved;
}

/** A job id is a UUID; anything else is refused, quoted redacted in case it is a token pasted in the wrong place. */
export function checkJobId(jobId: unknown, token: string, apiHost: string): asserts jobId is string {
  const problem = jobIdProblem(jobId, token);
  if (problem !== undefined) {
    throw new NarrativeConfigError(`${problem}. Nothing was sent to ${apiHost}.`, {
      property: "jobId",
      apiHost,
    });
  }
}

export function checkForce(force: unknown, jobId: string, apiHost: string): asserts force is boolean {
  if (typeof force !== "boolean") {
    throw new NarrativeConfigError(`force must be true or false to reschedule job ${jobId}.`, {
      property: "force",
      jobId,
      apiHost,
    });
  }
}

/** `GET /jobs` returns at most this many jobs a page. */
export const MAX_PER_PAGE = 500;
/** In the order they are written into the query string. */
const FILTER_NAMES = [
  "data_plane_id",
  "dataset_id",
  "state",
  "type",
  "order_by",
  "per_page",
  "offset",
] as const;

/** Checks the filters and writes them as a query string, in a fixed order. */
export function filterQuery(filters: ListJobsFilters): URLSearchParams {
  const fail = (property: string, problem: string): never => {
    throw new NarrativeConfigError(`listJobs filter ${property} ${problem}. Nothing was sent.`, { property });
  };
  for (const name of Object.keys(filters)) {
    if (!(FILTER_NAMES as readonly string[]).includes(name)) {
      fail(name, `is not a GET /jobs filter (known: ${FILTER_NAMES.join(", ")})`);
    }
  }
  const { data_plane_id, dataset_id, state, type, order_by, per_page, offset } = filters;
  // A data plane id is a UUID, as a job id is.
  if (data_plane_id !== undefined && !isJobId(data_plane_id)) {
    fail("data_plane_id", "must be a UUID");
  }
  if (dataset_id !== undefined && !(Number.isSafeInteger(dataset_id) && dataset_id >= 0)) {
    fail("dataset_id", "must be a non-negative integer");
  }
  for (const [name, value] of [
    ["state", state],
    ["type", type],
  ] as const) {
    if (value !== undefined && (typeof value !== "string" || value.trim() === "")) {
      fail(name, "must be a non-empty string");
    }
  }
  if (order_by !== undefined && !(JOB_ORDERS as readonly string[]).includes(order_by)) {
    fail("order_by", `must be one of ${JOB_ORDERS.join(", ")}`);
  }
  if (
    per_page !== undefined &&
    !(Number.isSafeInteger(per_page) && per_page >= 1 && per_page <= MAX_PER_PAGE)
  ) {
    fail("per_page", `must be an integer from 1 to ${MAX_PER_PAGE}`);
  }
  if (offset !== undefined) {
    if (!(Number.isSafeInteger(offset) && offset >= 0)) {
      fail("offset", "must be a non-negative integer (page index × per_page)");
    }
    if (offset !== 0 && per_page === undefined) {
      fail("offset", "is page index × per_page, so per_page must be given with it");
    }
    if (per_page !== undefined && offset % per_page !== 0) {
      fail("offset", `must be a multiple of per_page (${per_page}): it is page index × per_page`);
    }
  }
  const query = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const value = filters[name];
    if (value !== undefined) {
      query.set(name, String(value));
    }
  }
  return query;
}
