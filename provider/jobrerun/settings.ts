import { apiUrlProblem } from "../api/api-url";
import { parseDuration } from "../common/duration";
import { NarrativeConfigError } from "../api/errors";
import { RETRY_OPTION_LIMITS_MS } from "../api/retry-policy";
import { CONFIG_KEYS, DEFAULT_API_URL, ENV_KEYS } from "../common/setting-names";

/** The longest each duration setting may be: the client's limits (retry.ts says why), as a person writes them. */
const MAX_DURATION = {
  attemptTimeout: { ms: RETRY_OPTION_LIMITS_MS.attemptTimeoutMs, shown: "10m" },
  totalTimeout: { ms: RETRY_OPTION_LIMITS_MS.totalTimeoutMs, shown: "24h" },
} as const;

/** What the provider process knows beyond a resource's inputs. Never serialized, never stored in state. */
export interface ProviderSettings {
  apiUrl: string;
  /** Where `apiUrl` came from, for messages: the configuration key, the environment variable, or the default. */
  apiUrlSetting: typeof CONFIG_KEYS.apiUrl | typeof ENV_KEYS.apiUrl | "default";
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
  const duration = (key: keyof typeof MAX_DURATION): number | undefined => {
    const raw = pick(key);
    if (raw === undefined) {
      return undefined;
    }
    const ms = parseDuration(raw);
    const where = `${CONFIG_KEYS[key]} (or ${ENV_KEYS[key]})`;
    if (ms === undefined || ms <= 0) {
      throw new NarrativeConfigError(
        `${where} must be a positive duration such as "30s" or "2m"; got ${JSON.stringify(raw)}`,
        { property: CONFIG_KEYS[key] },
      );
    }
    if (ms > MAX_DURATION[key].ms) {
      throw new NarrativeConfigError(
        `${where} must be at most ${MAX_DURATION[key].shown}; got ${JSON.stringify(raw)}`,
        { property: CONFIG_KEYS[key] },
      );
    }
    return ms;
  };
  const apiUrl = pick("apiUrl");
  const apiUrlSetting =
    apiUrl === undefined
      ? "default"
      : config?.get(CONFIG_KEYS.apiUrl) === apiUrl
        ? CONFIG_KEYS.apiUrl
        : ENV_KEYS.apiUrl;
  const problem = apiUrl === undefined ? undefined : apiUrlProblem(apiUrl);
  if (problem !== undefined) {
    throw new NarrativeConfigError(`${apiUrlSetting} ${problem}. Nothing was sent.`, {
      property: apiUrlSetting,
    });
  }
  return {
    apiUrl: apiUrl ?? DEFAULT_API_URL,
    apiUrlSetting,
    token: pick("token"),
    attemptTimeoutMs: duration("attemptTimeout"),
    totalTimeoutMs: duration("totalTimeout"),
  };
}
