import { expect } from "chai";
import { checkInputs } from "../../provider/jobrerun/decisions";
import {
  MAX_TRIGGERS_BYTES,
  MAX_TRIGGERS_DEPTH,
  canonicalTriggers,
  triggersEqual,
  triggersProblem,
} from "../../provider/jobrerun/triggers";

const JOB_ID = "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c";

function nested(depth: number): unknown {
  let value: unknown = "leaf";
  for (let level = 0; level < depth; level++) {
    value = { next: value };
  }
  return value;
}

/** Refused within a second, naming triggers: the limits exist so that a hostile value fails fast. */
function refusedQuickly(triggers: unknown): string {
  const started = process.hrtime.bigint();
  const { failures } = checkInputs({ jobId: JOB_ID, triggers });
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  expect(elapsedMs, "check time in ms").to.be.below(1_000);
  expect(failures).to.have.length(1);
  expect(failures[0]?.property).to.equal("triggers");
  return failures[0]?.reason ?? "";
}

describe("triggers limits", () => {
  describe("depth", () => {
    it(`accepts ${MAX_TRIGGERS_DEPTH} levels of nesting`, () => {
      expect(triggersProblem(nested(MAX_TRIGGERS_DEPTH - 1))).to.equal(undefined);
    });

    it("refuses a value nested 1,000 deep, quickly and without overflowing the stack", () => {
      const reason = refusedQuickly(nested(1_000));
      expect(reason).to.match(/^triggers is nested more than 64 levels deep \(at triggers(\.next)+\)/);
      expect(reason).to.include("hash");
    });

    it("refuses a value nested 100,000 deep (arrays) without overflowing the stack", () => {
      let value: unknown = [];
      for (let level = 0; level < 100_000; level++) {
        value = [value];
      }
      expect(refusedQuickly(value)).to.match(/nested more than 64 levels deep/);
    });
  });

  describe("size", () => {
    it("accepts 64 KiB of canonical JSON", () => {
      const text = "x".repeat(MAX_TRIGGERS_BYTES - 2);
      expect(Buffer.byteLength(JSON.stringify(text))).to.equal(MAX_TRIGGERS_BYTES);
      expect(triggersProblem(text)).to.equal(undefined);
    });

    it("refuses 5 MB, saying how large it is and suggesting a hash", () => {
      const files: Record<string, string> = {};
      for (let index = 0; index < 5_000; index++) {
        files[`file-${index}.sql`] = "y".repeat(1_000);
      }
      const reason = refusedQuickly({ files });
      expect(reason).to.match(/^triggers is 4\.\d MiB as JSON, more than the 64 KiB a JobRerun stores/);
      expect(reason).to.include("pass a hash of large values instead");
    });

    it("counts bytes, not characters", () => {
      expect(triggersProblem("é".repeat(MAX_TRIGGERS_BYTES / 2))).to.match(/more than the 64 KiB/);
    });
  });

  describe("keys that name prototype machinery", () => {
    it('refuses a "__proto__" member (from JSON.parse) quickly, naming the key', () => {
      const triggers = JSON.parse('{"sql":"abc","nested":{"__proto__":{"polluted":true}}}') as unknown;
      const reason = refusedQuickly(triggers);
      expect(reason).to.match(/^triggers\.nested has a key named "__proto__"/);
      expect(({} as Record<string, unknown>)["polluted"]).to.equal(undefined);
    });

    it('refuses an object whose prototype a "__proto__" member set on the way to the provider', () => {
      const triggers = { sql: "abc", nested: Object.create({ polluted: true }) as object };
      expect(refusedQuickly(triggers)).to.match(/^triggers\.nested has a key named "__proto__"/);
    });

    it('keeps "constructor" and "prototype" as plain data, compared like any key', () => {
      const triggers = JSON.parse('{"constructor":{"name":"x"},"prototype":[1],"toString":"s"}') as unknown;
      expect(triggersProblem(triggers)).to.equal(undefined);
      expect(canonicalTriggers(triggers)).to.equal(
        '{"constructor":{"name":"x"},"prototype":[1],"toString":"s"}',
      );
      expect(triggersEqual(triggers, { toString: "s", prototype: [1], constructor: { name: "x" } })).to.equal(
        true,
      );
      expect(triggersEqual(triggers, { toString: "s", prototype: [2], constructor: { name: "x" } })).to.equal(
        false,
      );
    });
  });
});
