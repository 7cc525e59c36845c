/** Values as unit tests name and hold them. */

/** A value as a test's title shows it: JSON where JSON can say it, else as JavaScript prints it. */
export function show(value: unknown): string {
  if (typeof value === "bigint") {
    return `${value}n`;
  }
  if (typeof value === "function" || typeof value === "symbol") {
    return String(value);
  }
  return JSON.stringify(value) ?? String(value);
}

/** `value` frozen at every depth, so that a function that modifies what it is given throws. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) {
      deepFreeze(member);
    }
  }
  return value;
}
