import { expect } from "chai";
import {
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  parseCommandLine,
  type CommandLine,
} from "../../provider/cli/args";
import { CliUsageError } from "../../provider/cli/exit-codes";
import { DEFAULT_WAIT_TIMEOUT_MS } from "../../provider/jobrerun/inputs";
import { thrownBy } from "../support/assertions";

const JOB_ID = "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c";

function usageError(argv: string[]): CliUsageError {
  return thrownBy(() => parseCommandLine(argv), CliUsageError, argv.join(" "));
}

function run(argv: string[]): Extract<CommandLine, { kind: "run" }> {
  const line = parseCommandLine(argv);
  expect(line.kind).to.equal("run");
  return line as Extract<CommandLine, { kind: "run" }>;
}

describe("cli: the command line", () => {
  describe("help and version", () => {
    it("--help, -h and `help` ask for the tool's help; `<command> --help` and `help <command>` for a command's", () => {
      expect(parseCommandLine(["--help"])).to.deep.equal({ kind: "help" });
      expect(parseCommandLine(["-h"])).to.deep.equal({ kind: "help" });
      expect(parseCommandLine(["help"])).to.deep.equal({ kind: "help" });
      for (const command of ["get", "list", "reschedule", "wait"] as const) {
        expect(parseCommandLine([command, "--help"])).to.deep.equal({ kind: "help", command });
        expect(parseCommandLine(["help", command])).to.deep.equal({ kind: "help", command });
      }
    });

    it("--help wins over an incomplete command line, so that help is reachable from a mistake", () => {
      expect(parseCommandLine(["wait", "--help"])).to.deep.equal({ kind: "help", command: "wait" });
      expect(parseCommandLine(["get", "not-a-uuid", "-h"])).to.deep.equal({ kind: "help", command: "get" });
    });

    it("--version alone asks for the version; with a command it is a usage error", () => {
      expect(parseCommandLine(["--version"])).to.deep.equal({ kind: "version" });
      expect(usageError(["get", JOB_ID, "--version"]).message).to.include("--version takes no command");
    });

    it("no command, or an unknown one, is a usage error listing the commands", () => {
      expect(usageError([]).message).to.equal("no command given: use one of get, list, reschedule, wait");
      expect(usageError(["show", JOB_ID]).message).to.equal(
        'unknown command "show": use one of get, list, reschedule, wait',
      );
      expect(usageError(["help", "show"]).message).to.include('unknown command "show"');
    });
  });

  describe("get, reschedule and wait take one job id", () => {
    it("get <jobId>", () => {
      expect(run(["get", JOB_ID])).to.deep.equal({
        kind: "run",
        common: { json: false },
        command: { name: "get", jobId: JOB_ID },
      });
    });

    it("options may come before or after the command", () => {
      const before = run(["--json", "--api-url", "http://127.0.0.1:9", "get", JOB_ID]);
      const after = run(["get", JOB_ID, "--api-url=http://127.0.0.1:9", "--json"]);
      expect(before).to.deep.equal(after);
      expect(before.common).to.deep.equal({ json: true, apiUrl: "http://127.0.0.1:9" });
    });

    it("a job id that is not a UUID is refused, saying nothing was sent", () => {
      const error = usageError(["get", "2a5b9ad7"]);
      expect(error.message).to.equal(
        'the job id must be a job\'s UUID, such as 2a5b9ad7-dc8f-47bb-8e62-843a38f8054c; got "2a5b9ad7". ' +
          "Nothing was sent.",
      );
      expect(error.command).to.equal("get");
    });

    it("a long wrong job id is not repeated: it may be a token pasted in the wrong place", () => {
      const pasted = "narrative-SECRET-0123456789abcdef0123456789abcdef";
      const error = usageError(["reschedule", pasted]);
      expect(error.message).to.include(`got ${pasted.length} characters`);
      expect(error.message).not.to.include(pasted);
    });

    it("a missing or extra job id is a usage error", () => {
      expect(usageError(["get"]).message).to.equal("get takes one job id; got none");
      expect(usageError(["wait", JOB_ID, JOB_ID, "--for", "running"]).message).to.equal(
        "wait takes one job id; got 2 arguments",
      );
      expect(usageError(["list", JOB_ID]).message).to.equal("list takes no arguments, only options; got 1");
    });

    it("reschedule forces by default; --no-force sends force false", () => {
      expect(run(["reschedule", JOB_ID]).command).to.deep.equal({
        name: "reschedule",
        jobId: JOB_ID,
        force: true,
      });
      expect(run(["reschedule", JOB_ID, "--no-force"]).command).to.deep.equal({
        name: "reschedule",
        jobId: JOB_ID,
        force: false,
      });
    });

    it("wait needs --for running or terminal; --timeout defaults to 30m and reads durations", () => {
      expect(run(["wait", JOB_ID, "--for", "terminal"]).command).to.deep.equal({
        name: "wait",
        jobId: JOB_ID,
        waitFor: "terminal",
        timeoutMs: DEFAULT_WAIT_TIMEOUT_MS,
      });
      const timeouts: [string, number][] = [
        ["90s", 90_000],
        ["1h30m", 5_400_000],
        ["45", 45_000],
        ["24h", 86_400_000],
      ];
      for (const [text, ms] of timeouts) {
        const { command } = run(["wait", JOB_ID, "--for=running", "--timeout", text]);
        expect(command, text).to.include({ waitFor: "running", timeoutMs: ms });
      }
    });

    it("wait refuses a missing or unknown --for and a timeout that is not a duration from 1s to 24h", () => {
      expect(usageError(["wait", JOB_ID]).message).to.include("wait needs --for running");
      expect(usageError(["wait", JOB_ID, "--for", "done"]).message).to.equal(
        '--for must be running or terminal; got "done"',
      );
      // `--timeout=-1s`: written apart, parseArgs would take -1s for an option.
      for (const bad of ["0", "0.5", "soon", "25h", "-1s", ""]) {
        expect(usageError(["wait", JOB_ID, "--for", "terminal", `--timeout=${bad}`]).message, bad).to.match(
          /^--timeout must be a duration from 1s to 24h0m/,
        );
      }
    });
  });

  describe("list", () => {
    it("without options: the API's order, one page of the default size", () => {
      expect(run(["list"]).command).to.deep.equal({ name: "list", filters: {}, limit: DEFAULT_LIST_LIMIT });
    });

    it("--state, --type, --dataset-id, --order-by and --limit become the API's filters", () => {
      const { command } = run([
        "list",
        "--state",
        "failed",
        "--type=materialize-view",
        "--dataset-id",
        "10736",
        "--order-by",
        "updated_at_desc",
        "--limit",
        "750",
      ]);
      expect(command).to.deep.equal({
        name: "list",
        filters: {
          state: "failed",
          type: "materialize-view",
          dataset_id: 10736,
          order_by: "updated_at_desc",
        },
        limit: 750,
      });
    });

    it("refuses filters the API would not take, naming the option", () => {
      expect(usageError(["list", "--dataset-id", "ten"]).message).to.equal(
        '--dataset-id must be a dataset\'s number, such as 10736; got "ten"',
      );
      expect(usageError(["list", "--dataset-id", "-3"]).message).to.include("ambiguous");
      expect(usageError(["list", "--dataset-id", "99999999999999999"]).message).to.include(
        "--dataset-id must be",
      );
      expect(usageError(["list", "--order-by", "newest"]).message).to.equal(
        "--order-by must be one of created_at_asc, created_at_desc, updated_at_asc, updated_at_desc; " +
          'got "newest"',
      );
      expect(usageError(["list", "--state", " "]).message).to.equal("--state must not be empty");
      for (const bad of ["0", "1.5", String(MAX_LIST_LIMIT + 1), "all"]) {
        expect(usageError(["list", "--limit", bad]).message, bad).to.match(
          /^--limit must be a number of jobs from 1 to 10000/,
        );
      }
      expect(run(["list", "--limit", String(MAX_LIST_LIMIT)]).command).to.include({ limit: MAX_LIST_LIMIT });
    });
  });

  describe("options", () => {
    it("an unknown option is named, without parseArgs' advice about `--`", () => {
      const error = usageError(["get", JOB_ID, "--jsno"]);
      expect(error.message).to.equal("unknown option --jsno");
      expect(error.command).to.equal("get");
      expect(usageError(["list", "--limit=5", "--verbose=yes"]).message).to.equal("unknown option --verbose");
    });

    it("an option of another command is refused, saying which command has it", () => {
      expect(usageError(["get", JOB_ID, "--limit", "5"]).message).to.equal(
        "--limit is not an option of get (it belongs to list)",
      );
      expect(usageError(["list", "--for", "running"]).message).to.equal(
        "--for is not an option of list (it belongs to wait)",
      );
    });

    it("a string option without its value, or a value given to a flag, is a usage error", () => {
      expect(usageError(["list", "--limit"]).message).to.include("--limit");
      expect(usageError(["get", JOB_ID, "--json=yes"]).message).to.include("--json");
      expect(usageError(["get", JOB_ID, "--token-file="]).message).to.equal(
        "--token-file needs the path of a file holding the token",
      );
    });

    it("--token is refused in every form, saying why, and its value is never quoted", () => {
      for (const argv of [
        ["get", JOB_ID, "--token", "s3cret-value"],
        ["--token=s3cret-value", "list"],
        ["list", "--token"],
      ]) {
        const error = usageError(argv);
        expect(error.message, argv.join(" ")).to.equal(
          "--token is not accepted: a token given as an argument shows in process lists (ps) and CI logs. " +
            "Set NARRATIVE_API_TOKEN, or put the token in a file and pass --token-file <path>.",
        );
        expect(error.message).not.to.include("s3cret-value");
      }
      // After `--` it is an operand, not an option: then it is simply not a job id.
      expect(usageError(["get", "--", "--token"]).message).to.include("the job id must be a job's UUID");
    });

    it("--token-file is an option, not --token", () => {
      expect(run(["get", JOB_ID, "--token-file", "/run/secrets/narrative"]).common).to.deep.equal({
        json: false,
        tokenFile: "/run/secrets/narrative",
      });
    });
  });
});
