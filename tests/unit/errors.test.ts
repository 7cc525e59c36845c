import { expect } from "chai";
import {
  NarrativeApiError,
  NarrativeConfigError,
  NarrativeError,
  NarrativeNetworkError,
  NarrativeTimeoutError,
} from "../../provider/api/errors";
import { statusHint } from "../../provider/api/attempt-failure";
import { REDACTED, WITHHELD, redact } from "../../provider/common/redact";
import { DETAIL_MAX_CHARS, bodyPreview, summarizeErrorBody } from "../../provider/api/body-excerpt";
import { TOKEN_ENCODINGS, tokenLeaks } from "../support/token-leaks";

const TOKEN = "ldg8uuGibVJNHI9s+dcdIQ==";
const JOB_ID = "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c";

describe("errors", () => {
  describe("classes", () => {
    it("carry the call, job, host, status and cause, and name themselves", () => {
      const cause = new Error("socket hang up");
      const error = new NarrativeApiError("boom", {
        call: `GET /jobs/${JOB_ID}`,
        jobId: JOB_ID,
        apiHost: "api.narrative.io",
        status: 503,
        statusText: "Service Unavailable",
        detail: "down",
        logId: "log-1",
        retryable: true,
        cause,
      });
      expect(error).to.be.instanceOf(NarrativeError).and.instanceOf(Error);
      expect(error.name).to.equal("NarrativeApiError");
      expect(String(error.stack)).to.match(/^NarrativeApiError: boom/);
      expect(error).to.include({
        call: `GET /jobs/${JOB_ID}`,
        jobId: JOB_ID,
        apiHost: "api.narrative.io",
        status: 503,
        statusText: "Service Unavailable",
        detail: "down",
        logId: "log-1",
        retryable: true,
      });
      expect(error.cause).to.equal(cause);
    });

    it("leave out context that is not known", () => {
      const error = new NarrativeConfigError("no token", { property: "narrative:token" });
      expect(error.property).to.equal("narrative:token");
      expect(Object.keys(error)).to.deep.equal(["property"]);
      expect("cause" in error).to.equal(false);
      expect(new NarrativeTimeoutError("slow", { timeoutMs: 5, kind: "attempt" })).to.include({
        name: "NarrativeTimeoutError",
        timeoutMs: 5,
        kind: "attempt",
      });
      expect(new NarrativeNetworkError("down", { code: "ECONNREFUSED" })).to.include({
        name: "NarrativeNetworkError",
        code: "ECONNREFUSED",
      });
    });
  });

  describe("redact", () => {
    it("removes the token as is, URL-encoded and JSON-escaped, and any bearer credential", () => {
      const slashy = "a/b+c==";
      expect(redact(`token ${TOKEN} here`, TOKEN)).to.equal(`token ${REDACTED} here`);
      expect(redact(`q=${encodeURIComponent(TOKEN)}`, TOKEN)).to.equal(`q=${REDACTED}`);
      expect(redact(JSON.stringify({ echo: 'x"y' }), 'x"y')).to.equal(`{"echo":"${REDACTED}"}`);
      expect(redact(`${slashy}${slashy}`, slashy)).to.equal(`${REDACTED}${REDACTED}`);
      expect(redact("Authorization: Bearer someOtherKey123", TOKEN)).to.equal(
        `Authorization: Bearer ${REDACTED}`,
      );
      expect(redact(`Bearer ${TOKEN}`, TOKEN)).to.equal(`Bearer ${REDACTED}`);
      expect(redact("nothing secret", "")).to.equal("nothing secret");
      expect(redact("nothing secret", undefined)).to.equal("nothing secret");
    });

    it("removes a token with / = + in every encoded form an echo may give it", () => {
      const token = "q7/Lm+Xz9K=Rt/Pw+Ab3C==";
      for (const [encoding, encode] of TOKEN_ENCODINGS) {
        const text = `key ${encode(token)} refused`;
        expect(tokenLeaks(redact(text, token), token), `${encoding}: ${redact(text, token)}`).to.deep.equal(
          [],
        );
        expect(redact(text, token), encoding).to.match(/^key .*\[REDACTED\].* refused$/);
      }
    });

    it("withholds a text whose decoded reading still holds the token, and leaves other text alone", () => {
      const token = "q7/Lm+Xz9K=Rt/Pw+Ab3C==";
      // URL-encoding of a JSON escape: no single form, but decoding twice gives the token back.
      const nested = encodeURIComponent(token.replace(/\//g, "\\u002F"));
      expect(redact(`key ${nested}`, token)).to.equal(WITHHELD);
      const harmless = 'a&#47;b %2F c \\/ d &sol; "q7/Lm" ' + Buffer.from("hello").toString("base64");
      expect(redact(harmless, token)).to.equal(harmless);
    });
  });

  describe("summarizeErrorBody", () => {
    it("reads the structured shape: detail, else title, and logId", () => {
      const body = JSON.stringify({
        type: "about:blank",
        title: "Not Found",
        status: 404,
        detail: "Job not found",
        instance: `/jobs/${JOB_ID}`,
        logId: "abc-123",
      });
      expect(summarizeErrorBody(body, TOKEN)).to.deep.equal({ detail: "Job not found", logId: "abc-123" });
      expect(
        summarizeErrorBody(JSON.stringify({ title: "Forbidden", status: 403, logId: 77 }), TOKEN),
      ).to.deep.equal({ detail: "Forbidden", logId: "77" });
    });

    it("reads the older shape: error_description, else error", () => {
      const body = JSON.stringify({ error: "invalid_token", error_description: "The access token expired" });
      expect(summarizeErrorBody(body, TOKEN)).to.deep.equal({ detail: "The access token expired" });
      expect(summarizeErrorBody(JSON.stringify({ error: "invalid_token" }), TOKEN)).to.deep.equal({
        detail: "invalid_token",
      });
    });

    it("reads HTML as its text, tags stripped and whitespace collapsed, at most ~200 characters", () => {
      const html =
        "<html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head>\n<body>\n" +
        "<center><h1>502   Bad Gateway</h1></center>\n<hr><center>nginx</center>\n</body></html>";
      expect(summarizeErrorBody(html, TOKEN)).to.deep.equal({
        detail: "502 Bad Gateway 502 Bad Gateway nginx",
      });
      const long = `<p>${"word ".repeat(200)}</p>`;
      const detail = summarizeErrorBody(long, TOKEN).detail ?? "";
      expect(detail.length).to.equal(DETAIL_MAX_CHARS + 1);
      expect(detail.endsWith("…")).to.equal(true);
      expect(detail).not.to.match(/<|\s\s/);
    });

    it("says nothing about an empty body, and quotes unknown JSON as text", () => {
      expect(summarizeErrorBody("", TOKEN)).to.deep.equal({});
      expect(summarizeErrorBody("  \n", TOKEN)).to.deep.equal({});
      expect(summarizeErrorBody(undefined, TOKEN)).to.deep.equal({});
      expect(summarizeErrorBody('{"oops": true}', TOKEN)).to.deep.equal({ detail: '{"oops": true}' });
      expect(summarizeErrorBody("upstream connect error", TOKEN)).to.deep.equal({
        detail: "upstream connect error",
      });
    });

    it("redacts the token before it cuts, so no part of it survives", () => {
      const body = `${"x".repeat(DETAIL_MAX_CHARS - 10)} Bearer ${TOKEN} and ${TOKEN}`;
      const detail = summarizeErrorBody(body, TOKEN).detail ?? "";
      expect(detail).not.to.include(TOKEN.slice(0, 8));
      expect(summarizeErrorBody(JSON.stringify({ detail: `bad key ${TOKEN}` }), TOKEN).detail).to.equal(
        `bad key ${REDACTED}`,
      );
      expect(bodyPreview(`<html>${TOKEN}</html>`, TOKEN)).to.equal(
        JSON.stringify(`<html>${REDACTED}</html>`),
      );
      expect(bodyPreview("", TOKEN)).to.equal("(empty body)");
    });
  });

  describe("statusHint", () => {
    const where = { apiHost: "api.narrative.io", jobId: JOB_ID };

    it("points a 401 at the token settings", () => {
      const hint = statusHint(401, { method: "GET", ...where });
      expect(hint).to.include("narrative:token");
      expect(hint).to.include("pulumi config set --secret narrative:token");
      expect(hint).to.include("NARRATIVE_API_TOKEN");
      expect(hint).to.include("expired");
    });

    it("names the Jobs permission a 403 needs", () => {
      expect(statusHint(403, { method: "GET", ...where }))
        .to.include("Jobs permission")
        .and.include("needs read");
      expect(statusHint(403, { method: "POST", ...where })).to.include("needs write");
    });

    it("names the job and host for a 404, and apiUrl without a job", () => {
      expect(statusHint(404, { method: "GET", ...where })).to.equal(
        `No job ${JOB_ID} on api.narrative.io: check jobId and that the token's company owns it.`,
      );
      expect(statusHint(404, { method: "GET", apiHost: "api.narrative.io" })).to.include("apiUrl");
    });

    it("blames the API or a gateway for 5xx and quotes the logId", () => {
      expect(statusHint(502, { method: "GET", ...where, logId: "L1" }))
        .to.include("gateway")
        .and.include("L1");
      expect(statusHint(500, { method: "POST", ...where, logId: "L2" }))
        .to.include("not transient")
        .and.include("L2")
        .and.include("may or may not");
      expect(statusHint(429, { method: "GET", ...where })).to.include("Rate limited");
      expect(statusHint(302, { method: "GET", ...where })).to.include("redirect");
    });
  });
});
