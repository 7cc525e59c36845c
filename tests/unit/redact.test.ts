import { expect } from "chai";
import { REDACTED, WITHHELD, redact } from "../../provider/common/redact";
import { TOKEN_ENCODINGS, tokenLeaks } from "../support/token-leaks";

const TOKEN = "ldg8uuGibVJNHI9s+dcdIQ==";

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
      expect(tokenLeaks(redact(text, token), token), `${encoding}: ${redact(text, token)}`).to.deep.equal([]);
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
