import { parseDuration } from "./duration";

/** The stack configuration the provider reads, in Pulumi's `namespace:key` form. */
export const CONFIG_KEYS = {
  apiUrl: "narrative:apiUrl",
  token: "narrative:token",
  attemptTimeout: "narrative:attemptTimeout",
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

/** What the provider process knows beyond a resource's inputs. Never serialized, never stored in state. */
export interface ProviderSettings {
  apiUrl: string;
  token: string | undefined;
  attemptTimeoutMs: number | undefined;
  totalTimeoutMs: number | undefined;
}

/** The part of Pulumi's dynamic-provider configuration the provider uses. */
export interface ConfigSource {
  get(key: string): string | undefined;
}

/**
 * Stack configuration wins over the environment. The token is read here, at run time inside the provider
 * process, so that it never becomes part of the serialized provider or of a resource's inputs.
 */
export function resolveSettings(config: ConfigSource | undefined, env: NodeJS.ProcessEnv): ProviderSettings {
  const pick = (key: keyof typeof CONFIG_KEYS): string | undefined => {
    const fromConfig = config?.get(CONFIG_KEYS[key]);
    if (fromConfig !== undefined && fromConfig !== "") {
      return fromConfig;
    }
    const fromEnv = env[ENV_KEYS[key]];
    return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
  };
  const duration = (key: "attemptTimeout" | "totalTimeout"): number | undefined => {
    const raw = pick(key);
    if (raw === undefined) {
      return undefined;
    }
    const ms = parseDuration(raw);
    if (ms === undefined || ms <= 0) {
      throw new Error(
        `${CONFIG_KEYS[key]} (or ${ENV_KEYS[key]}) must be a positive duration such as "30s" or "2m"; got ${JSON.stringify(raw)}`,
      );
    }
    return ms;
  };
  return {
    apiUrl: pick("apiUrl") ?? DEFAULT_API_URL,
    token: pick("token"),
    attemptTimeoutMs: duration("attemptTimeout"),
    totalTimeoutMs: duration("totalTimeout"),
  };
}

const LOOPBACK_HOSTS = new Set(["localhost", "[::1]", "::1"]);

function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Why `value` cannot be used as the API's base URL, or undefined when it can. Plain `http://` is accepted
 * only on loopback (a local simulator): anywhere else the bearer token would cross the network in clear text.
 */
export function apiUrlProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || value.trim() === "") {
    return "must be an absolute https:// URL such as https://api.narrative.io";
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an absolute https:// URL such as https://api.narrative.io; got ${shownUrl(value)}`;
  }
  if (url.username !== "" || url.password !== "") {
    // Credentials in the URL would be stored in the state in clear text; the token has its own setting.
    return "must not contain a user name or password: set the token with `pulumi config set --secret narrative:token`";
  }
  if (url.search !== "" || url.hash !== "") {
    return `must not have a query string or fragment; got ${shownUrl(value)}`;
  }
  if (url.protocol === "https:") {
    return undefined;
  }
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) {
    return undefined;
  }
  if (url.protocol === "http:") {
    return `must use https:// (http:// is accepted only for loopback hosts such as 127.0.0.1); got ${shownUrl(value)}`;
  }
  return `must be an https:// URL; got ${shownUrl(value)}`;
}

/**
 * The refused URL as a message may show it. A user name, password, query string or fragment is where a
 * credential would sit, and a check failure is printed to CI logs, so those parts are never repeated.
 */
function shownUrl(value: string): string {
  // Up to the last "@", since a password may itself hold "@", "?" or "#".
  const withoutUserInfo = value.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[\s\S]*@/i, "$1…@");
  return JSON.stringify(withoutUserInfo.replace(/[?#][\s\S]*$/, "?…"));
}
