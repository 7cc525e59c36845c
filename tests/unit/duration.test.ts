import { expect } from "chai";
import { formatDuration, parseDuration } from "../../provider/common/duration";

describe("durations", () => {
  describe("parseDuration", () => {
    it("reads a bare number as seconds, given as a number or as text", () => {
      expect(parseDuration(30)).to.equal(30_000);
      expect(parseDuration("30")).to.equal(30_000);
      expect(parseDuration(0)).to.equal(0);
      expect(parseDuration("0")).to.equal(0);
      expect(parseDuration(1.5)).to.equal(1_500);
      expect(parseDuration("0.5")).to.equal(500);
    });

    const withUnits: [string, number][] = [
      ["500ms", 500],
      ["30s", 30_000],
      ["2m", 120_000],
      ["2h", 7_200_000],
      ["1h30m", 5_400_000],
      ["1m30s", 90_000],
      ["1h2m3s4ms", 3_723_004],
      ["1.5h", 5_400_000],
      ["0s", 0],
    ];
    for (const [text, ms] of withUnits) {
      it(`reads ${JSON.stringify(text)} as ${ms} ms`, () => {
        expect(parseDuration(text)).to.equal(ms);
      });
    }

    it("tells ms from m followed by s", () => {
      expect(parseDuration("5ms")).to.equal(5);
      expect(parseDuration("5m5s")).to.equal(305_000);
    });

    it("ignores whitespace around the value", () => {
      expect(parseDuration("  30s\n")).to.equal(30_000);
      expect(parseDuration(" 45 ")).to.equal(45_000);
    });

    const notDurations: unknown[] = [
      "",
      "   ",
      "soon",
      "30x",
      "s",
      "30 s",
      "1h 30m",
      "1m30",
      "30s!",
      "ten seconds",
      "1e3",
      "0x10",
      "+5",
      "-5",
      "-5s",
      "1h-30m",
      "Infinity",
      "NaN",
      -1,
      -0.001,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      null,
      undefined,
      true,
      {},
      [30],
      30n,
    ];
    for (const value of notDurations) {
      const shown = typeof value === "bigint" ? `${value}n` : (JSON.stringify(value) ?? String(value));
      it(`returns undefined for ${shown}`, () => {
        expect(parseDuration(value)).to.equal(undefined);
      });
    }
  });

  describe("formatDuration", () => {
    const cases: [number, string][] = [
      [0, "0ms"],
      [250, "250ms"],
      [999, "999ms"],
      [999.4, "999ms"],
      [1_000, "1s"],
      [1_499, "1s"],
      [30_000, "30s"],
      [59_000, "59s"],
      [60_000, "1m0s"],
      [90_000, "1m30s"],
      [250_000, "4m10s"],
      [3_599_000, "59m59s"],
      [3_600_000, "1h0m"],
      [5_400_000, "1h30m"],
      [86_400_000, "24h0m"],
    ];
    for (const [ms, text] of cases) {
      it(`shows ${ms} ms as ${text}`, () => {
        expect(formatDuration(ms)).to.equal(text);
      });
    }

    it("carries a rounded-up unit over instead of showing 60 of it", () => {
      expect(formatDuration(999.6)).to.equal("1s");
      expect(formatDuration(59_500)).to.equal("1m0s");
      expect(formatDuration(3_599_500)).to.equal("1h0m");
    });

    it("gives text that parseDuration reads back to the shown precision", () => {
      for (const ms of [0, 500, 1_000, 42_000, 90_000, 250_000, 3_600_000, 5_400_000]) {
        expect(parseDuration(formatDuration(ms)), formatDuration(ms)).to.equal(ms);
      }
    });
  });
});
