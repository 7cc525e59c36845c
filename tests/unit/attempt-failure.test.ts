import { expect } from "chai";
import { statusHint } from "../../provider/api/attempt-failure";

const JOB_ID = "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c";

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
