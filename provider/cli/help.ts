/** The `--help` texts of `narrative-jobs` and of each command. */
import { formatDuration } from "../common/duration";
import { DEFAULT_API_URL, ENV_KEYS } from "../common/setting-names";
import { DEFAULT_WAIT_TIMEOUT_MS, MAX_WAIT_TIMEOUT_MS } from "../jobrerun/inputs";
import { JOB_ORDERS } from "../api/types";
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, type CommandName } from "./args";
import { EXIT_CODES } from "./exit-codes";

const COMMON = `Options of every command:
  --api-url <url>      the API's base URL (default: $${ENV_KEYS.apiUrl}, else ${DEFAULT_API_URL});
                       http:// only for loopback hosts such as 127.0.0.1
  --token-file <path>  read the API token from this file (one trailing newline is dropped);
                       otherwise it comes from $${ENV_KEYS.token}. There is no --token:
                       arguments show in process lists and CI logs
  --json               print exactly what the API returned, big numbers digit for digit
  -h, --help           show help

Environment: ${ENV_KEYS.token}, ${ENV_KEYS.apiUrl}, and ${ENV_KEYS.attemptTimeout} /
${ENV_KEYS.totalTimeout} (durations such as 30s or 2m) for the time one request and one call with
its retries may take. Progress and retries are reported on stderr; results go to stdout.`;

const EXIT_STATUS = `Exit status:
  ${EXIT_CODES.done}    done
  ${EXIT_CODES.jobFailed}    wait: the job ended failed or cancelled
  ${EXIT_CODES.usage}    usage or configuration error; nothing was sent
  ${EXIT_CODES.apiError}    API error: an error status, the API unreachable, or no answer in time
  ${EXIT_CODES.timedOut}    wait: --timeout passed; the job goes on
  ${EXIT_CODES.interrupted}  wait: stopped by Ctrl+C; the job goes on
  ${EXIT_CODES.internal}   a bug in narrative-jobs`;

const MAIN = `Usage: narrative-jobs <command> [options]

Look at and re-run Narrative I/O jobs, with the same client and rules as the
pulumi-narrative-jobs JobRerun resource.

Commands:
  get <jobId>                      show a job
  list                             list jobs, newest first
  reschedule <jobId>               put a job back on the queue (re-runs a finished job)
  wait <jobId> --for <state>       wait until a job is running or has finished

Run \`narrative-jobs <command> --help\` for a command's options.
\`narrative-jobs --version\` prints the version.

${COMMON}

${EXIT_STATUS}`;

const COMMANDS: Record<CommandName, string> = {
  get: `Usage: narrative-jobs get <jobId> [--json]

Shows a job: GET /jobs/{jobId}. With --json, prints the API's response text as received.

Example:
  narrative-jobs get 2a5b9ad7-dc8f-47bb-8e62-843a38f8054c`,

  list: `Usage: narrative-jobs list [--state <s>] [--type <t>] [--dataset-id <n>] [--order-by <o>] [--limit <n>] [--json]

Lists the company's jobs: GET /jobs.

Options:
  --state <state>      only jobs in this state (pending, running, completed, failed, cancelled, ...)
  --type <type>        only jobs of this type, such as materialize-view
  --dataset-id <n>     only jobs whose input has this dataset
  --order-by <order>   ${JOB_ORDERS.join(", ")} (default: the API's, newest first)
  --limit <n>          at most this many jobs, 1 to ${MAX_LIST_LIMIT} (default ${DEFAULT_LIST_LIMIT})

Up to 500 jobs are one request. A larger --limit reads several pages of equal size (at most 500).
With --json each page is printed exactly as the API sent it, one page per line; a page is never cut,
so with several pages up to one job per page beyond --limit may be printed.

Example:
  narrative-jobs list --dataset-id 10736 --type materialize-view --limit 5`,

  reschedule: `Usage: narrative-jobs reschedule <jobId> [--no-force] [--json]

Puts a job back on the queue: POST /jobs/{jobId}/reschedule with {"force":true}, which also re-runs a
job that has finished. The POST is never sent twice: when its answer is lost, the job is read to learn
what happened, as the JobRerun resource does.

Options:
  --no-force   send {"force":false}: a finished job is left alone (outcome skipped_terminal)

With --json, prints {"outcome":...,"job":...} with the job exactly as the API returned it.

Example:
  narrative-jobs reschedule 2a5b9ad7-dc8f-47bb-8e62-843a38f8054c && \\
    narrative-jobs wait 2a5b9ad7-dc8f-47bb-8e62-843a38f8054c --for terminal`,

  wait: `Usage: narrative-jobs wait <jobId> --for running|terminal [--timeout <duration>] [--json]

Reads the job until it gets there, every 2s at first, then less often (at most every 30s).
  --for running    until an executor has picked it up (or it has already finished)
  --for terminal   until it is completed, failed or cancelled
  --timeout <d>    give up after this long, such as 90s, 30m, 2h (default ${formatDuration(DEFAULT_WAIT_TIMEOUT_MS)},
                   at most ${formatDuration(MAX_WAIT_TIMEOUT_MS)}); a bare number is seconds

Exits ${EXIT_CODES.done} when it got there, ${EXIT_CODES.jobFailed} when the job ended failed or cancelled, ${EXIT_CODES.timedOut} on timeout, ${EXIT_CODES.interrupted} on Ctrl+C.
Stopping the wait never stops the job. With --json, prints the job as last read.

Example:
  narrative-jobs wait 2a5b9ad7-dc8f-47bb-8e62-843a38f8054c --for terminal --timeout 1h`,
};

export function helpText(command?: CommandName): string {
  return command === undefined ? MAIN : `${COMMANDS[command]}\n\n${COMMON}\n\n${EXIT_STATUS}`;
}
