/**
 * Faults the simulator can be told to inject, one per request, from a queue per route. They stand for what a
 * client meets in the field: error statuses (with or without Retry-After), slow answers, connections dropped
 * before or after the change was made, bodies cut short, a gateway's HTML page.
 */

/**
 * A route faults apply to: a template (`GET /jobs/{job_id}`) or one job (`GET /jobs/2a5b9ad7-...`). The query
 * string is not part of it.
 */
export type FaultRoute = "GET /jobs" | `GET /jobs/${string}` | `POST /jobs/${string}/reschedule`;

export interface Fault {
  /**
   * Answer with this status WITHOUT applying the request. Error bodies use the API's structured shape (the
   * older `{error, error_description}` one for 401) unless `html` or `body` is given.
   */
  status?: number;
  /** Answer with this body verbatim, without applying the request (status 200 unless `status` is given). */
  body?: string;
  /** Content-Type of `body`. Default: application/json when it looks like JSON, text/plain otherwise. */
  contentType?: string;
  /** Sent verbatim as the Retry-After header: seconds ("2") or an HTTP date. Combines with any fault. */
  retryAfter?: string;
  /** Wait this long (real time) before doing anything else. Combines with any fault. */
  latencyMs?: number;
  /** Destroy the connection without a response, before or after the reschedule is applied. */
  drop?: "before-apply" | "after-apply";
  /** Apply the request, then wait this long (real time) before answering. */
  slowAfterApplyMs?: number;
  /** Apply the request, then answer with its body cut in half (Content-Length matching the cut body). */
  truncate?: boolean;
  /** Answer with a gateway's HTML error page (status 502 unless `status` is given), without applying. */
  html?: boolean;
  /**
   * Apply the request, then answer with its JSON object grown to at least this many bytes by a `padding`
   * member of "x"s (Content-Length matching). Streamed, so a body of hundreds of megabytes costs the simulator
   * no memory: an answer far larger than any job, for a client that must stop reading at a cap.
   */
  bodyBytes?: number;
  /**
   * Apply the request, then answer 200 with a body that never ends: the JSON object's opening, then a
   * `padding` string sent until the client goes away (no Content-Length).
   */
  endless?: boolean;
}

export interface RouteMatch {
  /** "GET /jobs", "GET /jobs/{job_id}" or "POST /jobs/{job_id}/reschedule". */
  template: string;
  /** Lower-cased job id, for the job routes. */
  jobId?: string;
}

const FAULT_KEYS: ReadonlySet<string> = new Set([
  "status",
  "body",
  "contentType",
  "retryAfter",
  "latencyMs",
  "drop",
  "slowAfterApplyMs",
  "truncate",
  "html",
  "bodyBytes",
  "endless",
]);

/** Reads a FaultRoute, a template or one naming a job ("POST /jobs/<id>/reschedule"); throws on anything else. */
export function parseFaultRoute(route: unknown): RouteMatch {
  const match =
    typeof route === "string" ? /^(GET|POST) \/jobs(?:\/([^/\s?]+)(\/reschedule)?)?$/.exec(route) : null;
  const [, method, jobId, reschedule] = match ?? [];
  const valid =
    (method === "GET" && reschedule === undefined) ||
    (method === "POST" && jobId !== undefined && reschedule !== undefined);
  if (!valid) {
    throw new TypeError(
      `fault route must be "GET /jobs", "GET /jobs/{job_id}" or "POST /jobs/{job_id}/reschedule" ` +
        `(with a job id in place of {job_id} to narrow it to one job), got ${JSON.stringify(route)}`,
    );
  }
  if (jobId === undefined) {
    return { template: "GET /jobs" };
  }
  const template = method === "GET" ? "GET /jobs/{job_id}" : "POST /jobs/{job_id}/reschedule";
  return jobId === "{job_id}" ? { template } : { template, jobId: jobId.toLowerCase() };
}

/** Checks a fault given in code or over HTTP; names the offending field. Returns a copy. */
export function validateFault(value: unknown, name: string): Fault {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object such as {"status": 503}`);
  }
  const input = value as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!FAULT_KEYS.has(key)) {
      throw new TypeError(`${name}.${key} is not a fault field (known: ${[...FAULT_KEYS].join(", ")})`);
    }
  }
  const fault = readFaultFields(input, name);
  checkFaultCombination(fault, name);
  return fault;
}

/** Each field of a fault checked on its own, in the order Fault declares them. */
function readFaultFields(input: Record<string, unknown>, name: string): Fault {
  const fault: Fault = {};
  const {
    status,
    body,
    contentType,
    retryAfter,
    latencyMs,
    drop,
    slowAfterApplyMs,
    truncate,
    html,
    bodyBytes,
    endless,
  } = input;
  if (status !== undefined) {
    if (typeof status !== "number" || !Number.isInteger(status) || status < 200 || status > 599) {
      throw new TypeError(`${name}.status must be an integer HTTP status from 200 to 599`);
    }
    fault.status = status;
  }
  if (body !== undefined) {
    fault.body = requireString(body, `${name}.body`);
  }
  if (contentType !== undefined) {
    fault.contentType = requireString(contentType, `${name}.contentType`);
  }
  if (retryAfter !== undefined) {
    // Over HTTP a number is the natural way to write seconds; the header is text either way.
    const text =
      typeof retryAfter === "number" ? String(retryAfter) : requireString(retryAfter, `${name}.retryAfter`);
    if (/[\r\n]/.test(text)) {
      throw new TypeError(`${name}.retryAfter must be a single line`);
    }
    fault.retryAfter = text;
  }
  if (latencyMs !== undefined) {
    fault.latencyMs = requireMs(latencyMs, `${name}.latencyMs`);
  }
  if (drop !== undefined) {
    if (drop !== "before-apply" && drop !== "after-apply") {
      throw new TypeError(`${name}.drop must be "before-apply" or "after-apply"`);
    }
    fault.drop = drop;
  }
  if (slowAfterApplyMs !== undefined) {
    fault.slowAfterApplyMs = requireMs(slowAfterApplyMs, `${name}.slowAfterApplyMs`);
  }
  if (truncate !== undefined) {
    fault.truncate = requireBoolean(truncate, `${name}.truncate`);
  }
  if (html !== undefined) {
    fault.html = requireBoolean(html, `${name}.html`);
  }
  if (bodyBytes !== undefined) {
    if (typeof bodyBytes !== "number" || !Number.isSafeInteger(bodyBytes) || bodyBytes < 0) {
      throw new TypeError(`${name}.bodyBytes must be a whole number of bytes >= 0`);
    }
    fault.bodyBytes = bodyBytes;
  }
  if (endless !== undefined) {
    fault.endless = requireBoolean(endless, `${name}.endless`);
  }
  return fault;
}

/** Refuses fields that cannot act together: one answers without applying, another applies first. */
function checkFaultCombination(fault: Fault, name: string): void {
  const answersInstead = answersWithoutApplying(fault);
  const reshapesAnswer = fault.truncate === true || fault.bodyBytes !== undefined || fault.endless === true;
  const appliesFirst = fault.drop === "after-apply" || fault.slowAfterApplyMs !== undefined || reshapesAnswer;
  if (fault.drop === "before-apply" && (answersInstead || appliesFirst)) {
    throw new TypeError(`${name}: drop "before-apply" combines only with latencyMs`);
  }
  if (answersInstead && appliesFirst) {
    throw new TypeError(
      `${name}: status, body and html answer without applying; they cannot combine with drop, ` +
        `slowAfterApplyMs, truncate, bodyBytes or endless, which apply first`,
    );
  }
  if (fault.drop === "after-apply" && (reshapesAnswer || fault.slowAfterApplyMs !== undefined)) {
    throw new TypeError(`${name}: drop "after-apply" sends no answer to slow down, truncate, grow or stream`);
  }
  if (
    [fault.truncate === true, fault.bodyBytes !== undefined, fault.endless === true].filter(Boolean).length >
    1
  ) {
    throw new TypeError(`${name}: truncate, bodyBytes and endless each shape the answer; give one of them`);
  }
}

/** Whether the fault answers by itself, leaving the request unapplied. */
export function answersWithoutApplying(fault: Fault): boolean {
  return fault.status !== undefined || fault.body !== undefined || fault.html === true;
}

/** A short label for the request log: "status 503, retry-after 2". */
export function describeFault(fault: Fault): string {
  const parts: string[] = [];
  if (fault.latencyMs !== undefined) {
    parts.push(`latency ${fault.latencyMs}ms`);
  }
  if (fault.drop !== undefined) {
    parts.push(`drop ${fault.drop}`);
  }
  if (fault.html === true) {
    parts.push(`html ${fault.status ?? 502}`);
  } else if (fault.status !== undefined) {
    parts.push(`status ${fault.status}`);
  }
  if (fault.body !== undefined) {
    parts.push("body");
  }
  if (fault.slowAfterApplyMs !== undefined) {
    parts.push(`slow after apply ${fault.slowAfterApplyMs}ms`);
  }
  if (fault.truncate === true) {
    parts.push("truncate");
  }
  if (fault.bodyBytes !== undefined) {
    parts.push(`body of ${fault.bodyBytes} bytes`);
  }
  if (fault.endless === true) {
    parts.push("endless body");
  }
  if (fault.retryAfter !== undefined) {
    parts.push(`retry-after ${fault.retryAfter}`);
  }
  return parts.length === 0 ? "none" : parts.join(", ");
}

/** Queues of faults, per route template and per job. */
export class FaultQueues {
  private readonly queues = new Map<string, Fault[]>();

  add(route: FaultRoute, faults: readonly Fault[]): void {
    const match = parseFaultRoute(route);
    const checked = faults.map((fault, index) => validateFault(fault, `faults[${index}]`));
    const key = queueKey(match);
    this.queues.set(key, [...(this.queues.get(key) ?? []), ...checked]);
  }

  /** The next fault for a request to this route: the job's own queue first, then the template's. */
  take(match: RouteMatch): Fault | undefined {
    const keys = match.jobId === undefined ? [queueKey(match)] : [queueKey(match), match.template];
    for (const key of keys) {
      const queue = this.queues.get(key);
      const fault = queue?.shift();
      if (fault !== undefined) {
        return fault;
      }
    }
    return undefined;
  }

  /** How many faults are still queued, over all routes. */
  pending(): number {
    let total = 0;
    for (const queue of this.queues.values()) {
      total += queue.length;
    }
    return total;
  }

  clear(): void {
    this.queues.clear();
  }
}

function queueKey(match: RouteMatch): string {
  return match.jobId === undefined ? match.template : `${match.template}#${match.jobId}`;
}

function requireString(value: unknown, name: string): string {
  if (typeof value !== "string") {
    throw new TypeError(`${name} must be a string`);
  }
  return value;
}

function requireBoolean(value: unknown, name: string): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(`${name} must be a boolean`);
  }
  return value;
}

function requireMs(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${name} must be a number of milliseconds >= 0`);
  }
  return value;
}
