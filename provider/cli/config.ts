/**
 * Where `narrative-jobs` sends requests and with which token: the provider's environment settings
 * (settings.ts), overridden by --api-url and --token-file. The token is never an argument.
 */
import * as fs from "node:fs";
import { apiUrlProblem } from "../api/api-url";
import { resolveSettings } from "../jobrerun/settings";
import { ENV_KEYS } from "../common/setting-names";
import type { CommonOptions } from "./args";
import { CliUsageError } from "./exit-codes";

export interface Connection {
  apiUrl: string;
  token: string;
  attemptTimeoutMs?: number;
  totalTimeoutMs?: number;
}

/** Reads the settings; throws CliUsageError (exit 2) when they cannot be used. Nothing is sent here. */
export function resolveConnection(
  common: CommonOptions,
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string = (path) => fs.readFileSync(path, "utf8"),
): Connection {
  let settings;
  try {
    settings = resolveSettings(undefined, env);
  } catch (error) {
    throw new CliUsageError(error instanceof Error ? error.message : String(error));
  }

  const apiUrl = common.apiUrl ?? settings.apiUrl;
  const problem = apiUrlProblem(apiUrl);
  if (problem !== undefined) {
    const source = common.apiUrl !== undefined ? "--api-url" : ENV_KEYS.apiUrl;
    // settings.ts words this one for Pulumi config; here the token has other homes.
    const said = /user name or password/.test(problem)
      ? `must not contain a user name or password: the token comes from ${ENV_KEYS.token} or --token-file`
      : problem;
    throw new CliUsageError(`${source} ${said}. Nothing was sent.`);
  }

  let token: string;
  let source: string;
  if (common.tokenFile !== undefined) {
    source = `--token-file ${common.tokenFile}`;
    try {
      token = readFile(common.tokenFile).replace(/\r?\n$/, "");
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new CliUsageError(
        `cannot read the token from --token-file ${common.tokenFile}` +
          `${typeof code === "string" ? ` (${code})` : ""}: give the path of a file holding the API token.`,
      );
    }
  } else if (settings.token !== undefined) {
    source = ENV_KEYS.token;
    token = settings.token;
  } else {
    throw new CliUsageError(
      `no Narrative API token: set ${ENV_KEYS.token}, or put the token in a file and pass --token-file <path>. ` +
        "Nothing was sent.",
    );
  }
  if (token === "") {
    throw new CliUsageError(`the token from ${source} is empty. Nothing was sent.`);
  }
  if (
    [...token].some((char) => char.trim() === "" || char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)
  ) {
    throw new CliUsageError(
      `the token from ${source} contains whitespace or control characters, which a header cannot carry` +
        `${common.tokenFile !== undefined ? " (only one trailing newline is dropped)" : ""}. Nothing was sent.`,
    );
  }

  const connection: Connection = { apiUrl, token };
  if (settings.attemptTimeoutMs !== undefined) {
    connection.attemptTimeoutMs = settings.attemptTimeoutMs;
  }
  if (settings.totalTimeoutMs !== undefined) {
    connection.totalTimeoutMs = settings.totalTimeoutMs;
  }
  return connection;
}
