/** What `narrative-jobs` exits with. docs/command-line-tool.md's table and `--help` are written from this list. */
export const EXIT_CODES = {
  /** The command did what was asked (for `wait`: the job reached the state, and did not fail). */
  done: 0,
  /** `wait`: the job ended failed or cancelled. */
  jobFailed: 1,
  /** A bad command line or setting (unknown option, bad job id, no token, http:// to a remote host): nothing sent. */
  usage: 2,
  /** The API answered with an error, could not be reached, or gave no answer within its time budget. */
  apiError: 3,
  /** `wait`: --timeout passed before the job got there; the job goes on. */
  timedOut: 4,
  /** `wait`: stopped by Ctrl+C (SIGINT); the job goes on. 128 + SIGINT, as shells report it. */
  interrupted: 130,
  /** A bug in narrative-jobs itself. */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** A command line that cannot be run; nothing was sent. */
export class CliUsageError extends Error {
  override name = "CliUsageError";

  constructor(
    message: string,
    /** The command whose `--help` the message points to. */
    readonly command?: string,
  ) {
    super(message);
  }
}
