import { expect } from "chai";
import {
  parseLossless,
  rawJsonMember,
  stringifyLossless,
  type LosslessValue,
} from "../../provider/common/json";

/** The reschedule page's example response, as printed there. */
const RESCHEDULE_PAGE_RESPONSE = String.raw`{
  "job": {
    "job_id": "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c",
    "data_plane_id": "f79cbdae-4848-47ca-95e8-69588364d185",
    "request_source": {
      "type": "api_user",
      "company_id": 1,
      "user_id": 407
    },
    "state": "completed",
    "type": "materialize-view",
    "input": {
      "nql": "CREATE MATERIALIZED VIEW \"test_stats\" AS SELECT \"value\" FROM \"company_data\".\"10674\"",
      "dataset_id": 10736,
      "stats_enabled": true,
      "compiled_select": "SELECT\n  \u0060ds_10674\u0060.\u0060value\u0060\nFROM\n  narrative.datasets.ds_10674 \u0060ds_10674\u0060"
    },
    "executor": "job-executor-98e1f48e-bf54-4f11-bbd1-73c445120266",
    "idempotency_key": "10736:29329c64e7b8a4eda86aaabe04872b832ab456b5543d0c259c812525391f158c:669a5f8e4f373c2f907700decde47511aac6470f5698e2b856fb07f09160e5f2",
    "result": {
      "dataset_id": 10736,
      "snapshot_id": 1724919539450264600,
      "recalculation_id": "abf9a2ec-426b-4751-bd16-fcb435061925"
    },
    "created_at": "2023-10-31T11:19:13.400498",
    "updated_at": "2023-10-31T11:25:08.327209",
    "ended_at": "2023-10-31T11:25:08.327194"
  }
}`;

/** The same job written compactly, as stringifyLossless must give it back. */
const EXAMPLE_JOB_COMPACT =
  '{"job_id":"2a5b9ad7-dc8f-47bb-8e62-843a38f8054c","data_plane_id":"f79cbdae-4848-47ca-95e8-69588364d185",' +
  '"request_source":{"type":"api_user","company_id":1,"user_id":407},"state":"completed","type":"materialize-view",' +
  '"input":{"nql":"CREATE MATERIALIZED VIEW \\"test_stats\\" AS SELECT \\"value\\" FROM \\"company_data\\".\\"10674\\"",' +
  '"dataset_id":10736,"stats_enabled":true,' +
  '"compiled_select":"SELECT\\n  `ds_10674`.`value`\\nFROM\\n  narrative.datasets.ds_10674 `ds_10674`"},' +
  '"executor":"job-executor-98e1f48e-bf54-4f11-bbd1-73c445120266",' +
  '"idempotency_key":"10736:29329c64e7b8a4eda86aaabe04872b832ab456b5543d0c259c812525391f158c:669a5f8e4f373c2f907700decde47511aac6470f5698e2b856fb07f09160e5f2",' +
  '"result":{"dataset_id":10736,"snapshot_id":1724919539450264600,"recalculation_id":"abf9a2ec-426b-4751-bd16-fcb435061925"},' +
  '"created_at":"2023-10-31T11:19:13.400498","updated_at":"2023-10-31T11:25:08.327209","ended_at":"2023-10-31T11:25:08.327194"}';

function member(value: LosslessValue, ...path: string[]): LosslessValue | undefined {
  let current: LosslessValue | undefined = value;
  for (const key of path) {
    if (current === null || typeof current !== "object" || Array.isArray(current)) {
      return undefined;
    }
    current = current[key];
  }
  return current;
}

describe("lossless JSON", () => {
  describe("parseLossless", () => {
    it("keeps an integer beyond Number.MAX_SAFE_INTEGER as a bigint, digit for digit", () => {
      const text = '{"snapshot_id":1724919539450264583}';
      const parsed = parseLossless(text);
      expect(member(parsed, "snapshot_id")).to.equal(1724919539450264583n);
      expect(stringifyLossless(parsed)).to.equal(text);
      // What this module exists for: JSON.parse alters the same value.
      expect(JSON.stringify(JSON.parse(text))).to.not.equal(text);
    });

    it("keeps safe integers, fractions and exponents as numbers", () => {
      expect(parseLossless("9007199254740991")).to.equal(Number.MAX_SAFE_INTEGER);
      expect(parseLossless("9007199254740992")).to.equal(9007199254740992n);
      expect(parseLossless("-9007199254740993")).to.equal(-9007199254740993n);
      expect(parseLossless("-9007199254740991")).to.equal(-9007199254740991);
      expect(parseLossless("12.5")).to.equal(12.5);
      expect(parseLossless("1e21")).to.equal(1e21);
      expect(parseLossless("1724919539450264600.0")).to.be.a("number");
      expect(Object.is(parseLossless("-0"), -0)).to.equal(true);
    });

    it("reads every kind of value like JSON.parse when no integer is too big", () => {
      const documents = [
        "null",
        "true",
        "false",
        '""',
        '" spaced "',
        '"escapes \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00"',
        '"unicode é 😀 ✓"',
        "[]",
        "{}",
        ' [1, -2, 3.25e-3, "x", null, true, {"a": [[], {}]}] ',
        '{"nested":{"deeper":{"list":[{"k":"v"}]}},"empty":"","n":-0.5}',
        '\n\t{ "ws" :\r\n 1 }\n',
      ];
      for (const text of documents) {
        expect(parseLossless(text), text).to.deep.equal(JSON.parse(text));
      }
    });

    it("keeps a member named __proto__ as data", () => {
      const parsed = parseLossless('{"__proto__":{"polluted":true},"a":1}');
      expect(Object.keys(parsed as object)).to.deep.equal(["__proto__", "a"]);
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      expect(stringifyLossless(parsed)).to.equal('{"__proto__":{"polluted":true},"a":1}');
    });

    it("lets the last of repeated members win, as JSON.parse does", () => {
      expect(parseLossless('{"a":1,"a":2}')).to.deep.equal({ a: 2 });
    });

    it("rejects invalid JSON with a SyntaxError", () => {
      const cases = [
        '{"a":1,}',
        "",
        '{"a":1} x',
        '{"a":"unterminated',
        '"bad \\x escape"',
        '"bad \\u12G4"',
        '"tab\tinside"',
        "01",
        "-",
        "tru",
        "{'a':1}",
        "[1 2]",
        '{"a" 1}',
        "NaN",
        '{\n  "a": ?\n}',
      ];
      for (const text of cases) {
        expect(() => parseLossless(text), JSON.stringify(text)).to.throw(SyntaxError);
      }
    });

    it("refuses absurd nesting instead of overflowing the stack", () => {
      expect(() => parseLossless("[".repeat(5_000) + "]".repeat(5_000))).to.throw(
        SyntaxError,
        /nested deeper/,
      );
      expect(parseLossless("[".repeat(500) + "]".repeat(500))).to.be.an("array");
    });
  });

  describe("stringifyLossless", () => {
    it("round-trips the seed page's job exactly, snapshot_id included", () => {
      const response = parseLossless(RESCHEDULE_PAGE_RESPONSE);
      const job = member(response, "job");
      expect(member(response, "job", "result", "snapshot_id")).to.equal(1724919539450264600n);
      expect(stringifyLossless(job as LosslessValue)).to.equal(EXAMPLE_JOB_COMPACT);
      expect(stringifyLossless(parseLossless(EXAMPLE_JOB_COMPACT))).to.equal(EXAMPLE_JOB_COMPACT);
    });

    it("writes like JSON.stringify (compact) for values without bigint", () => {
      const values: LosslessValue[] = [
        null,
        true,
        0,
        -1.5,
        1e21,
        'quote " backslash \\ newline \n control \u0001 unicode é \u2028',
        [1, "two", [null], {}],
        { b: 1, a: { nested: [true, false] }, "": "empty key" },
      ];
      for (const value of values) {
        expect(stringifyLossless(value)).to.equal(JSON.stringify(value));
      }
    });

    it("writes bigint as its digits, negative ones included", () => {
      expect(
        stringifyLossless({ big: 1724919539450264583n, neg: -12345678901234567890n, list: [2n ** 70n] }),
      ).to.equal('{"big":1724919539450264583,"neg":-12345678901234567890,"list":[1180591620717411303424]}');
    });

    it("skips undefined members and writes null for undefined items and non-finite numbers, as JSON.stringify", () => {
      const value = { kept: 1, dropped: undefined, list: [undefined, Number.NaN, Number.POSITIVE_INFINITY] };
      expect(stringifyLossless(value as unknown as LosslessValue)).to.equal(JSON.stringify(value));
    });
  });

  describe("rawJsonMember", () => {
    it("returns the job of a reschedule response with every value as sent, snapshot_id digit for digit", () => {
      const job = rawJsonMember(RESCHEDULE_PAGE_RESPONSE, "job");
      expect(job).to.equal(EXAMPLE_JOB_COMPACT);
      expect(job).to.contain('"snapshot_id":1724919539450264600');

      const response = `{"outcome":"rescheduled","job":${job as string}}`;
      expect(rawJsonMember(response, "job")).to.equal(job);
      expect(rawJsonMember(response, "outcome")).to.equal('"rescheduled"');
    });

    it("writes every number with the digits it arrived with, whitespace dropped", () => {
      const text = '{ "a" : { "x" :\n [ 1 ,2.50, 1e400, 1724919539450264577 ] } , "b":2}';
      expect(rawJsonMember(text, "a")).to.equal('{"x":[1,2.50,1e400,1724919539450264577]}');
      expect(rawJsonMember(text, "b")).to.equal("2");
    });

    it("is not fooled by brackets, quotes and escapes inside strings", () => {
      const text = String.raw`{"note":"a } ] \" { [ \\","job":{"nql":"SELECT \"}\" FROM t","list":["]","}"]},"after":true}`;
      expect(rawJsonMember(text, "job")).to.equal(String.raw`{"nql":"SELECT \"}\" FROM t","list":["]","}"]}`);
      expect(rawJsonMember(text, "note")).to.equal(String.raw`"a } ] \" { [ \\"`);
      expect(rawJsonMember(text, "after")).to.equal("true");
    });

    it("looks only at top-level members, matching names after unescaping", () => {
      const text = '{"outer":{"job":1},"jo\\u0062":[2]}';
      expect(rawJsonMember(text, "job")).to.equal("[2]");
      expect(rawJsonMember('{"outer":{"job":1}}', "job")).to.equal(undefined);
    });

    it("returns the last of repeated members", () => {
      expect(rawJsonMember('{"job":1,"job":{"b":2}}', "job")).to.equal('{"b":2}');
    });

    it("returns undefined for a missing member, a non-object or invalid JSON", () => {
      expect(rawJsonMember('{"outcome":"skipped_terminal"}', "job")).to.equal(undefined);
      expect(rawJsonMember('[{"job":1}]', "job")).to.equal(undefined);
      expect(rawJsonMember('"job"', "job")).to.equal(undefined);
      expect(rawJsonMember('{"job":{"a":1}', "job")).to.equal(undefined);
      expect(rawJsonMember('{"job":1} trailing', "job")).to.equal(undefined);
      expect(rawJsonMember("<html>502 Bad Gateway</html>", "job")).to.equal(undefined);
      expect(rawJsonMember("", "job")).to.equal(undefined);
    });
  });
});
