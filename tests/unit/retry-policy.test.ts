import { expect } from "chai";
import {
  ATTEMPT_TIMEOUT_RULE,
  DEFAULT_RETRY_OPTIONS,
  NETWORK_RULES,
  STATUS_RULES,
  backoffDelay,
  isRetriedStatus,
  networkRule,
  parseHttpDate,
  parseRetryAfter,
} from "../../provider/api/retry-policy";

/** A small seeded generator (mulberry32), so the jitter draws are the same on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("retry policy", () => {
  it("has the documented defaults", () => {
    expect(DEFAULT_RETRY_OPTIONS).to.deep.equal({
      attemptTimeoutMs: 30_000,
      totalTimeoutMs: 120_000,
      baseDelayMs: 500,
      maxDelayMs: 10_000,
    });
  });

  describe("parseRetryAfter", () => {
    const now = Date.UTC(2024, 0, 15, 12, 0, 0);

    it("reads delta-seconds, including 0", () => {
      expect(parseRetryAfter("2", now)).to.equal(2_000);
      expect(parseRetryAfter(" 120 ", now)).to.equal(120_000);
      expect(parseRetryAfter("0", now)).to.equal(0);
    });

    it("reads an HTTP date in the future as the time until then", () => {
      expect(parseRetryAfter("Mon, 15 Jan 2024 12:00:05 GMT", now)).to.equal(5_000);
      expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).to.equal(90_000);
    });

    it("reads an HTTP date in the past as 0", () => {
      expect(parseRetryAfter("Sun, 14 Jan 2024 12:00:00 GMT", now)).to.equal(0);
      expect(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now)).to.equal(0);
    });

    it("accepts the obsolete RFC 850 and asctime date forms", () => {
      expect(parseRetryAfter("Monday, 15-Jan-24 12:00:10 GMT", now)).to.equal(10_000);
      expect(parseRetryAfter("Mon Jan 15 12:00:20 2024", now)).to.equal(20_000);
      expect(parseHttpDate("Sun Nov  6 08:49:37 1994")).to.equal(Date.UTC(1994, 10, 6, 8, 49, 37));
    });

    it("returns undefined for garbage, so the caller backs off on its own", () => {
      for (const value of [
        undefined,
        null,
        "",
        "soon",
        "-1",
        "1.5",
        "2s",
        "0x10",
        "Tomorrow",
        "2024-01-15T12:00:05Z",
        "Mon, 15 Jan 2024 12:00:05 UTC",
        "Mon, 30 Feb 2024 12:00:05 GMT",
        "Mon, 15 Jan 2024 25:00:05 GMT",
        "99999999999999999999999",
      ]) {
        expect(parseRetryAfter(value, now), String(value)).to.equal(undefined);
      }
    });
  });

  describe("backoffDelay", () => {
    const options = { baseDelayMs: 500, maxDelayMs: 10_000 };

    it("stays below a ceiling that doubles from baseDelayMs and is capped at maxDelayMs", () => {
      const random = seededRandom(42);
      for (let attempt = 1; attempt <= 12; attempt++) {
        const ceiling = Math.min(10_000, 500 * 2 ** (attempt - 1));
        for (let draw = 0; draw < 200; draw++) {
          const delay = backoffDelay(attempt, options, random);
          expect(delay, `attempt ${attempt}`).to.be.at.least(0).and.below(ceiling);
          expect(Number.isInteger(delay)).to.equal(true);
        }
      }
    });

    it("spreads the draws across the whole range (full jitter)", () => {
      const random = seededRandom(7);
      const delays = Array.from({ length: 500 }, () => backoffDelay(3, options, random));
      expect(Math.min(...delays)).to.be.below(200);
      expect(Math.max(...delays)).to.be.above(1_800);
    });

    it("is exact at the ends of the draw, and survives huge attempt numbers and bad draws", () => {
      expect(backoffDelay(1, options, () => 0)).to.equal(0);
      expect(backoffDelay(1, options, () => 0.999999)).to.equal(499);
      expect(backoffDelay(4, options, () => 0.5)).to.equal(2_000);
      expect(backoffDelay(10_000, options, () => 0.5)).to.equal(5_000);
      expect(backoffDelay(0, options, () => 0.5)).to.equal(250);
      expect(backoffDelay(2, options, () => 7)).to.equal(1_000);
      expect(backoffDelay(2, options, () => -1)).to.equal(0);
    });
  });

  describe("what is retried", () => {
    it("retries 429, 502, 503 and 504 and nothing else, each with a reason", () => {
      for (const status of [429, 502, 503, 504]) {
        expect(isRetriedStatus(status), String(status)).to.equal(true);
      }
      for (const status of [400, 401, 403, 404, 409, 410, 422, 500, 501, 505, 301, 200]) {
        expect(isRetriedStatus(status), String(status)).to.equal(false);
      }
      for (const rule of STATUS_RULES) {
        expect(rule.reason).to.be.a("string").with.length.above(10);
      }
      expect(STATUS_RULES.find((rule) => rule.status === 500)?.reason).to.match(/not transient/);
    });

    it("retries the listed network errors and attempt timeouts", () => {
      for (const code of ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EAI_AGAIN"]) {
        expect(networkRule(code, `request failed, reason: read ${code}`)?.retried, code).to.equal(true);
      }
      expect(networkRule(undefined, "request to http://x failed, reason: socket hang up")?.retried).to.equal(
        true,
      );
      expect(ATTEMPT_TIMEOUT_RULE.retried).to.equal(true);
      expect(networkRule("ENOTFOUND", "getaddrinfo ENOTFOUND api.narative.io")?.retried).to.equal(false);
      expect(networkRule("CERT_HAS_EXPIRED", "certificate has expired")).to.equal(undefined);
      for (const rule of NETWORK_RULES) {
        expect(rule.reason).to.be.a("string").with.length.above(10);
      }
    });

    it("knows which network failures cannot have reached the server", () => {
      expect(networkRule("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1")?.reachedServer).to.equal("no");
      expect(networkRule("EAI_AGAIN", "getaddrinfo EAI_AGAIN api.narrative.io")?.reachedServer).to.equal(
        "no",
      );
      expect(networkRule("ETIMEDOUT", "connect ETIMEDOUT 10.0.0.1:443")?.reachedServer).to.equal("no");
      expect(networkRule("ETIMEDOUT", "read ETIMEDOUT")?.reachedServer).to.equal("maybe");
      expect(networkRule("ECONNRESET", "socket hang up")?.reachedServer).to.equal("maybe");
      expect(networkRule("EPIPE", "write EPIPE")?.reachedServer).to.equal("maybe");
      expect(ATTEMPT_TIMEOUT_RULE.reachedServer).to.equal("maybe");
    });
  });
});
