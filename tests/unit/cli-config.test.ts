import { expect } from "chai";
import { listPageSize } from "../../provider/cli/commands";
import { resolveConnection } from "../../provider/cli/config";
import { CliUsageError } from "../../provider/cli/exit-codes";
import { Output } from "../../provider/cli/output";
import { thrownBy } from "../support/assertions";

const TOKEN = "narrative-unit-SECRET-0123abcd";

function noFile(path: string): string {
  throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
}

function refused(run: () => unknown): string {
  return thrownBy(run, CliUsageError).message;
}

describe("cli: where requests go and with which token", () => {
  it("takes the token and URL from NARRATIVE_API_TOKEN and NARRATIVE_API_URL, the URL defaulting to the API", () => {
    expect(resolveConnection({ json: false }, { NARRATIVE_API_TOKEN: TOKEN })).to.deep.equal({
      apiUrl: "https://api.narrative.io",
      token: TOKEN,
    });
    expect(
      resolveConnection(
        { json: false },
        {
          NARRATIVE_API_TOKEN: TOKEN,
          NARRATIVE_API_URL: "http://127.0.0.1:4567",
          NARRATIVE_TOTAL_TIMEOUT: "2m",
        },
      ),
    ).to.deep.equal({ apiUrl: "http://127.0.0.1:4567", token: TOKEN, totalTimeoutMs: 120_000 });
  });

  it("--api-url wins over NARRATIVE_API_URL; --token-file over NARRATIVE_API_TOKEN, one trailing newline dropped", () => {
    const files: Record<string, string> = { "/secrets/a": `${TOKEN}\n`, "/secrets/b": `${TOKEN}\r\n` };
    for (const tokenFile of Object.keys(files)) {
      const connection = resolveConnection(
        { json: false, apiUrl: "https://eu.example.test", tokenFile },
        { NARRATIVE_API_TOKEN: "from-env", NARRATIVE_API_URL: "https://api.narrative.io" },
        (path) => files[path] ?? noFile(path),
      );
      expect(connection).to.deep.equal({ apiUrl: "https://eu.example.test", token: TOKEN });
    }
  });

  it("no token, an empty one, or one with whitespace inside is refused, saying where it came from", () => {
    expect(refused(() => resolveConnection({ json: false }, {}))).to.equal(
      "no Narrative API token: set NARRATIVE_API_TOKEN, or put the token in a file and pass --token-file <path>. " +
        "Nothing was sent.",
    );
    expect(refused(() => resolveConnection({ json: false, tokenFile: "/t" }, {}, () => "\n"))).to.equal(
      "the token from --token-file /t is empty. Nothing was sent.",
    );
    expect(
      refused(() => resolveConnection({ json: false, tokenFile: "/t" }, {}, () => `${TOKEN}\n\n`)),
    ).to.equal(
      "the token from --token-file /t contains whitespace or control characters, which a header cannot carry " +
        "(only one trailing newline is dropped). Nothing was sent.",
    );
    const message = refused(() => resolveConnection({ json: false }, { NARRATIVE_API_TOKEN: `${TOKEN} x` }));
    expect(message).to.include("the token from NARRATIVE_API_TOKEN contains whitespace");
    expect(message).not.to.include(TOKEN);
  });

  it("a token file that cannot be read is named, with the system's reason", () => {
    expect(refused(() => resolveConnection({ json: false, tokenFile: "/nope" }, {}, noFile))).to.equal(
      "cannot read the token from --token-file /nope (ENOENT): give the path of a file holding the API token.",
    );
  });

  it("plain http:// is refused unless the host is loopback, whichever setting gave it", () => {
    for (const apiUrl of ["http://127.0.0.1:4567", "http://localhost", "http://[::1]:8080"]) {
      expect(resolveConnection({ json: false, apiUrl }, { NARRATIVE_API_TOKEN: TOKEN }).apiUrl).to.equal(
        apiUrl,
      );
    }
    expect(
      refused(() =>
        resolveConnection({ json: false, apiUrl: "http://api.narrative.io" }, { NARRATIVE_API_TOKEN: TOKEN }),
      ),
    ).to.equal(
      "--api-url must use https:// (http:// is accepted only for loopback hosts such as 127.0.0.1); " +
        'got "http://api.narrative.io". Nothing was sent.',
    );
    expect(
      refused(() =>
        resolveConnection(
          { json: false },
          { NARRATIVE_API_TOKEN: TOKEN, NARRATIVE_API_URL: "http://10.0.0.8:80" },
        ),
      ),
    ).to.match(/^NARRATIVE_API_URL must use https:\/\//);
  });

  it("a URL carrying credentials is refused without repeating them, pointing at the token's own settings", () => {
    const message = refused(() =>
      resolveConnection(
        { json: false, apiUrl: `https://user:${TOKEN}@api.narrative.io` },
        { NARRATIVE_API_TOKEN: TOKEN },
      ),
    );
    expect(message).to.equal(
      "--api-url must not contain a user name or password: the token comes from NARRATIVE_API_TOKEN or " +
        "--token-file. Nothing was sent.",
    );
  });

  it("a bad NARRATIVE_TOTAL_TIMEOUT is a usage error naming it", () => {
    expect(
      refused(() =>
        resolveConnection({ json: false }, { NARRATIVE_API_TOKEN: TOKEN, NARRATIVE_TOTAL_TIMEOUT: "soon" }),
      ),
    ).to.include("NARRATIVE_TOTAL_TIMEOUT");
  });
});

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

describe("cli: list page size", () => {
  it("one request up to 500 jobs; beyond, equal pages of at most 500 overshooting by less than one a page", () => {
    expect(listPageSize(1)).to.equal(1);
    expect(listPageSize(500)).to.equal(500);
    expect(listPageSize(501)).to.equal(251);
    expect(listPageSize(1000)).to.equal(500);
    expect(listPageSize(1201)).to.equal(401);
    for (let limit = 1; limit <= 10_000; limit++) {
      const size = listPageSize(limit);
      const pages = Math.ceil(limit / size);
      expect(size).to.be.at.most(500);
      expect(pages * size - limit, String(limit)).to.be.below(pages);
    }
  });
});
