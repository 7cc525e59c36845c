#!/usr/bin/env node
/**
 * The simulator as a command: `npm run simulator -- --port 8080`, or `node lib/simulator/cli.js`. Prints its
 * URL, the seeded jobs and a line per request, and stops cleanly on Ctrl+C or SIGTERM.
 */
import { parseArgs } from "node:util";
import { formatDuration, parseDuration } from "../common/duration";
import { SIMULATOR_DEFAULTS } from "./defaults";
import { startSimulator, type Simulator } from "./index";

const CLI_DEFAULT_PORT = 8080;

const USAGE = `Usage: node lib/simulator/cli.js [options]

A local stand-in for the Narrative Jobs API (GET /jobs, GET /jobs/{job_id},
POST /jobs/{job_id}/reschedule) with bearer auth, for trying programs offline.

Options:
  --port <n>        port to listen on; 0 picks a free one (default ${CLI_DEFAULT_PORT})
  --host <addr>     address to listen on (default ${SIMULATOR_DEFAULTS.host})
  --token <token>   bearer token clients must send (default: $NARRATIVE_API_TOKEN,
                    else "${SIMULATOR_DEFAULTS.token}")
  --seed <file>     JSON file of jobs to serve instead of the built-in ones
  --pending <time>  how long a rescheduled job stays pending: ms, or with a unit
                    such as 5s (default ${formatDuration(SIMULATOR_DEFAULTS.durations.pendingMs)})
  --running <time>  how long it then runs (default ${formatDuration(SIMULATOR_DEFAULTS.durations.runningMs)})
  --frozen          time moves only through POST /_simulator/advance {"ms": N}
  --quiet           do not print a line per request
  -h, --help        show this help

Test controls (no auth): GET /_simulator/requests, GET /_simulator/jobs/{id},
POST /_simulator/advance, POST /_simulator/faults, POST /_simulator/outcome,
POST /_simulator/reset.`;

/** A command line that cannot be run; exits with code 2. */
export class CliUsageError extends Error {
  override name = "CliUsageError";
}

export interface CliSettings {
  help: boolean;
  host: string;
  port: number;
  token: string;
  /** Where the token came from, to print instead of the token itself. */
  tokenSource: "--token" | "NARRATIVE_API_TOKEN" | "default";
  seedFile?: string;
  pendingMs?: number;
  runningMs?: number;
  frozen: boolean;
  quiet: boolean;
}

export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CliSettings {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        token: { type: "string" },
        seed: { type: "string" },
        pending: { type: "string" },
        running: { type: "string" },
        frozen: { type: "boolean" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const settings: CliSettings = {
    help: values.help === true,
    host: values.host ?? SIMULATOR_DEFAULTS.host,
    port: CLI_DEFAULT_PORT,
    token: SIMULATOR_DEFAULTS.token,
    tokenSource: "default",
    frozen: values.frozen === true,
    quiet: values.quiet === true,
  };
  if (values.port !== undefined) {
    const port = /^\d{1,5}$/.test(values.port) ? Number(values.port) : Number.NaN;
    if (!(port >= 0 && port <= 65_535)) {
      throw new CliUsageError(
        `--port must be an integer from 0 to 65535, got ${JSON.stringify(values.port)}`,
      );
    }
    settings.port = port;
  }
  if (settings.host === "") {
    throw new CliUsageError("--host must not be empty");
  }
  if (values.token !== undefined) {
    settings.token = values.token;
    settings.tokenSource = "--token";
  } else if (env.NARRATIVE_API_TOKEN !== undefined && env.NARRATIVE_API_TOKEN !== "") {
    settings.token = env.NARRATIVE_API_TOKEN;
    settings.tokenSource = "NARRATIVE_API_TOKEN";
  }
  if (!/^\S+$/.test(settings.token)) {
    throw new CliUsageError(
      `the token from ${settings.tokenSource} must be non-empty and without whitespace`,
    );
  }
  if (values.seed !== undefined) {
    settings.seedFile = values.seed;
  }
  if (values.pending !== undefined) {
    settings.pendingMs = readTime(values.pending, "--pending");
  }
  if (values.running !== undefined) {
    settings.runningMs = readTime(values.running, "--running");
  }
  return settings;
}

/** A bare number is milliseconds here (`--pending 500`); `5s`, `2m`, `1h30m` carry their unit. */
function readTime(text: string, flag: string): number {
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) : parseDuration(text);
  if (ms === undefined || !Number.isFinite(ms)) {
    throw new CliUsageError(
      `${flag} must be milliseconds (500) or a duration such as 5s, got ${JSON.stringify(text)}`,
    );
  }
  return ms;
}

function timeOfDay(): string {
  return new Date().toISOString().slice(11, 23);
}

async function main(argv: readonly string[]): Promise<number> {
  let settings: CliSettings;
  try {
    settings = parseCliArgs(argv, process.env);
  } catch (error) {
    if (error instanceof CliUsageError) {
      process.stderr.write(`simulator: ${error.message}\nRun with --help for the options.\n`);
      return 2;
    }
    throw error;
  }
  if (settings.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let simulator: Simulator;
  try {
    const durations: { pendingMs?: number; runningMs?: number } = {};
    if (settings.pendingMs !== undefined) {
      durations.pendingMs = settings.pendingMs;
    }
    if (settings.runningMs !== undefined) {
      durations.runningMs = settings.runningMs;
    }
    simulator = await startSimulator({
      host: settings.host,
      port: settings.port,
      token: settings.token,
      frozen: settings.frozen,
      durations,
      ...(settings.seedFile === undefined ? {} : { seedFile: settings.seedFile }),
      ...(settings.quiet ? {} : { log: (line: string) => process.stdout.write(`${timeOfDay()} ${line}\n`) }),
    });
  } catch (error) {
    process.stderr.write(`simulator: could not start: ${(error as Error).message}\n`);
    return 1;
  }

  const lines = [
    `Narrative API simulator listening on ${simulator.url}`,
    `Auth: Authorization: Bearer <token> (token from ${settings.tokenSource === "default" ? "the default, see --help" : settings.tokenSource})`,
    `Rescheduled jobs stay pending ${formatDuration(settings.pendingMs ?? SIMULATOR_DEFAULTS.durations.pendingMs)}, ` +
      `then run ${formatDuration(settings.runningMs ?? SIMULATOR_DEFAULTS.durations.runningMs)}` +
      (settings.frozen ? " of simulated time (frozen clock: POST /_simulator/advance)" : ""),
    "Jobs:",
    ...simulator.jobs().map((job) => `  ${job.job_id}  ${job.state.padEnd(10)} ${job.type ?? "(no type)"}`),
    "Press Ctrl+C to stop.",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await simulator.close();
  process.stdout.write("Simulator stopped.\n");
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`simulator: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
