/**
 * Property values between the engine's protocol and plain data: Structs, and the engine's secret envelopes.
 */
import { struct, type Struct } from "./proto";

/** The key the engine marks a secret value with, and the signature it carries (Pulumi's wire format). */
const SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** A protocol Struct as plain data (an absent Struct is an empty object). */
export function fromStruct(value: Struct | undefined): Record<string, unknown> {
  return (value?.toJavaScript() ?? {}) as Record<string, unknown>;
}

/**
 * Plain data as a protocol Struct. An `undefined` member would fail the whole call ("Unexpected struct type",
 * pulumi/pulumi#6860), so members without a value are left out, at every depth.
 */
export function toStruct(value: Record<string, unknown>): Struct {
  return struct.Struct.fromJavaScript(withoutUndefined(value) as Record<string, never>);
}

function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => (item === undefined ? null : withoutUndefined(item)));
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, member]) => member !== undefined)
        .map(([key, member]) => [key, withoutUndefined(member)]),
    );
  }
  return value;
}

/** Whether a value is the engine's secret envelope. */
export function isSecret(value: unknown): value is { value: unknown } {
  return (
    value !== null &&
    typeof value === "object" &&
    (value as Record<string, unknown>)[SPECIAL_SIG_KEY] === SECRET_SIG
  );
}

/** A value marked secret, so that the engine encrypts it in the state and masks it in its output. */
export function secret(value: unknown): Record<string, unknown> {
  return { [SPECIAL_SIG_KEY]: SECRET_SIG, value };
}

/** The value inside a secret envelope, at any depth (Configure's arguments keep their envelopes). */
export function revealed(value: unknown): unknown {
  if (isSecret(value)) {
    return revealed(value.value);
  }
  if (Array.isArray(value)) {
    return value.map(revealed);
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, revealed(member)]));
  }
  return value;
}
