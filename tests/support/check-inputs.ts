/** What check says of a JobRerun's inputs, for the unit tests of its rules. */
import { expect } from "chai";
import { checkInputs } from "../../provider/jobrerun/decisions";
import type { CheckFailure } from "../../provider/jobrerun/inputs";

export function failuresOf(news: Record<string, unknown>): CheckFailure[] {
  return checkInputs(news).failures;
}

/** Asserts that `news` fails check on exactly one property, and returns that failure's reason. */
export function onlyFailure(news: Record<string, unknown>, property: string): string {
  const failures = failuresOf(news);
  expect(failures, JSON.stringify(failures)).to.have.length(1);
  const [failure] = failures;
  expect(failure?.property).to.equal(property);
  return failure?.reason ?? "";
}
