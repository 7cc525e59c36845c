/**
 * The names of the package's settings: the stack configuration keys, their environment fallbacks and the default
 * API URL. Messages at every layer name them (so that an error says which setting to change); jobrerun/settings.ts
 * reads them.
 */
/** The stack configuration the provider reads, in Pulumi's `namespace:key` form. */
export const CONFIG_KEYS = {
  /** The Narrative API base URL, https only. Default: `NARRATIVE_API_URL`, then https://api.narrative.io. */
  apiUrl: "narrative:apiUrl",
  /**
   * The Narrative API key (Jobs permission: read to create and refresh, write to reschedule). Default:
   * `NARRATIVE_API_TOKEN`. Never stored in a resource's inputs or outputs.
   */
  token: "narrative:token",
  /** How long one request may take, such as "30s" (at most 10m). Default: `NARRATIVE_ATTEMPT_TIMEOUT`, then 30s. */
  attemptTimeout: "narrative:attemptTimeout",
  /**
   * How long one call may take with its retries, such as "2m" (at most 24h). Default: `NARRATIVE_TOTAL_TIMEOUT`,
   * then 2m.
   */
  totalTimeout: "narrative:totalTimeout",
} as const;

/** Environment fallbacks, for CI jobs that keep secrets in the environment rather than the stack. */
export const ENV_KEYS = {
  apiUrl: "NARRATIVE_API_URL",
  token: "NARRATIVE_API_TOKEN",
  attemptTimeout: "NARRATIVE_ATTEMPT_TIMEOUT",
  totalTimeout: "NARRATIVE_TOTAL_TIMEOUT",
} as const;

export const DEFAULT_API_URL = "https://api.narrative.io";
