import type { SimulatorClock } from "./jobs";
import type { RecordedRequest } from "./types";

/** A request being served, not yet answered. */
export type PendingRequest = Omit<RecordedRequest, "status" | "time">;

/** Every API request answered or dropped, in that order, each also told to the `log` option as one line. */
export class RequestLog {
  private entries: RecordedRequest[] = [];

  constructor(
    private readonly clock: SimulatorClock,
    private readonly log: ((line: string) => void) | undefined,
  ) {}

  /** Copies, so that a caller cannot change what was recorded. */
  copies(): RecordedRequest[] {
    return this.entries.map((request) => ({ ...request, query: { ...request.query } }));
  }

  /** Records the answer's status (and a reschedule's outcome); `url` gives the log line its query string. */
  recordAnswer(
    url: URL,
    pending: PendingRequest,
    answer: { status: number; outcome?: RecordedRequest["outcome"] },
  ): void {
    const record: RecordedRequest = { ...pending, time: this.clock.isoNow(), status: answer.status };
    if (answer.outcome !== undefined) {
      record.outcome = answer.outcome;
    }
    this.record(record, url);
  }

  recordDrop(pending: PendingRequest): void {
    this.record({ ...pending, time: this.clock.isoNow(), status: "dropped" }, undefined);
  }

  clear(): void {
    this.entries = [];
  }

  private record(record: RecordedRequest, url: URL | undefined): void {
    this.entries.push(record);
    if (this.log !== undefined) {
      const target = url === undefined ? record.path : `${url.pathname}${url.search}`;
      const parts = [record.method, target, String(record.status)];
      if (record.outcome !== undefined) {
        parts.push(record.outcome);
      }
      if (record.fault !== undefined) {
        parts.push(`[fault: ${record.fault}]`);
      }
      this.log(parts.join(" "));
    }
  }
}
