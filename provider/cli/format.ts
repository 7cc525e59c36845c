/**
 * The human-readable views of `narrative-jobs`. They read the API's text losslessly, so a number beyond 2^53
 * (a result's snapshot_id) shows digit for digit here too.
 */
import type { RetryEvent } from "../api/client";
import { parseLossless, stringifyLossless, type LosslessObject, type LosslessValue } from "../common/json";

/** The job, one field a line, from its exact JSON text. Fields that are absent or null are left out. */
export function formatJob(jobJson: string): string {
  const job = asObject(parseLossless(jobJson));
  const input = asObject(job["input"]);
  const rows: [string, LosslessValue | undefined][] = [
    ["job", job["job_id"]],
    ["state", job["state"]],
    ["type", job["type"]],
    ["dataset", input["dataset_id"]],
    ["created", job["created_at"]],
    ["updated", job["updated_at"]],
    ["ended", job["ended_at"]],
    ["executor", job["executor"]],
    ["result", job["result"]],
  ];
  const failures = Array.isArray(job["failures"]) ? job["failures"] : [];
  for (const failure of failures) {
    const { timestamp, message } = asObject(failure);
    const text = [timestamp, message ?? stringifyLossless(failure)].filter((part) => part !== undefined);
    rows.push(["failure", text.map(shown).join(" ")]);
  }
  return rows
    .filter(([, value]) => value !== undefined && value !== null && value !== "")
    .map(([label, value]) => `${label.padEnd(9)} ${shown(value)}`)
    .join("\n");
}

/** A table of jobs, one a line, with a header. */
export function formatJobTable(jobs: readonly LosslessObject[]): string {
  const header = ["JOB ID", "STATE", "TYPE", "DATASET", "CREATED"];
  const rows = jobs.map((job) => [
    shown(job["job_id"]),
    shown(job["state"]),
    shown(job["type"]),
    shown(asObject(job["input"])["dataset_id"]),
    shown(job["created_at"]),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** `GET /jobs/…: attempt 1 failed (503 Service Unavailable); retrying in 0.5s` */
export function retryLine(event: RetryEvent): string {
  return `${event.call}: attempt ${event.attempt} failed (${event.reason}); retrying in ${(event.delayMs / 1_000).toFixed(1)}s`;
}

/** The records of a `GET /jobs` page, read losslessly from its text. */
export function pageRecords(pageJson: string): LosslessObject[] {
  const records = asObject(parseLossless(pageJson))["records"];
  return Array.isArray(records) ? records.map(asObject) : [];
}

export function asObject(value: LosslessValue | undefined): LosslessObject {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value : {};
}

function shown(value: LosslessValue | undefined): string {
  if (value === undefined || value === null) {
    return "";
  }
  return typeof value === "string" ? value : stringifyLossless(value);
}
