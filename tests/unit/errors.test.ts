import { expect } from "chai";
import {
  NarrativeApiError,
  NarrativeConfigError,
  NarrativeError,
  NarrativeNetworkError,
  NarrativeTimeoutError,
} from "../../provider/api/errors";

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
});
