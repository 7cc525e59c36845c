/**
 * The plugin's configuration, as Pulumi users set any provider's: the stack's `narrative:*` keys for the
 * default provider, or the inputs of an explicit `pulumi:providers:narrative` resource. Both reach the plugin in
 * Configure's arguments (with secret envelopes) and its variables; the same rules as the dynamic provider's
 * apply to them (settings.ts), environment fallbacks included.
 */
import type * as providerTypes from "@pulumi/pulumi/proto/provider_pb";
import { NarrativeConfigError } from "../../api/errors";
import { resolveSettings, type ConfigSource } from "../../jobrerun/settings";
import { CONFIG_KEYS } from "../../common/setting-names";
import type { CheckFailure } from "../../jobrerun/inputs";
import { fromStruct, revealed } from "./property-values";

type ConfigName = keyof typeof CONFIG_KEYS;

/** The configuration namespace and key of a `narrative:key` name. */
function configName(key: string): ConfigName | undefined {
  const name = Object.entries(CONFIG_KEYS).find(([, full]) => full === key)?.[0];
  return name as ConfigName | undefined;
}

/** A setting as text: a YAML or Go program may give a duration as a number. */
function asText(value: unknown): string | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Configure's settings as the lifecycle reads them: the provider's arguments first (an explicit provider's
 * inputs, or the stack configuration for the default one), then the variables the engine derives from them.
 */
export function configSource(request: providerTypes.ConfigureRequest): ConfigSource {
  const args = revealed(fromStruct(request.getArgs())) as Record<string, unknown>;
  const variables = request.getVariablesMap();
  return {
    get: (key) => {
      const name = configName(key);
      if (name === undefined) {
        return undefined;
      }
      return asText(args[name]) ?? variables.get(`narrative:config:${name}`) ?? variables.get(key);
    },
  };
}

/**
 * What CheckConfig refuses: the same rules configure applies (https only, durations within their limits),
 * reported before any resource is touched and naming the setting. Environment fallbacks are not judged here:
 * they are not the provider's inputs, and configure reports them.
 */
export function configFailures(news: Record<string, unknown>): CheckFailure[] {
  try {
    resolveSettings({ get: (key) => asText(news[configName(key) ?? ""]) }, {});
    return [];
  } catch (error) {
    if (error instanceof NarrativeConfigError) {
      // No property: the engine would print the setting's value beside the reason, and a refused URL may hold a
      // password. The reason names the setting, as the dynamic host's refusal of the same value does.
      return [{ property: "", reason: error.message }];
    }
    throw error;
  }
}
