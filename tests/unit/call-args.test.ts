import { expect } from "chai";
import { resolveRetryOptions } from "../../provider/api/call-args";
import { NarrativeConfigError } from "../../provider/api/errors";

describe("timing option limits", () => {
  it("refuses a timing option a Node.js timer cannot hold, naming the option and its limit", () => {
    for (const [name, value] of [
      ["attemptTimeoutMs", 10 * 60_000 + 1],
      ["totalTimeoutMs", 9_999_999 * 3_600_000],
      ["maxDelayMs", 2 ** 31],
    ] as const) {
      expect(() => resolveRetryOptions({ [name]: value }), name)
        .to.throw(NarrativeConfigError, new RegExp(`^${name} must be at most \\d+ milliseconds`))
        .with.property("property", name);
    }
    expect(resolveRetryOptions({ attemptTimeoutMs: 10 * 60_000, totalTimeoutMs: 24 * 3_600_000 })).to.include(
      {
        attemptTimeoutMs: 600_000,
        totalTimeoutMs: 86_400_000,
      },
    );
  });
});
