/** Assertions that a call fails, returning the error so that a test can go on to assert on it. */
import { expect } from "chai";

/** An error class to expect: `Error` itself, or one of the package's (`NarrativeConfigError`, `CliUsageError`). */
type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/**
 * The error `promise` rejects with. The test fails when the promise resolves, or when it rejects with anything
 * but an instance of `kind` (any Error when not given); `what` names the call in that failure.
 */
export async function rejection<E extends Error = Error>(
  promise: Promise<unknown>,
  kind?: ErrorClass<E>,
  what = "the call",
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(kind ?? Error);
    return error as E;
  }
  return expect.fail(`expected ${what} to reject`);
}

/**
 * The error `action` throws. The test fails when it returns, or when it throws anything but an instance of
 * `kind` (any Error when not given); `what` names the call in that failure.
 */
export function thrownBy<E extends Error = Error>(
  action: () => unknown,
  kind?: ErrorClass<E>,
  what = "the call",
): E {
  try {
    action();
  } catch (error) {
    expect(error).to.be.instanceOf(kind ?? Error);
    return error as E;
  }
  return expect.fail(`expected ${what} to throw`);
}
