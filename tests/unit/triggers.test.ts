import { expect } from "chai";
import { checkInputs } from "../../provider/jobrerun/decisions";
import {
  MAX_TRIGGERS_BYTES,
  MAX_TRIGGERS_DEPTH,
  UNKNOWN,
  canonicalTriggers,
  triggersEqual,
  triggersProblem,
} from "../../provider/jobrerun/triggers";
import { failuresOf, onlyFailure } from "../support/check-inputs";
import { deepFreeze, show } from "../support/values";

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

describe("triggers as check takes them: JSON data, or not known yet", () => {
  it("is required", () => {
    expect(onlyFailure({ jobId: JOB_ID }, "triggers")).to.match(/^triggers is required/);
    expect(onlyFailure({ jobId: JOB_ID, triggers: undefined }, "triggers")).to.match(/^triggers is required/);
  });

  const jsonData: unknown[] = [
    null,
    "",
    "9c1185a5c5e9fc54612808977ee8f548b2258d31",
    0,
    -1.5,
    1e300,
    true,
    false,
    [],
    {},
    [1, "two", null, false, [3, [4]], { five: 5 }],
    { sql: "3f2a9c", schema: { version: 7, columns: ["a", "b"] }, files: { "a.sql": null } },
    { "": "empty key", "with space": 1, "dotted.key": [true] },
  ];
  for (const triggers of jsonData) {
    it(`accepts JSON data ${show(triggers)}`, () => {
      expect(failuresOf({ jobId: JOB_ID, triggers })).to.deep.equal([]);
      expect(checkInputs({ jobId: JOB_ID, triggers }).inputs["triggers"]).to.deep.equal(triggers);
    });
  }

  it("accepts an object without a prototype", () => {
    const triggers = Object.assign(Object.create(null) as Record<string, unknown>, { sql: "abc" });
    expect(failuresOf({ jobId: JOB_ID, triggers })).to.deep.equal([]);
  });

  it("accepts the same object twice (a shared value is not a cycle)", () => {
    const shared = { hash: "abc" };
    expect(failuresOf({ jobId: JOB_ID, triggers: { a: shared, b: [shared, shared] } })).to.deep.equal([]);
  });

  it("lets triggers that are not known yet pass, whole or in part", () => {
    expect(failuresOf({ jobId: JOB_ID, triggers: UNKNOWN })).to.deep.equal([]);
    expect(failuresOf({ jobId: JOB_ID, triggers: { sql: UNKNOWN, files: ["a", UNKNOWN] } })).to.deep.equal(
      [],
    );
  });

  class SqlFile {
    constructor(readonly path: string) {}
  }
  const cycle: Record<string, unknown> = { name: "loop" };
  cycle["self"] = cycle;
  const arrayCycle: unknown[] = ["a"];
  arrayCycle.push({ back: arrayCycle });
  const sparse: unknown[] = ["a"];
  sparse[2] = "c";

  const notJson: [string, unknown, string, RegExp][] = [
    ["a function", () => "sha", "triggers", /function.*JSON data/],
    ["a function inside an array", { files: ["a", "b", () => 1] }, "triggers.files[2]", /function/],
    [
      "a method inside an object",
      { sql: { hash: "x", toJSON: () => "x" } },
      "triggers.sql.toJSON",
      /function/,
    ],
    ["a symbol", Symbol("sha"), "triggers", /symbol/],
    ["a nested symbol", { tags: [Symbol.iterator] }, "triggers.tags[0]", /symbol/],
    [
      "undefined inside an object",
      { sql: "x", schema: { version: undefined } },
      "triggers.schema.version",
      /undefined.*null/,
    ],
    ["undefined inside an array", ["a", undefined], "triggers[1]", /undefined/],
    ["a hole in an array", sparse, "triggers[1]", /undefined/],
    ["NaN", Number.NaN, "triggers", /NaN.*JSON cannot hold/],
    ["Infinity inside an object", { ratio: Number.POSITIVE_INFINITY }, "triggers.ratio", /Infinity/],
    ["-Infinity inside an array", [1, Number.NEGATIVE_INFINITY], "triggers[1]", /-Infinity/],
    ["a bigint", 10n, "triggers", /bigint.*string/],
    ["a nested bigint", { snapshot: { id: 1724919539450264600n } }, "triggers.snapshot.id", /bigint/],
    ["an object that contains itself", cycle, "triggers.self", /cycle/],
    ["an array that contains itself", arrayCycle, "triggers[1].back", /cycle/],
    ["a Date", new Date(0), "triggers", /Date/],
    ["a nested Date", { at: new Date(0) }, "triggers.at", /Date/],
    ["a Map", new Map([["a", 1]]), "triggers", /Map/],
    ["a Set", { ids: new Set([1]) }, "triggers.ids", /Set/],
    ["a class instance", { file: new SqlFile("a.sql") }, "triggers.file", /SqlFile/],
    ["a boxed string", new String("abc"), "triggers", /String/],
    ["a RegExp", [/x/], "triggers[0]", /RegExp/],
    ["a Buffer", Buffer.from("abc"), "triggers", /Buffer/],
  ];
  for (const [what, triggers, path, rule] of notJson) {
    it(`refuses ${what}, naming ${path}`, () => {
      const reason = onlyFailure({ jobId: JOB_ID, triggers }, "triggers");
      expect(reason.startsWith(`${path} `), reason).to.equal(true);
      expect(reason).to.match(rule);
      expect(triggersProblem(triggers)).to.equal(reason);
    });
  }

  it("names the first problem it meets, in order", () => {
    const reason = onlyFailure({ jobId: JOB_ID, triggers: { a: [1, () => 2], b: Symbol("s") } }, "triggers");
    expect(reason).to.match(/^triggers\.a\[1\] is a function/);
  });

  it("names the path under the name it is given", () => {
    expect(triggersProblem({ x: () => 1 }, "args.triggers")).to.match(/^args\.triggers\.x is a function/);
    expect(triggersProblem({ x: 1 }, "args.triggers")).to.equal(undefined);
  });
});

describe("canonicalTriggers and triggersEqual", () => {
  it("ignores object key order, at every depth", () => {
    const before = {
      sql: "abc",
      schema: { version: 7, columns: [{ name: "a", type: "int" }] },
      release: "v1",
    };
    const after = {
      release: "v1",
      schema: { columns: [{ type: "int", name: "a" }], version: 7 },
      sql: "abc",
    };
    expect(triggersEqual(before, after)).to.equal(true);
    expect(canonicalTriggers(before)).to.equal(canonicalTriggers(after));
  });

  it("writes objects with sorted keys and keeps array order", () => {
    expect(canonicalTriggers({ b: 1, a: [3, 1, 2], c: { z: null, y: "x" } })).to.equal(
      '{"a":[3,1,2],"b":1,"c":{"y":"x","z":null}}',
    );
  });

  it("keeps array order significant, at every depth", () => {
    expect(triggersEqual([1, 2], [2, 1])).to.equal(false);
    expect(triggersEqual({ files: ["a.sql", "b.sql"] }, { files: ["b.sql", "a.sql"] })).to.equal(false);
    expect(triggersEqual([{ a: [1, 2] }], [{ a: [2, 1] }])).to.equal(false);
  });

  it("finds equal values equal", () => {
    for (const value of [
      null,
      "",
      "sha",
      0,
      1.5,
      true,
      false,
      [],
      {},
      [null, [{}]],
      { a: { b: { c: [1] } } },
    ]) {
      expect(triggersEqual(value, structuredClone(value)), JSON.stringify(value)).to.equal(true);
    }
  });

  const different: [unknown, unknown][] = [
    [1, "1"],
    [true, "true"],
    [null, "null"],
    [0, false],
    ["", null],
    [0, null],
    [[], {}],
    [[1], { 0: 1 }],
    [{ a: null }, {}],
    [{ a: null }, { a: undefined }],
    [[null], []],
    [{ a: 1 }, { a: 1, b: 2 }],
    [{ a: { b: 1 } }, { a: { b: "1" } }],
    ["abc", "ABC"],
    [1, 1.0001],
  ];
  for (const [a, b] of different) {
    it(`tells ${show(a)} from ${show(b)}`, () => {
      expect(triggersEqual(a, b)).to.equal(false);
      expect(triggersEqual(b, a)).to.equal(false);
    });
  }

  it("never finds a value that is not known yet equal to anything, wherever the unknown is", () => {
    for (const unknown of [UNKNOWN, { sql: UNKNOWN }, ["a", UNKNOWN], { a: [{ b: UNKNOWN }] }]) {
      expect(canonicalTriggers(unknown), JSON.stringify(unknown)).to.equal(undefined);
      expect(triggersEqual({ sql: "abc" }, unknown)).to.equal(false);
      expect(triggersEqual(unknown, { sql: "abc" })).to.equal(false);
      expect(triggersEqual(unknown, unknown)).to.equal(false);
    }
  });

  it("does not modify the values it compares", () => {
    const before = deepFreeze({ b: [2, 1], a: { d: 1, c: 2 } });
    const after = deepFreeze({ a: { c: 2, d: 1 }, b: [2, 1] });
    expect(triggersEqual(before, after)).to.equal(true);
    expect(Object.keys(before)).to.deep.equal(["b", "a"]);
  });
});
