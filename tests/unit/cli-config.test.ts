import { expect } from "chai";
import { resolveConnection } from "../../provider/cli/config";
import { CliUsageError } from "../../provider/cli/exit-codes";
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
