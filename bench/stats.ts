/** Median, min and max of repeated measurements, and the ratio of two sides measured in the same runs. */

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Every measurement, in the order taken. */
  samples: number[];
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) {
    throw new RangeError("summarize: no samples");
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0, samples: [...samples] };
}

/** Run by run: `a[i] / b[i]`, so that each ratio compares two measurements taken back to back. */
export function pairedRatios(a: readonly number[], b: readonly number[]): Summary {
  if (a.length !== b.length) {
    throw new RangeError(`pairedRatios: ${a.length} measurements against ${b.length}`);
  }
  return summarize(a.map((value, index) => value / (b[index] ?? Number.NaN)));
}

/** `1.23 (1.10–1.40)`: the median, then min–max; `digits` decimals, or a formatter of its own. */
export function formatSummary(
  summary: Summary,
  digits: number | ((value: number) => string),
  unit = "",
): string {
  const format = (value: number): string =>
    typeof digits === "function" ? digits(value) : `${value.toFixed(digits)}${unit}`;
  return summary.min === summary.max
    ? format(summary.median)
    : `${format(summary.median)} (${format(summary.min)}–${format(summary.max)})`;
}
