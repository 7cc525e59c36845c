import { expect } from "chai";
import { DETAIL_MAX_CHARS, bodyPreview, summarizeErrorBody } from "../../provider/api/body-excerpt";
import { REDACTED } from "../../provider/common/redact";

const TOKEN = "ldg8uuGibVJNHI9s+dcdIQ==";
const JOB_ID = "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c";

describe("error bodies", () => {
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
});
