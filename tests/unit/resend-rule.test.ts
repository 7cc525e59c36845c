import { expect } from "chai";
import { rescheduleAppliedByEvidence } from "../../provider/api/resend-rule";
import type { Job } from "../../provider/api/types";
import { BASELINE } from "../support/example-job";

const JOB_ID = "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c";

describe("rescheduleAppliedByEvidence", () => {
  const job = (fields: Partial<Job>): Job => ({ ...BASELINE, ...fields }) as Job;
  const moved = "2024-05-01T10:00:00.000001";
  const cases: [string, Job | undefined, Job, boolean, string][] = [
    [
      "moved and pending",
      BASELINE,
      job({ state: "pending", updated_at: moved, executor: null }),
      true,
      "applied",
    ],
    ["moved and already running", BASELINE, job({ state: "running", updated_at: moved }), true, "applied"],
    [
      "moved, pending, without force",
      BASELINE,
      job({ state: "pending", updated_at: moved }),
      false,
      "applied",
    ],
    ["unchanged terminal, force", BASELINE, BASELINE, true, "not-applied"],
    ["unchanged terminal, no force", BASELINE, BASELINE, false, "skipped-terminal"],
    [
      "moved but terminal again",
      BASELINE,
      job({ state: "completed", updated_at: moved }),
      true,
      "not-applied",
    ],
    [
      "moved but terminal, no force",
      BASELINE,
      job({ state: "failed", updated_at: moved }),
      false,
      "not-applied",
    ],
    ["unchanged pending", job({ state: "pending" }), job({ state: "pending" }), false, "not-applied"],
    [
      "no baseline: pending, executor null",
      undefined,
      job({ state: "pending", executor: null }),
      true,
      "applied",
    ],
    ["no baseline: pending, no executor", undefined, { job_id: JOB_ID, state: "pending" }, true, "applied"],
    ["no baseline: pending with executor", undefined, job({ state: "pending" }), true, "not-applied"],
    ["no baseline: running", undefined, job({ state: "running", executor: null }), true, "not-applied"],
    ["no baseline: terminal, force", undefined, BASELINE, true, "not-applied"],
    ["no baseline: terminal, no force", undefined, BASELINE, false, "skipped-terminal"],
  ];
  for (const [name, baseline, current, force, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      expect(rescheduleAppliedByEvidence(baseline, current, force)).to.equal(expected);
    });
  }
});
