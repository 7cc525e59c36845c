/**
 * JSON as the API sends it, kept exactly. The API's example job carries `"snapshot_id": 1724919539450264600`,
 * an integer beyond Number.MAX_SAFE_INTEGER that JSON.parse silently rounds, so every reading of an answer that
 * is stored or shown goes through lossless-json, which keeps each number's digits.
 */
import {
  isInteger,
  isSafeNumber,
  parse,
  parseLosslessNumber,
  stringify,
  type ParseOptions,
} from "lossless-json";

/**
 * A JSON value where integers that are not safe integers are kept as `bigint` (the simulator's data). Object
 * members may be `undefined` so that typed objects with optional fields fit; `stringifyLossless` skips them.
 */
export type LosslessValue = string | number | bigint | boolean | null | LosslessValue[] | LosslessObject;
export interface LosslessObject {
  [key: string]: LosslessValue | undefined;
}

/** Deeper nesting is refused with a SyntaxError: hostile input must not overflow the call stack. */
const MAX_JSON_DEPTH = 1_000;

/** JSON.parse lets the last of repeated members win; lossless-json refuses them unless told the same. */
const lastMemberWins: NonNullable<ParseOptions["onDuplicateKey"]> = ({ newValue }) => newValue;

function parseWith(text: string, parseNumber: (digits: string) => unknown): unknown {
  if (nestingDepth(text) > MAX_JSON_DEPTH) {
    throw new SyntaxError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  return parse(text, null, { parseNumber, onDuplicateKey: lastMemberWins });
}

/**
 * The deepest nesting of brackets outside strings. lossless-json recurses per level, so this linear scan
 * decides before it does; invalid JSON is left for the parser to report.
 */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c) {
        index++;
      } else if (char === 0x22) {
        inString = false;
      }
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x5b || char === 0x7b) {
      deepest = Math.max(deepest, ++depth);
    } else if (char === 0x5d || char === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

/**
 * Parses a body from the network, or undefined when it is not JSON: an answer may be anything. JSON.parse is
 * enough here, and several times faster than a lossless parse on every answer: what is kept or shown exactly
 * comes from the text itself (`rawJsonMember`, `parseExact`).
 */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Invalid JSON, or nesting deep enough to exhaust the stack (RangeError): not an answer either way.
    return undefined;
  }
}

/**
 * Parses JSON keeping every integer that is not a safe integer as a `bigint`, so that it survives digit for
 * digit; all other numbers become JS numbers. Throws a SyntaxError on invalid JSON.
 */
export function parseLossless(text: string): LosslessValue {
  return parseWith(text, (digits) =>
    !isSafeNumber(digits) && isInteger(digits) ? BigInt(digits) : Number(digits),
  ) as LosslessValue;
}

/** Compact JSON like JSON.stringify, except that a `bigint` is written as its digits. */
export function stringifyLossless(value: LosslessValue): string {
  return stringify(value) ?? "null";
}

/**
 * The number as the typed `job` output shows it: a number when a double holds it exactly; an integer beyond
 * ±(2^53−1), or one too large for a double, as its exact decimal string (the usual JSON mapping of 64-bit
 * integers); a long fraction as the nearest double, as JSON.parse gives it.
 */
function exactNumber(digits: string): number | string {
  if (isSafeNumber(digits)) {
    return Number(digits);
  }
  const value = Number(digits);
  return isInteger(digits) || !Number.isFinite(value) ? digits : value;
}

/**
 * Parses the exact text of an API value into plain JSON data without losing an integer: see `exactNumber`.
 * Throws a SyntaxError on invalid JSON.
 */
export function parseExact(text: string): unknown {
  return parseWith(text, exactNumber);
}

/**
 * The text of the top-level member `key` of the JSON object in `text`, every number written with the digits it
 * arrived with, or undefined when `text` is not a JSON object with that member.
 */
export function rawJsonMember(text: string, key: string): string | undefined {
  return rawJsonAt(text, [key]);
}

/**
 * The text of the value at `path` (member names and array indexes) inside the JSON in `text`, every number
 * written with the digits it arrived with, or undefined when there is no such value.
 */
export function rawJsonAt(text: string, path: readonly (string | number)[]): string | undefined {
  let value: unknown;
  try {
    // Each number stays its own source text (lossless-json's default), so writing it back changes no digit.
    value = parseWith(text, parseLosslessNumber);
  } catch {
    return undefined;
  }
  for (const step of path) {
    const container = typeof step === "number" ? Array.isArray(value) : isPlainObject(value);
    if (!container || !Object.prototype.hasOwnProperty.call(value, step)) {
      return undefined;
    }
    value = (value as Record<string | number, unknown>)[step];
  }
  return stringify(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
