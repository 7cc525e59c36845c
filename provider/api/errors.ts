/**
 * Errors of the Narrative Jobs client: one base class and a subclass per kind of failure. Every message names
 * the call, the job, the API host, the status where there is one, and what to do next, because the Pulumi CLI
 * shows the message and nothing else. No message or property ever holds the API token: text that came from the
 * server goes through `redact` (redact.ts) first, since a server or gateway may echo the Authorization header.
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

/**
 * A JobRerun's stored state was written by a newer release of this package than the one installed (a higher
 * schema version, or members this release does not know); nothing was sent and the state is left as it is.
 */
export class NarrativeStateError extends NarrativeError {
  /** The package version that wrote the state, when the state says. */
  declare readonly writtenBy?: string;
  /** The installed package version, when it can be read. */
  declare readonly installed?: string;
  /** What shows that a newer release wrote the state, e.g. "state schemaVersion 5", "status.priority". */
  readonly signs: readonly string[];

  constructor(
    message: string,
    options: NarrativeErrorOptions & {
      writtenBy?: string | undefined;
      installed?: string | undefined;
      signs: readonly string[];
    },
  ) {
    super(message, options);
    this.signs = options.signs;
    assignDefined(this, { writtenBy: options.writtenBy, installed: options.installed });
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
  NarrativeStateError,
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

/** Marks `error` as a reschedule that may have taken effect; see NarrativeError.outcomeUnknown. */
export function withUnknownOutcome<E extends NarrativeError>(error: E, unknown = true): E {
  if (unknown) {
    Object.defineProperty(error, "outcomeUnknown", { value: true, enumerable: true });
  }
  return error;
}

/** The same kind of error with a new message, the original kept as its cause. */
export function rewrapError(error: NarrativeError, message: string): NarrativeError {
  const context = { call: error.call, jobId: error.jobId, apiHost: error.apiHost, cause: error };
  if (error instanceof NarrativeApiError) {
    return new NarrativeApiError(message, {
      ...context,
      status: error.status,
      statusText: error.statusText,
      detail: error.detail,
      logId: error.logId,
      retryable: error.retryable,
    });
  }
  if (error instanceof NarrativeTimeoutError) {
    return new NarrativeTimeoutError(message, { ...context, timeoutMs: error.timeoutMs, kind: error.kind });
  }
  if (error instanceof NarrativeNetworkError) {
    return new NarrativeNetworkError(message, { ...context, code: error.code });
  }
  if (error instanceof NarrativeConfigError) {
    return new NarrativeConfigError(message, { ...context, property: error.property });
  }
  return new NarrativeError(message, context);
}
