/**
 * Helpers for the end-to-end cases that the harness (scripts/pulumi-harness.ts) leaves out because only tests
 * need them: reading stored figures, waiting on what a running command causes, and sequencing cases.
 */
import { outputsFromState, type StoredOutputs } from "../../provider/decisions";
import type { StateResource } from "../../scripts/pulumi-harness";

/** A JobRerun's outputs as the state stores them, read as flat figures (status merged in, job parsed). */
export function storedFigures(resource: StateResource | undefined): Record<string, unknown> {
  return outputsFromState((resource?.outputs ?? {}) as Partial<StoredOutputs>) as Record<string, unknown>;
}

/**
 * For a describe whose cases build on each other: once one fails, the rest are skipped, since they would only
 * report the same failure again. Call it inside the describe.
 */
export function skipTheRestAfterAFailure(): void {
  let failed = false;
  beforeEach(function () {
    if (failed) {
      this.skip();
    }
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      failed = true;
    }
  });
}

/**
 * Resolves with `probe()`'s first value other than undefined, checking every `intervalMs`; rejects after
 * `timeoutMs` naming `what`. For waiting on something a running command causes, such as a request reaching
 * the simulator, while the event loop stays free to serve it.
 */
export async function pollUntil<T>(
  probe: () => T | undefined,
  options: { what: string; timeoutMs?: number; intervalMs?: number },
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() >= deadline) {
      throw new Error(`gave up after ${timeoutMs} ms waiting for ${options.what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
