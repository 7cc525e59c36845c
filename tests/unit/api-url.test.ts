import { expect } from "chai";
import { apiUrlProblem } from "../../provider/api/api-url";

/** Shaped like the documentation's example token, so that a leak would be easy to spot in a failure. */
const TOKEN = "ldg8uuGibVJNHI9s+dcdIQ==";

describe("apiUrlProblem", () => {
  const accepted = [
    "https://api.narrative.io",
    "https://api.narrative.io/",
    "https://api-dev.narrative.io",
    "https://gateway.example.com:8443/narrative/v1",
    "HTTPS://API.NARRATIVE.IO",
    "http://localhost",
    "http://localhost:8080",
    "http://LOCALHOST:8080/",
    "http://127.0.0.1:4010",
    "http://127.10.20.30",
    "http://[::1]:8080",
    "https://127.0.0.1:4010",
  ];
  for (const url of accepted) {
    it(`accepts ${url}`, () => {
      expect(apiUrlProblem(url)).to.equal(undefined);
    });
  }

  const notLoopback = [
    "http://api.narrative.io",
    "http://localhost.evil.example",
    "http://127.0.0.1.nip.io",
    "http://10.0.0.1",
    "http://0.0.0.0:8080",
    "http://[::2]",
    "http://example.com/127.0.0.1",
  ];
  for (const url of notLoopback) {
    it(`refuses plain http to a host that is not loopback: ${url}`, () => {
      const problem = apiUrlProblem(url);
      expect(problem).to.be.a("string");
      expect(problem).to.include("https://");
      expect(problem).to.match(/loopback/);
    });
  }

  const notAbsoluteHttps: unknown[] = [
    "",
    "   ",
    "api.narrative.io",
    "/jobs",
    "//api.narrative.io",
    "ftp://api.narrative.io",
    "file:///etc/passwd",
    "ws://localhost:8080",
    "javascript:alert(1)",
    42,
    null,
    undefined,
    true,
    { href: "https://api.narrative.io" },
  ];
  for (const value of notAbsoluteHttps) {
    it(`refuses ${JSON.stringify(value) ?? String(value)} as not an absolute https:// URL`, () => {
      const problem = apiUrlProblem(value);
      expect(problem).to.be.a("string");
      expect(problem).to.match(/https:\/\//);
    });
  }

  const withCredentials = [
    `https://user:${TOKEN}@api.narrative.io`,
    `https://${encodeURIComponent(TOKEN)}@api.narrative.io`,
    `https://:${TOKEN}@api.narrative.io`,
    `http://bearer:${TOKEN}@localhost:8080`,
  ];
  for (const url of withCredentials) {
    it(`refuses credentials in the URL without repeating them: ${url.replace(TOKEN, "<token>")}`, () => {
      const problem = apiUrlProblem(url);
      expect(problem).to.be.a("string");
      expect(problem).to.include("pulumi config set --secret narrative:token");
      expect(problem).not.to.include(TOKEN);
      expect(problem).not.to.include(encodeURIComponent(TOKEN));
    });
  }

  const withQueryOrFragment = [
    `https://api.narrative.io/?token=${TOKEN}`,
    `https://api.narrative.io?access_token=${encodeURIComponent(TOKEN)}`,
    `https://api.narrative.io/#${TOKEN}`,
    `http://localhost:8080/jobs?key=${TOKEN}#x`,
  ];
  for (const url of withQueryOrFragment) {
    it(`refuses a query string or fragment without repeating it: ${url.replace(TOKEN, "<token>")}`, () => {
      const problem = apiUrlProblem(url);
      expect(problem).to.be.a("string");
      expect(problem).to.match(/query string or fragment/);
      expect(problem).not.to.include(TOKEN);
      expect(problem).not.to.include(encodeURIComponent(TOKEN));
    });
  }

  it("does not repeat a credential from a value it refuses for any other reason, parsable or not", () => {
    for (const url of [
      `https://user:${TOKEN}@api narrative.io`,
      `https://x:${TOKEN}@`,
      `api.narrative.io?token=${TOKEN}`,
      `https://u:pa#${TOKEN}@bad host`,
      `https://u:${TOKEN}@x@bad host`,
      `user:${TOKEN}@api.narrative.io`,
    ]) {
      const problem = apiUrlProblem(url);
      expect(problem, url).to.be.a("string");
      expect(problem, url).not.to.include(TOKEN);
    }
  });

  it("shows what comes before a query string or fragment, so the user sees which URL it refused", () => {
    expect(apiUrlProblem(`https://api.narrative.io/v1?token=${TOKEN}`)).to.include(
      '"https://api.narrative.io/v1?…"',
    );
    expect(apiUrlProblem(`https://user:${TOKEN}@api narrative.io`)).to.include(
      '"https://…@api narrative.io"',
    );
  });

  it("shows the value it refused when that value holds no credential, so the user sees the mistake", () => {
    expect(apiUrlProblem("http://api.narrative.io")).to.include('"http://api.narrative.io"');
    expect(apiUrlProblem("api.narrative.io")).to.include('"api.narrative.io"');
    expect(apiUrlProblem("ftp://api.narrative.io")).to.include('"ftp://api.narrative.io"');
  });
});
