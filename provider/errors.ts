/**
 * Errors of the Narrative Jobs client: one base class and a subclass per kind of failure. Every message names
 * the call, the job, the API host, the status where there is one, and what to do next, because the Pulumi CLI
 * shows the message and nothing else. No message or property ever holds the API token: text that came from the
 * server goes through `redact` first, since a server or gateway may echo the Authorization header.
 */

export interface NarrativeErrorOptions {
  /** The HTTP call with the real path, e.g. "POST /jobs/2a5b9ad7-.../reschedule". */
  call?: string | undefined;
  jobId?: string | undefined;
  /** Host (and port) only, e.g. "api.narrative.io" or "127.0.0.1:4567": never a URL with credentials. */
  apiHost?: string | undefined;
  cause?: unknown;
}

export class NarrativeError extends Error {
  /**
   * Set on a failed reschedule that may nonetheless have taken effect (the API may have acted before the answer
   * was lost, and reading the job afterwards did not settle it). The provider records such a reschedule so that
   * the next deployment checks the job before sending it again.
   */
  declare readonly outcomeUnknown?: boolean;
  declare readonly call?: string;
  declare readonly jobId?: string;
  declare readonly apiHost?: string;

  constructor(message: string, options: NarrativeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Only the context that exists is set, so inspecting an error does not show a row of undefined.
    assignDefined(this, { call: options.call, jobId: options.jobId, apiHost: options.apiHost });
  }
}

/** The API answered with a status the client does not accept (after any retries). */
export class NarrativeApiError extends NarrativeError {
  readonly status: number;
  readonly statusText: string;
  declare readonly detail?: string;
  declare readonly logId?: string;
  /** Whether the client retries this status, i.e. whether trying again later may succeed. */
  readonly retryable: boolean;

  constructor(
    message: string,
    options: NarrativeErrorOptions & {
      status: number;
      statusText: string;
      detail?: string | undefined;
      logId?: string | undefined;
      retryable: boolean;
    },
  ) {
    super(message, options);
    this.status = options.status;
    this.statusText = options.statusText;
    this.retryable = options.retryable;
    assignDefined(this, { detail: options.detail, logId: options.logId });
  }
}

/** No answer in time: one attempt (`attempt`) or the whole call's budget (`total`). */
export class NarrativeTimeoutError extends NarrativeError {
  readonly timeoutMs: number;
  readonly kind: "attempt" | "total";

  constructor(
    message: string,
    options: NarrativeErrorOptions & { timeoutMs: number; kind: "attempt" | "total" },
  ) {
    super(message, options);
    this.timeoutMs = options.timeoutMs;
    this.kind = options.kind;
  }
}

/** The API could not be reached or the connection failed (DNS, refused, reset...). */
export class NarrativeNetworkError extends NarrativeError {
  /** The system error code, such as ECONNREFUSED or EAI_AGAIN. */
  declare readonly code?: string;

  constructor(message: string, options: NarrativeErrorOptions & { code?: string | undefined }) {
    super(message, options);
    assignDefined(this, { code: options.code });
  }
}

/** A setting or argument is unusable; nothing was sent. */
export class NarrativeConfigError extends NarrativeError {
  /** What to fix, e.g. "narrative:token", "apiUrl", "jobId", "per_page". */
  readonly property: string;

  constructor(message: string, options: NarrativeErrorOptions & { property: string }) {
    super(message, options);
    this.property = options.property;
  }
}

// On the prototype rather than as a field, so that the stack's first line, written while the base constructor
// runs, already carries the subclass's name.
for (const errorClass of [
  NarrativeError,
  NarrativeApiError,
  NarrativeTimeoutError,
  NarrativeNetworkError,
  NarrativeConfigError,
]) {
  Object.defineProperty(errorClass.prototype, "name", {
    value: errorClass.name,
    enumerable: false,
    writable: true,
    configurable: true,
  });
}

function assignDefined(target: object, values: Record<string, string | undefined>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) {
      Object.defineProperty(target, key, { value, enumerable: true, writable: false, configurable: true });
    }
  }
}

export const REDACTED = "[REDACTED]";

/**
 * Removes `secret` from text that came from the server or the network stack, in the forms an echo may take
 * (as is, URL-encoded, JSON-escaped), and any `Bearer <credential>`. Redact before truncating: a cut could
 * otherwise leave part of the token behind.
 */
export function redact(text: string, secret: string | undefined): string {
  let result = text;
  if (secret !== undefined && secret !== "") {
    const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
    for (const form of forms) {
      result = result.split(form).join(REDACTED);
    }
  }
  return result.replace(/\b(Bearer)\s+(?!\[REDACTED\])[^\s"',;<>]+/gi, `$1 ${REDACTED}`);
}

/** Longest server text quoted in a message. */
export const DETAIL_MAX_CHARS = 200;

/** What an error body says, whichever of the API's shapes it has. */
export interface ErrorBodySummary {
  detail?: string;
  logId?: string;
}

/**
 * Reads an error body: the structured `{type, title, status, detail, instance, logId}` (detail, else title),
 * the older `{error, error_description}` (error_description, else error), or anything else (HTML from a gateway,
 * plain text) as its first characters with tags stripped and whitespace collapsed. An empty body says nothing.
 */
export function summarizeErrorBody(body: string | undefined, secret: string | undefined): ErrorBodySummary {
  if (body === undefined) {
    return {};
  }
  const text = redact(body, secret);
  if (text.trim() === "") {
    return {};
  }
  const summary: ErrorBodySummary = {};
  const parsed = tryParseJson(text);
  if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
    const fields = parsed as Record<string, unknown>;
    const detail =
      nonEmptyString(fields["detail"]) ??
      nonEmptyString(fields["title"]) ??
      nonEmptyString(fields["error_description"]) ??
      nonEmptyString(fields["error"]) ??
      nonEmptyString(fields["message"]);
    const logId = fields["logId"] ?? fields["log_id"];
    if (typeof logId === "string" || typeof logId === "number") {
      summary.logId = shorten(String(logId));
    }
    summary.detail = shorten(detail ?? text);
    return summary;
  }
  const plain = shorten(stripMarkup(text));
  if (plain !== "") {
    summary.detail = plain;
  }
  return summary;
}

/** The first characters of a body, for a message about a body that is not what was expected. */
export function bodyPreview(body: string | undefined, secret: string | undefined): string {
  if (body === undefined || body.trim() === "") {
    return "(empty body)";
  }
  return JSON.stringify(shorten(redact(body, secret)));
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

function stripMarkup(html: string): string {
  return html
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&nbsp;/gi, " ")
    .replace(/&lt;/gi, "<")
    .replace(/&gt;/gi, ">")
    .replace(/&quot;/gi, '"')
    .replace(/&#39;/gi, "'")
    .replace(/&amp;/gi, "&");
}

function shorten(text: string): string {
  const collapsed = text.replace(/\s+/g, " ").trim();
  return collapsed.length <= DETAIL_MAX_CHARS ? collapsed : `${collapsed.slice(0, DETAIL_MAX_CHARS)}…`;
}

/** Where a status hint is about: enough to name the job and the permission involved. */
export interface HintContext {
  method: string;
  apiHost: string;
  jobId?: string | undefined;
  logId?: string | undefined;
}

/** What to do next after the API answered `status`, as a sentence for the end of a message. */
export function statusHint(status: number, context: HintContext): string {
  const logNote = context.logId === undefined ? "" : ` (quote logId ${context.logId} to Narrative support)`;
  const isWrite = context.method !== "GET";
  switch (status) {
    case 400:
      return "The API rejected the request as invalid: check the job id and the filters.";
    case 401:
      return (
        "Check narrative:token (pulumi config set --secret narrative:token <key>) or NARRATIVE_API_TOKEN; " +
        "the key may be expired."
      );
    case 403:
      return (
        "The API key needs the Jobs permission (read for GET, write for reschedule); " +
        `this call needs ${isWrite ? "write" : "read"}.`
      );
    case 404:
      return context.jobId === undefined
        ? `Check apiUrl: ${context.apiHost} has no such endpoint.`
        : `No job ${context.jobId} on ${context.apiHost}: check jobId and that the token's company owns it.`;
    case 409:
      return "The request conflicts with the job's current state: read the job and try again once it has settled.";
    case 429:
      return "Rate limited by the API: wait a while and try again, or raise narrative:totalTimeout.";
    case 500:
      return (
        `The API failed with an internal error${logNote}; it is not retried, since a server bug is not transient. ` +
        (isWrite
          ? "The job may or may not have been rescheduled: check its state (pulumi refresh) before running again."
          : "Try again later.")
      );
    default:
      if (status >= 502 && status <= 504) {
        return `The API or a gateway in front of it failed${logNote}: try again later.`;
      }
      if (status >= 300 && status < 400) {
        return "The API answered with a redirect: point apiUrl at the final address (https, no extra path).";
      }
      if (status >= 500) {
        return `The API failed${logNote}: try again later.`;
      }
      return "Check the request; it is not retried.";
  }
}

/** Marks `error` as a reschedule that may have taken effect; see NarrativeError.outcomeUnknown. */
export function withUnknownOutcome<E extends NarrativeError>(error: E, unknown = true): E {
  if (unknown) {
    Object.defineProperty(error, "outcomeUnknown", { value: true, enumerable: true });
  }
  return error;
}
