import { expect } from "chai";
import { Output } from "../../provider/cli/output";

const TOKEN = "narrative-unit-SECRET-0123abcd";

describe("cli: output", () => {
  function capture(): { output: Output; stdout: string[]; stderr: string[] } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const output = new Output(
      { write: (text: string) => stdout.push(text) },
      { write: (text: string) => stderr.push(text) },
    );
    return { output, stdout, stderr };
  }

  it("results go to stdout; progress, warnings and errors to stderr, prefixed with the program's name", () => {
    const { output, stdout, stderr } = capture();
    output.result("Job rescheduled.");
    output.progress("GET /jobs/x: attempt 1 failed");
    output.error("no token");
    expect(stdout).to.deep.equal(["Job rescheduled.\n"]);
    expect(stderr).to.deep.equal([
      "narrative-jobs: GET /jobs/x: attempt 1 failed\n",
      "narrative-jobs: error: no token\n",
    ]);
  });

  it("the token is taken out of everything printed, in the forms an echo takes", () => {
    const token = "tok+en/with=chars";
    const { output, stdout, stderr } = capture();
    output.hide(token);
    output.result(`echoed ${token} and ${encodeURIComponent(token)}`);
    output.error(`server said: Authorization: Bearer ${token}`);
    expect(stdout.join("")).to.equal("echoed [REDACTED] and [REDACTED]\n");
    expect(stderr.join("")).to.equal(
      "narrative-jobs: error: server said: Authorization: Bearer [REDACTED]\n",
    );
  });

  it("--json text changes only where the token stood: other Bearer words and every digit stay", () => {
    const { output, stdout } = capture();
    output.hide(TOKEN);
    const text = `{"note":"Bearer someone-else","echo":"${TOKEN}","snapshot_id":1724919539450264600}`;
    output.json(text);
    expect(stdout.join("")).to.equal(
      '{"note":"Bearer someone-else","echo":"[REDACTED]","snapshot_id":1724919539450264600}\n',
    );
  });
});
