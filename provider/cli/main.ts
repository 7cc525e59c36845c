#!/usr/bin/env node
/**
 * `narrative-jobs`, the package's command-line tool: get, list, reschedule and wait on Narrative I/O jobs with
 * the same client as the JobRerun resource. `narrative-jobs --help` describes it; exit-codes.ts lists what it
 * exits with.
 */
import { NarrativeJobsClient } from "../api/client";
import { packageVersion as installedVersion } from "../common/package-version";
import { NarrativeConfigError, NarrativeError } from "../api/errors";
import { ENV_KEYS } from "../common/setting-names";
import { parseCommandLine, type CommandLine } from "./args";
import { interruptedMessage, runCommand, type CommandContext } from "./commands";
import { resolveConnection } from "./config";
import { CliUsageError, EXIT_CODES, type ExitCode } from "./exit-codes";
import { retryLine } from "./format";
import { helpText } from "./help";
import { Output, PROGRAM, type Writable } from "./output";

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: Writable;
  stderr: Writable;
  /** Aborted on Ctrl+C. */
  interrupted: AbortSignal;
}

/** Runs one command line; resolves to the exit code. Never rejects. */
export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const output = new Output(io.stdout, io.stderr);
  // Hidden before anything is printed, in case it was also pasted where an argument belongs.
  output.hide(io.env[ENV_KEYS.token]);
  let commandLine: CommandLine;
  try {
    commandLine = parseCommandLine(argv);
  } catch (error) {
    return reportFailure(error, output);
  }
  if (commandLine.kind === "help") {
    output.result(helpText(commandLine.command));
    return EXIT_CODES.done;
  }
  if (commandLine.kind === "version") {
    output.result(packageVersion());
    return EXIT_CODES.done;
  }
  const { command, common } = commandLine;

  let client: NarrativeJobsClient;
  try {
    const connection = resolveConnection(common, io.env);
    output.hide(connection.token);
    client = new NarrativeJobsClient({
      ...connection,
      userAgent: `${PROGRAM}/${packageVersion()}`,
      onRetry: (event) => output.progress(retryLine(event)),
      cancellation: io.interrupted,
    });
  } catch (error) {
    return reportFailure(error, output, command.name);
  }

  const context: CommandContext = { client, output, json: common.json, interrupted: io.interrupted };
  const run = runCommand(command, context);
  // Once Ctrl+C has been answered, a request still in flight fails as the client closes: that is expected.
  run.catch(() => undefined);
  try {
    const code = await Promise.race([run, interruption(io.interrupted)]);
    if (code === EXIT_CODES.interrupted) {
      output.progress(interruptedMessage(command, context.lastSeen));
    }
    return code;
  } catch (error) {
    return reportFailure(error, output, command.name);
  } finally {
    // Keep-alive sockets would otherwise hold the process open.
    client.close();
  }
}

function interruption(signal: AbortSignal): Promise<ExitCode> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(EXIT_CODES.interrupted);
    } else {
      signal.addEventListener("abort", () => resolve(EXIT_CODES.interrupted), { once: true });
    }
  });
}

/** Prints why a command line failed and gives its exit code. */
export function reportFailure(error: unknown, output: Output, command?: string): ExitCode {
  if (error instanceof CliUsageError) {
    output.error(error.message);
    const about = error.command ?? command;
    output.note(`Run \`${PROGRAM} ${about === undefined ? "" : `${about} `}--help\` for usage.`);
    return EXIT_CODES.usage;
  }
  if (error instanceof NarrativeConfigError) {
    output.error(error.message);
    return EXIT_CODES.usage;
  }
  if (error instanceof NarrativeError) {
    output.error(error.message);
    if (error.outcomeUnknown === true && error.jobId !== undefined) {
      output.note(`Check the job with \`${PROGRAM} get ${error.jobId}\` before rescheduling it again.`);
    }
    return EXIT_CODES.apiError;
  }
  output.error(
    `unexpected failure, a bug in ${PROGRAM}: ${error instanceof Error ? error.stack : String(error)}`,
  );
  return EXIT_CODES.internal;
}

/** The installed version, or "unknown" when package.json cannot be read. */
function packageVersion(): string {
  return installedVersion() ?? "unknown";
}

if (require.main === module) {
  const controller = new AbortController();
  // Once only: a second Ctrl+C ends the process the default way.
  process.once("SIGINT", () => {
    controller.abort();
    // A last resort should something still hold the event loop after the answer has been printed.
    setTimeout(() => process.exit(EXIT_CODES.interrupted), 5_000).unref();
  });
  main(process.argv.slice(2), {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    interrupted: controller.signal,
  }).then((code) => {
    process.exitCode = code;
  });
}
