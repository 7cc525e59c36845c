/**
 * Lossless JSON. The API's example job carries `"snapshot_id": 1724919539450264600`, an integer beyond
 * Number.MAX_SAFE_INTEGER that JSON.parse silently rounds; the package keeps API data exactly, so it needs
 * either the raw text of a value (`rawJsonMember`) or a parser that keeps such integers as bigint
 * (`parseLossless` / `stringifyLossless`).
 */

/**
 * A JSON value where integers that are not safe integers are kept as `bigint`. Object members may be
 * `undefined` so that typed objects with optional fields fit; `stringifyLossless` skips them as JSON.stringify
 * does, and `parseLossless` never produces them.
 */
export type LosslessValue = string | number | bigint | boolean | null | LosslessValue[] | LosslessObject;
export interface LosslessObject {
  [key: string]: LosslessValue | undefined;
}

/** Deeper nesting is refused rather than left to overflow the call stack on hostile input. */
const MAX_DEPTH = 1_000;

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/** Where a member's value starts and ends in the source text, reported while the parser walks it. */
type MemberSpy = (key: string, start: number, end: number) => void;

class LosslessParser {
  private position = 0;

  constructor(
    private readonly text: string,
    private readonly topLevelMemberSpy?: MemberSpy,
  ) {}

  parseDocument(): LosslessValue {
    this.skipWhitespace();
    const value = this.parseValue(0);
    this.skipWhitespace();
    if (this.position < this.text.length) {
      this.fail("Unexpected non-whitespace character after JSON");
    }
    return value;
  }

  private parseValue(depth: number): LosslessValue {
    if (depth > MAX_DEPTH) {
      this.fail(`JSON nested deeper than ${MAX_DEPTH} levels`);
    }
    const char = this.text[this.position];
    switch (char) {
      case "{":
        return this.parseObject(depth);
      case "[":
        return this.parseArray(depth);
      case '"':
        return this.parseString();
      case "t":
        return this.parseLiteral("true", true);
      case "f":
        return this.parseLiteral("false", false);
      case "n":
        return this.parseLiteral("null", null);
      default:
        if (char === "-" || (char !== undefined && char >= "0" && char <= "9")) {
          return this.parseNumber();
        }
        return this.unexpected();
    }
  }

  private parseObject(depth: number): LosslessObject {
    const object: LosslessObject = {};
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === "}") {
      this.position++;
      return object;
    }
    for (;;) {
      if (this.text[this.position] !== '"') {
        this.unexpected("a string member name");
      }
      const key = this.parseString();
      this.skipWhitespace();
      this.expect(":");
      this.skipWhitespace();
      const start = this.position;
      const value = this.parseValue(depth + 1);
      if (depth === 0) {
        this.topLevelMemberSpy?.(key, start, this.position);
      }
      // A plain assignment of "__proto__" would replace the prototype instead of adding a member.
      Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
      this.skipWhitespace();
      if (this.text[this.position] === ",") {
        this.position++;
        this.skipWhitespace();
        continue;
      }
      this.expect("}");
      return object;
    }
  }

  private parseArray(depth: number): LosslessValue[] {
    const array: LosslessValue[] = [];
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === "]") {
      this.position++;
      return array;
    }
    for (;;) {
      array.push(this.parseValue(depth + 1));
      this.skipWhitespace();
      if (this.text[this.position] === ",") {
        this.position++;
        this.skipWhitespace();
        continue;
      }
      this.expect("]");
      return array;
    }
  }

  private parseString(): string {
    const text = this.text;
    let position = this.position + 1;
    let result = "";
    let chunkStart = position;
    while (position < text.length) {
      const code = text.charCodeAt(position);
      if (code === 0x22 /* " */) {
        this.position = position + 1;
        return result + text.slice(chunkStart, position);
      }
      if (code === 0x5c /* \ */) {
        result += text.slice(chunkStart, position);
        const escape = text[position + 1];
        if (escape === "u") {
          const hex = text.slice(position + 2, position + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.position = position;
            this.fail("Bad Unicode escape in JSON string");
          }
          result += String.fromCharCode(parseInt(hex, 16));
          position += 6;
        } else {
          const unescaped = escape === undefined ? undefined : ESCAPES[escape];
          if (unescaped === undefined) {
            this.position = position;
            this.fail("Bad escaped character in JSON string");
          }
          result += unescaped;
          position += 2;
        }
        chunkStart = position;
        continue;
      }
      if (code < 0x20) {
        this.position = position;
        this.fail("Bad control character in JSON string");
      }
      position++;
    }
    this.position = text.length;
    return this.fail("Unterminated string in JSON");
  }

  private parseNumber(): number | bigint {
    NUMBER.lastIndex = this.position;
    const match = NUMBER.exec(this.text);
    if (match === null) {
      return this.unexpected();
    }
    const digits = match[0];
    this.position += digits.length;
    const value = Number(digits);
    const isInteger = match[1] === undefined && match[2] === undefined;
    return isInteger && !Number.isSafeInteger(value) ? BigInt(digits) : value;
  }

  private parseLiteral<T extends boolean | null>(word: string, value: T): T {
    if (this.text.startsWith(word, this.position)) {
      this.position += word.length;
      return value;
    }
    return this.unexpected();
  }

  private expect(char: string): void {
    if (this.text[this.position] !== char) {
      this.unexpected(`'${char}'`);
    }
    this.position++;
  }

  private skipWhitespace(): void {
    const text = this.text;
    let position = this.position;
    for (;;) {
      const char = text[position];
      if (char !== " " && char !== "\n" && char !== "\r" && char !== "\t") {
        break;
      }
      position++;
    }
    this.position = position;
  }

  private unexpected(wanted?: string): never {
    const char = this.text[this.position];
    if (char === undefined) {
      return this.fail("Unexpected end of JSON input");
    }
    const found = `Unexpected token ${JSON.stringify(char)}`;
    return this.fail(wanted === undefined ? found : `${found}, expected ${wanted}`);
  }

  private fail(message: string): never {
    const before = this.text.slice(0, this.position);
    const line = before.split("\n").length;
    const column = this.position - before.lastIndexOf("\n");
    throw new SyntaxError(`${message} at position ${this.position} (line ${line} column ${column})`);
  }
}

/**
 * Parses JSON text, keeping every integer that is not a safe integer as a `bigint` so that it survives digit
 * for digit; all other numbers become JS numbers. Throws a SyntaxError that names the position on invalid
 * JSON.
 */
export function parseLossless(text: string): LosslessValue {
  return new LosslessParser(text).parseDocument();
}

/**
 * Writes a value as compact JSON, like JSON.stringify, except that a `bigint` is written as its digits.
 * Members whose value is `undefined` are skipped (and become `null` in arrays), as JSON.stringify does.
 */
export function stringifyLossless(value: LosslessValue): string {
  return write(value, new Set());
}

function write(value: LosslessValue | undefined, ancestors: Set<object>): string {
  switch (typeof value) {
    case "bigint":
      return value.toString();
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null";
    case "undefined":
      return "null";
  }
  if (value === null) {
    return "null";
  }
  if (ancestors.has(value)) {
    throw new TypeError("Converting circular structure to JSON");
  }
  ancestors.add(value);
  let text: string;
  if (Array.isArray(value)) {
    text = `[${value.map((item) => write(item, ancestors)).join(",")}]`;
  } else {
    const members: string[] = [];
    for (const [key, member] of Object.entries(value)) {
      if (member !== undefined) {
        members.push(`${JSON.stringify(key)}:${write(member, ancestors)}`);
      }
    }
    text = `{${members.join(",")}}`;
  }
  ancestors.delete(value);
  return text;
}

/**
 * Returns the exact source text of the value of the top-level member `key` of the JSON object in `text`: a
 * slice of the input, whitespace inside the value kept. Returns undefined when `text` is not valid JSON, is not
 * an object, or has no such member. With a repeated key the last one wins, as in JSON.parse.
 */
export function rawJsonMember(text: string, key: string): string | undefined {
  let found: { start: number; end: number } | undefined;
  const parser = new LosslessParser(text, (memberKey, start, end) => {
    if (memberKey === key) {
      found = { start, end };
    }
  });
  let document: LosslessValue;
  try {
    document = parser.parseDocument();
  } catch {
    return undefined;
  }
  if (document === null || typeof document !== "object" || Array.isArray(document) || found === undefined) {
    return undefined;
  }
  return text.slice(found.start, found.end);
}
