/**
 * The rules for a `triggers` value: what counts as JSON data, how large and deep it may be, and when two values
 * are the same trigger. The program checks them before a value crosses to the engine (resource.ts) and the
 * provider checks them again in `check`, so both sides apply the same rule.
 */

/** What the engine sends in place of a value it does not know yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): boolean {
  return value === UNKNOWN;
}

/**
 * Deepest nesting of arrays and objects. @pulumi/pulumi serializes and deserializes inputs recursively, and a
 * value nested about a thousand deep overflows its stack after the reschedule has been sent, breaking every
 * later preview of the stack. Real triggers (a map of file hashes) are a few levels deep.
 */
export const MAX_TRIGGERS_DEPTH = 64;

/**
 * Largest canonical JSON text. The value is stored twice per resource (inputs and outputs) and rewritten with
 * the whole state after every step; a trigger is a fingerprint, so a large value is better passed as its hash.
 */
export const MAX_TRIGGERS_BYTES = 64 * 1024;

/**
 * A member name that @pulumi/pulumi's deserialization assigns as a property, which for `__proto__` sets the
 * object's prototype instead of keeping the data: the value the provider received would differ from the one the
 * program gave.
 */
const PROTOTYPE_SETTER = "__proto__";

/**
 * Why `value` is not acceptable as triggers, naming where inside it the problem is, or undefined when it is.
 * Values the engine does not know yet are accepted: they are checked again once known.
 */
export function triggersProblem(
  value: unknown,
  path = "triggers",
  isEventual?: (value: object) => boolean,
): string | undefined {
  const eventual = { found: false };
  const problem = shapeProblem(value, path, isEventual, eventual);
  if (problem !== undefined || eventual.found) {
    // A value with parts still to come (a Pulumi Output, a promise) is measured once they have come.
    return problem;
  }
  const bytes = Buffer.byteLength(canonicalJson(value));
  if (bytes > MAX_TRIGGERS_BYTES) {
    return (
      `${path} is ${formatBytes(bytes)} as JSON, more than the ${formatBytes(MAX_TRIGGERS_BYTES)} a JobRerun ` +
      `stores: pass a hash of large values instead (for example the SHA-256 of a file, not its content)`
    );
  }
  return undefined;
}

/** The first part of `value` that is not JSON data, or nested too deep; see `triggersProblem`. */
function shapeProblem(
  value: unknown,
  path: string,
  isEventual: ((value: object) => boolean) | undefined,
  eventual: { found: boolean },
): string | undefined {
  const ancestors = new Set<object>();
  const visit = (item: unknown, at: string, depth: number): string | undefined => {
    switch (typeof item) {
      case "string":
      case "boolean":
        return undefined;
      case "number":
        return Number.isFinite(item) ? undefined : `${at} is ${item}, which JSON cannot hold`;
      case "undefined":
        return `${at} is undefined: use null, or leave the key out`;
      case "function":
        return `${at} is a function: triggers must be JSON data (strings, numbers, booleans, null, arrays, objects)`;
      case "symbol":
        return `${at} is a symbol: triggers must be JSON data`;
      case "bigint":
        return `${at} is a bigint: pass it as a string`;
    }
    if (item === null) {
      return undefined;
    }
    const object = item as object;
    if (isEventual?.(object) === true) {
      eventual.found = true;
      return undefined;
    }
    if (ancestors.has(object)) {
      return `${at} refers back to itself (a cycle): triggers must be JSON data`;
    }
    if (depth > MAX_TRIGGERS_DEPTH) {
      return (
        `${path} is nested more than ${MAX_TRIGGERS_DEPTH} levels deep (at ${at}): flatten it, or pass a ` +
        `hash of the value instead`
      );
    }
    const notPlain = plainObjectProblem(object, at);
    if (notPlain !== undefined) {
      return notPlain;
    }
    ancestors.add(object);
    for (const [childPath, child] of members(object, at)) {
      const problem = visit(child, childPath, depth + 1);
      if (problem !== undefined) {
        return problem;
      }
    }
    ancestors.delete(object);
    return undefined;
  };
  return visit(value, path, 1);
}

function plainObjectProblem(object: object, at: string): string | undefined {
  if (Array.isArray(object)) {
    return undefined;
  }
  if (Object.prototype.hasOwnProperty.call(object, PROTOTYPE_SETTER)) {
    return (
      `${at} has a key named "__proto__", which Pulumi cannot pass to the provider as data: rename the key ` +
      `(keys such as "constructor" and "prototype" are fine)`
    );
  }
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype === Object.prototype || prototype === null) {
    return undefined;
  }
  const name = (object as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof name !== "string" || name === "Object") {
    // A plain object whose prototype is another plain object: what a "__proto__" member becomes after the
    // engine's deserialization assigned it.
    return `${at} has a key named "__proto__" (or an unusual prototype): rename the key`;
  }
  return `${at} is a ${name}: triggers must be plain JSON data (convert it, e.g. to a string)`;
}

/** The members of an array or object with their paths. Array.from visits the holes of a sparse array. */
function members(object: object, at: string): [string, unknown][] {
  return Array.isArray(object)
    ? Array.from(object, (element, index): [string, unknown] => [`${at}[${index}]`, element])
    : Object.keys(object).map((key): [string, unknown] => [
        `${at}.${key}`,
        (object as Record<string, unknown>)[key],
      ]);
}

/**
 * A stable text for a JSON value: object keys sorted (their order carries no meaning), array order kept (it
 * does). Built with data properties only, so a member named "__proto__" or "constructor" stays data.
 */
function canonicalJson(value: unknown): string {
  const normalize = (item: unknown): unknown => {
    if (Array.isArray(item)) {
      return item.map(normalize);
    }
    if (item !== null && typeof item === "object") {
      return Object.fromEntries(
        Object.keys(item)
          .sort()
          .map((key) => [key, normalize((item as Record<string, unknown>)[key])]),
      );
    }
    return item;
  };
  return JSON.stringify(normalize(value)) ?? "null";
}

/** `canonicalJson`, or undefined when any part of the value is still unknown. */
export function canonicalTriggers(value: unknown): string | undefined {
  return containsUnknown(value) ? undefined : canonicalJson(value);
}

function containsUnknown(value: unknown): boolean {
  if (isUnknown(value)) {
    return true;
  }
  if (value !== null && typeof value === "object") {
    return Object.values(value).some(containsUnknown);
  }
  return false;
}

/** True only when both trigger values are known and equal as JSON data. */
export function triggersEqual(olds: unknown, news: unknown): boolean {
  const before = canonicalTriggers(olds);
  return before !== undefined && before === canonicalTriggers(news);
}

function formatBytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
