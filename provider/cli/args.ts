/**
 * The command line of `narrative-jobs`, read with node:util parseArgs into a typed command. Everything a
 * command needs to run is checked here, so that a bad command line fails before anything is sent.
 */
import { parseArgs } from "node:util";
import { formatDuration, parseDuration } from "../common/duration";
import { EXAMPLE_JOB_ID, isJobId, JOB_ORDERS, type JobOrder } from "../api/types";
import { DEFAULT_WAIT_TIMEOUT_MS, MAX_WAIT_TIMEOUT_MS } from "../jobrerun/inputs";
import { CliUsageError } from "./exit-codes";

export const COMMAND_NAMES = ["get", "list", "reschedule", "wait"] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** Jobs `list` shows when --limit is not given: one page of the API's default size. */
export const DEFAULT_LIST_LIMIT = 100;
/** At most this many jobs (20 pages of 500): a bound on the requests one `list` makes. */
export const MAX_LIST_LIMIT = 10_000;

/** Options every command takes. */
export interface CommonOptions {
  apiUrl?: string;
  tokenFile?: string;
  json: boolean;
}

export interface ListFilters {
  state?: string;
  type?: string;
  dataset_id?: number;
  order_by?: JobOrder;
}

export type Command =
  | { name: "get"; jobId: string }
  | { name: "list"; filters: ListFilters; limit: number }
  | { name: "reschedule"; jobId: string; force: boolean }
  | { name: "wait"; jobId: string; waitFor: "running" | "terminal"; timeoutMs: number };

export type CommandLine =
  | { kind: "help"; command?: CommandName }
  | { kind: "version" }
  | { kind: "run"; command: Command; common: CommonOptions };

const OPTIONS = {
  "api-url": { type: "string" },
  "token-file": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  state: { type: "string" },
  type: { type: "string" },
  "dataset-id": { type: "string" },
  "order-by": { type: "string" },
  limit: { type: "string" },
  // Its own option rather than parseArgs' allowNegative, which Node 20 before 20.16 lacks.
  "no-force": { type: "boolean" },
  for: { type: "string" },
  timeout: { type: "string" },
} as const;

type OptionName = keyof typeof OPTIONS;

const COMMON_OPTIONS: readonly OptionName[] = ["api-url", "token-file", "json", "help", "version"];

const COMMAND_OPTIONS: Record<CommandName, readonly OptionName[]> = {
  get: [],
  list: ["state", "type", "dataset-id", "order-by", "limit"],
  reschedule: ["no-force"],
  wait: ["for", "timeout"],
};

/** Reads `narrative-jobs` arguments (without `node` and the script). Throws CliUsageError. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  refuseTokenArgument(argv, commandIn(argv));
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: OPTIONS,
      strict: true,
      allowPositionals: true,
      tokens: true,
    });
  } catch (error) {
    throw new CliUsageError(parseArgsProblem(error), commandIn(argv));
  }
  const { values, positionals, tokens } = parsed;
  const [first, ...operands] = positionals;
  if (first === "help") {
    if (operands.length > 1) {
      throw new CliUsageError("help takes at most one command name");
    }
    return operands[0] === undefined ? { kind: "help" } : { kind: "help", command: commandName(operands[0]) };
  }
  if (values.version === true && first === undefined) {
    return { kind: "version" };
  }
  if (first === undefined) {
    if (values.help === true) {
      return { kind: "help" };
    }
    throw new CliUsageError(`no command given: use one of ${COMMAND_NAMES.join(", ")}`);
  }
  const name = commandName(first);
  if (values.help === true) {
    return { kind: "help", command: name };
  }
  refuseForeignOptions(tokens, name);
  if (values.version === true) {
    throw new CliUsageError("--version takes no command: run `narrative-jobs --version`", name);
  }
  return { kind: "run", common: commonOptions(values, name), command: commandOf(name, operands, values) };
}

type ParsedValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>["values"];
/** The tokens parseArgs reads, as far as the option check needs them. */
type ParsedTokens = readonly (
  { kind: "option"; name: string; rawName: string } | { kind: "positional" | "option-terminator" }
)[];

/** An option of another command is refused, naming the commands it belongs to. */
function refuseForeignOptions(tokens: ParsedTokens, name: CommandName): void {
  for (const token of tokens) {
    if (token.kind === "option" && !isAllowed(name, token.name as OptionName)) {
      const owners = COMMAND_NAMES.filter((command) =>
        COMMAND_OPTIONS[command].includes(token.name as OptionName),
      );
      throw new CliUsageError(
        `${token.rawName} is not an option of ${name} (it belongs to ${owners.join(", ")})`,
        name,
      );
    }
  }
}

function commonOptions(values: ParsedValues, name: CommandName): CommonOptions {
  const common: CommonOptions = { json: values.json === true };
  if (values["api-url"] !== undefined) {
    common.apiUrl = values["api-url"];
  }
  if (values["token-file"] !== undefined) {
    if (values["token-file"] === "") {
      throw new CliUsageError("--token-file needs the path of a file holding the token", name);
    }
    common.tokenFile = values["token-file"];
  }
  return common;
}

/** The command with its operands and options checked. */
function commandOf(name: CommandName, operands: string[], values: ParsedValues): Command {
  const expected = name === "list" ? 0 : 1;
  if (operands.length !== expected) {
    throw new CliUsageError(
      expected === 0
        ? `list takes no arguments, only options; got ${operands.length}`
        : `${name} takes one job id; got ${operands.length === 0 ? "none" : `${operands.length} arguments`}`,
      name,
    );
  }
  const jobId = operands[0] ?? "";
  switch (name) {
    case "get":
      return { name, jobId: checkJobId(jobId, name) };
    case "reschedule":
      return { name, jobId: checkJobId(jobId, name), force: values["no-force"] !== true };
    case "wait":
      return {
        name,
        jobId: checkJobId(jobId, name),
        waitFor: waitFor(values.for),
        timeoutMs: waitTimeout(values.timeout),
      };
    case "list":
      return { name, ...listOptions(values) };
  }
}

/**
 * An argument is visible to every user of the machine (`ps`) and is often echoed into CI logs, so the token is
 * only ever read from the environment or a file. Checked before parseArgs, whose messages could quote the value.
 */
function refuseTokenArgument(argv: readonly string[], command: string | undefined): void {
  for (const arg of argv) {
    if (arg === "--") {
      return;
    }
    if (arg === "--token" || arg.startsWith("--token=")) {
      throw new CliUsageError(
        "--token is not accepted: a token given as an argument shows in process lists (ps) and CI logs. " +
          "Set NARRATIVE_API_TOKEN, or put the token in a file and pass --token-file <path>.",
        command,
      );
    }
  }
}

/** parseArgs' own messages suggest `-- "--flag"`, which means nothing here; these name the option only. */
function parseArgsProblem(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const option = /^Unknown option '([^']*)'/.exec(message)?.[1];
    return `unknown option ${option ?? ""}`.trimEnd();
  }
  return message.replace(/\. To specify a positional argument[\s\S]*$/, "");
}

/** The command a failed command line was for, so that the message can point to its --help. */
function commandIn(argv: readonly string[]): string | undefined {
  return argv.find((arg): arg is CommandName => (COMMAND_NAMES as readonly string[]).includes(arg));
}

function commandName(text: string): CommandName {
  if ((COMMAND_NAMES as readonly string[]).includes(text)) {
    return text as CommandName;
  }
  throw new CliUsageError(`unknown command ${shown(text)}: use one of ${COMMAND_NAMES.join(", ")}`);
}

function isAllowed(command: CommandName, option: OptionName): boolean {
  return COMMON_OPTIONS.includes(option) || COMMAND_OPTIONS[command].includes(option);
}

function checkJobId(text: string, command: CommandName): string {
  if (!isJobId(text)) {
    throw new CliUsageError(
      `the job id must be a job's UUID, such as ${EXAMPLE_JOB_ID}; got ${shown(text)}. ` +
        "Nothing was sent.",
      command,
    );
  }
  return text;
}

function waitFor(value: string | undefined): "running" | "terminal" {
  if (value === "running" || value === "terminal") {
    return value;
  }
  throw new CliUsageError(
    value === undefined
      ? "wait needs --for running (dispatched to an executor) or --for terminal (completed, failed or cancelled)"
      : `--for must be running or terminal; got ${shown(value)}`,
    "wait",
  );
}

function waitTimeout(value: string | undefined): number {
  if (value === undefined) {
    return DEFAULT_WAIT_TIMEOUT_MS;
  }
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1_000 || ms > MAX_WAIT_TIMEOUT_MS) {
    throw new CliUsageError(
      `--timeout must be a duration from 1s to ${formatDuration(MAX_WAIT_TIMEOUT_MS)} such as 90s, 30m or 1h30m ` +
        `(a bare number is seconds); got ${shown(value)}`,
      "wait",
    );
  }
  return ms;
}

function listOptions(values: {
  state?: string | undefined;
  type?: string | undefined;
  "dataset-id"?: string | undefined;
  "order-by"?: string | undefined;
  limit?: string | undefined;
}): { filters: ListFilters; limit: number } {
  const filters: ListFilters = {};
  for (const name of ["state", "type"] as const) {
    const value = values[name];
    if (value !== undefined) {
      if (value.trim() === "") {
        throw new CliUsageError(`--${name} must not be empty`, "list");
      }
      filters[name] = value;
    }
  }
  const datasetId = values["dataset-id"];
  if (datasetId !== undefined) {
    const id = /^\d{1,16}$/.test(datasetId) ? Number(datasetId) : Number.NaN;
    if (!Number.isSafeInteger(id)) {
      throw new CliUsageError(
        `--dataset-id must be a dataset's number, such as 10736; got ${shown(datasetId)}`,
        "list",
      );
    }
    filters.dataset_id = id;
  }
  const orderBy = values["order-by"];
  if (orderBy !== undefined) {
    if (!(JOB_ORDERS as readonly string[]).includes(orderBy)) {
      throw new CliUsageError(
        `--order-by must be one of ${JOB_ORDERS.join(", ")}; got ${shown(orderBy)}`,
        "list",
      );
    }
    filters.order_by = orderBy as JobOrder;
  }
  let limit = DEFAULT_LIST_LIMIT;
  if (values.limit !== undefined) {
    limit = /^\d{1,6}$/.test(values.limit) ? Number(values.limit) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_LIST_LIMIT)) {
      throw new CliUsageError(
        `--limit must be a number of jobs from 1 to ${MAX_LIST_LIMIT}; got ${shown(values.limit)}`,
        "list",
      );
    }
  }
  return { filters, limit };
}

/**
 * A value as a message quotes it. Anything long could be a token pasted into the wrong place, so only short
 * values are repeated; main's output also redacts the token it knows of.
 */
function shown(text: string): string {
  return text.length <= 40 ? JSON.stringify(text) : `${text.length} characters`;
}
