import { expect } from "chai";
import { CliUsageError } from "../../provider/cli/exit-codes";
import { reportFailure } from "../../provider/cli/main";
import { Output } from "../../provider/cli/output";
import {
  NarrativeApiError,
  NarrativeConfigError,
  NarrativeNetworkError,
  NarrativeTimeoutError,
  withUnknownOutcome,
} from "../../provider/api/errors";

const JOB_ID = "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c";

function report(error: unknown, command?: string): { code: number; stderr: string } {
  const stderr: string[] = [];
  const output = new Output({ write: () => true }, { write: (text: string) => stderr.push(text) });
  const code = reportFailure(error, output, command);
  return { code, stderr: stderr.join("") };
}

describe("cli: what a failure exits with", () => {
  it("2 for a bad command line, pointing to the command's --help", () => {
    expect(report(new CliUsageError("unknown option --x", "get"))).to.deep.equal({
      code: 2,
      stderr: "narrative-jobs: error: unknown option --x\nRun `narrative-jobs get --help` for usage.\n",
    });
  });

  it("2 for a setting the client refuses before sending anything", () => {
    expect(
      report(new NarrativeConfigError("jobId must be a job's UUID", { property: "jobId" })).code,
    ).to.equal(2);
  });

  it("3 for an error status, an unreachable API and a call that got no answer in time", () => {
    const errors = [
      new NarrativeApiError("GET /jobs/x failed with 404 Not Found", {
        status: 404,
        statusText: "Not Found",
        retryable: false,
      }),
      new NarrativeNetworkError("could not talk to the API (ECONNREFUSED)", { code: "ECONNREFUSED" }),
      new NarrativeTimeoutError("got no answer within 2m", { timeoutMs: 120_000, kind: "total" }),
    ];
    for (const error of errors) {
      expect(report(error), error.name).to.deep.equal({
        code: 3,
        stderr: `narrative-jobs: error: ${error.message}\n`,
      });
    }
  });

  it("a reschedule whose outcome is unknown says how to check the job before running it again", () => {
    const error = withUnknownOutcome(
      new NarrativeNetworkError("POST failed", { call: `POST /jobs/${JOB_ID}/reschedule`, jobId: JOB_ID }),
    );
    expect(report(error, "reschedule")).to.deep.equal({
      code: 3,
      stderr:
        "narrative-jobs: error: POST failed\n" +
        `Check the job with \`narrative-jobs get ${JOB_ID}\` before rescheduling it again.\n`,
    });
  });

  it("70 for anything else: a bug in the tool, said as such", () => {
    const { code, stderr } = report(new TypeError("x is not a function"));
    expect(code).to.equal(70);
    expect(stderr).to.match(
      /^narrative-jobs: error: unexpected failure, a bug in narrative-jobs: TypeError: x is not a function/,
    );
  });
});
