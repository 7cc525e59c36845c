/**
 * Durations as settings give them and as messages show them, and the one abortable wait. Nothing here depends on
 * another module of the package.
 */
import { setTimeout as delay } from "node:timers/promises";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Reads a duration given as a number of seconds (`30`, `"30"`) or with a unit (`"500ms"`, `"30s"`, `"2m"`,
 * `"1h30m"`). Returns milliseconds, or undefined when the value is not a duration, so that the caller can
 * name the setting in its own error.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? value * 1_000 : undefined;
  }
  if (typeof value !== "string") {
    return undefined;
  }
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    return Number(text) * 1_000;
  }
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
    return undefined;
  }
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * (UNIT_MS[unit ?? "s"] ?? 0), 0);
}

/** `250000` → `"4m10s"`: how progress lines and messages show a duration to a person. */
export function formatDuration(ms: number): string {
  // Compared after rounding, so that 999.6 ms shows as "1s" rather than "1000ms".
  if (Math.round(ms) < 1_000) {
    return `${Math.round(ms)}ms`;
  }
  const totalSeconds = Math.round(ms / 1_000);
  const hours = Math.floor(totalSeconds / 3_600);
  const minutes = Math.floor((totalSeconds % 3_600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) {
    return `${hours}h${minutes}m`;
  }
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/**
 * `1500` → `"1.5s"`, `250` → `"250ms"`: how the client's messages show a timeout, a wait or a budget, to the
 * tenth of a second because those are often short (an attempt timeout of 500 ms, a Retry-After of 1.5 s).
 */
export function formatMs(ms: number): string {
  if (ms < 1_000) {
    return `${Math.round(ms)}ms`;
  }
  const seconds = ms / 1_000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)}s`;
}

/**
 * Waits `ms`, or less when `signal` aborts: it resolves either way, never rejects, so that a cancelled deployment
 * stops waiting and the caller decides what a cancellation means.
 */
export async function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await delay(ms, undefined, signal === undefined ? undefined : { signal });
  } catch (error) {
    if (!(signal?.aborted ?? false)) {
      throw error;
    }
  }
}
