/**
 * The one way the package makes a Narrative client for a JobRerun or a read: the API URL given to the resource or
 * the read (`apiUrl`), else the settings' one; the settings' timeouts and token; and messages that name where the
 * URL came from. Without a usable token the client refuses to be made (its message names narrative:token and
 * NARRATIVE_API_TOKEN), so nothing is ever sent without one.
 */
import { NarrativeJobsClient, type NarrativeClientOptions } from "../api/client";
import { CONFIG_KEYS } from "../common/setting-names";
import type { ProviderSettings } from "./settings";

/** Client options a host sets beyond the settings: progress lines, cancellation, the tests' shorter timings. */
export type ClientTuning = Partial<Omit<NarrativeClientOptions, "apiUrl" | "apiUrlSetting" | "token">>;

export interface ClientForUrl {
  client: NarrativeJobsClient;
  /** The URL the client talks to: the one given, else the settings'. */
  apiUrl: string;
}

export function newClient(
  settings: ProviderSettings,
  givenApiUrl: string | undefined,
  tuning: ClientTuning = {},
): ClientForUrl {
  const apiUrl = givenApiUrl ?? settings.apiUrl;
  const client = new NarrativeJobsClient({
    ...tuning,
    // The settings are the user's; the tuning only fills in what the user left unset.
    ...(settings.attemptTimeoutMs !== undefined ? { attemptTimeoutMs: settings.attemptTimeoutMs } : {}),
    ...(settings.totalTimeoutMs !== undefined ? { totalTimeoutMs: settings.totalTimeoutMs } : {}),
    apiUrl,
    apiUrlSetting:
      givenApiUrl !== undefined
        ? "apiUrl"
        : settings.apiUrlSetting === "default"
          ? CONFIG_KEYS.apiUrl
          : settings.apiUrlSetting,
    // The client checks it (checkToken): a missing, blank or unusable token fails there, before any request.
    token: settings.token ?? "",
  });
  return { client, apiUrl };
}
