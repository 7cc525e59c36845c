import { expect } from "chai";
import { failsOnJobFailure, waitTimeoutMs, withDefaults } from "../../provider/jobrerun/inputs";

const JOB_ID = "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c";

describe("JobRerun inputs", () => {
  describe("withDefaults", () => {
    it("leaves the defaults force=true, runOnCreate=false, waitFor=none to withDefaults", () => {
      expect(withDefaults({ jobId: JOB_ID, triggers: "v1" })).to.deep.equal({
        jobId: JOB_ID,
        triggers: "v1",
        force: true,
        runOnCreate: false,
        waitFor: "none",
        onUnrecordedRun: "follow",
      });
      expect(withDefaults({ jobId: JOB_ID, triggers: "v1", force: false, waitFor: "terminal" })).to.include({
        force: false,
        runOnCreate: false,
        waitFor: "terminal",
      });
    });
  });

  describe("the waiting inputs", () => {
    it("waits 30 minutes by default, else the timeout given in seconds or as a duration", () => {
      expect(waitTimeoutMs({})).to.equal(30 * 60_000);
      expect(waitTimeoutMs({ timeout: 90 })).to.equal(90_000);
      expect(waitTimeoutMs({ timeout: "2h" })).to.equal(7_200_000);
    });

    it("fails on a failed job by default only when waiting for the end", () => {
      expect(failsOnJobFailure({ waitFor: "terminal" })).to.equal(true);
      expect(failsOnJobFailure({ waitFor: "running" })).to.equal(false);
      expect(failsOnJobFailure({ waitFor: "none" })).to.equal(false);
      expect(failsOnJobFailure({ waitFor: "terminal", failOnJobFailure: false })).to.equal(false);
      expect(failsOnJobFailure({ waitFor: "running", failOnJobFailure: true })).to.equal(true);
    });
  });
});
