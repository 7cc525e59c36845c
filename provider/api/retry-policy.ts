/**
 * The client's retry policy as data and pure functions: the timing defaults, Retry-After parsing, backoff, and
 * the list of what is retried and why. The client (client.ts) applies it; nothing here does I/O.
 */

/** How long one client call keeps trying. */
export interface RetryOptions {
  /** Longest wait for one HTTP exchange (request sent, whole body read); re-armed for every attempt. */
  attemptTimeoutMs: number;
  /** Budget for one client call, all its attempts and sleeps included (for a reschedule: its POSTs and GETs). */
  totalTimeoutMs: number;
  /** First backoff ceiling; it doubles with every failed attempt. */
  baseDelayMs: number;
  /** Highest backoff ceiling. A server's Retry-After may ask for longer and is honoured within the budget. */
  maxDelayMs: number;
}

/**
 * The longest each timing option may be. A Node.js timer holds at most about 24.8 days and fires after 1 ms
 * beyond that, so every option is bounded well inside it: an HTTP attempt that takes over ten minutes has
 * failed, and no call should hold a deployment for more than a day.
 */
export const RETRY_OPTION_LIMITS_MS: Readonly<RetryOptions> = {
  attemptTimeoutMs: 10 * 60_000,
  totalTimeoutMs: 24 * 3_600_000,
  baseDelayMs: 10 * 60_000,
  maxDelayMs: 60 * 60_000,
};

export const DEFAULT_RETRY_OPTIONS: Readonly<RetryOptions> = {
  attemptTimeoutMs: 30_000,
  totalTimeoutMs: 120_000,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
};

/**
 * A 2xx whose body is not what the call returns (HTML from a captive proxy, a cut-off body) is retried like a
 * 502 this many times, then reported: a gateway hiccup clears quickly, a misrouted apiUrl never does.
 */
export const BAD_BODY_RETRIES = 2;

/**
 * Attempts one call may make whatever the clock says. The budget ends a call long before this with real time
 * (about 15 attempts with the defaults); the cap only keeps a stopped injected clock from looping forever.
 */
export const MAX_ATTEMPTS_PER_CALL = 100;

/**
 * Milliseconds to wait as asked by a Retry-After header: delta-seconds ("2", "0") or an HTTP date (IMF-fixdate,
 * or the obsolete RFC 850 and asctime forms recipients must accept; a date in the past means 0). Anything else is
 * undefined, so the caller falls back to its own backoff.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) {
    return undefined;
  }
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds * 1_000) ? seconds * 1_000 : undefined;
  }
  const dateMs = parseHttpDate(text);
  return dateMs === undefined ? undefined : Math.max(0, dateMs - nowMs);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const LONG_DAY = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const MONTH = `(${MONTHS.join("|")})`;
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";
/** Sun, 06 Nov 1994 08:49:37 GMT */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
/** Sunday, 06-Nov-94 08:49:37 GMT */
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
/** Sun Nov  6 08:49:37 1994 */
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

/** Epoch milliseconds of an HTTP date (RFC 7231 §7.1.1.1), or undefined. Date.parse is too lenient ("2" parses). */
export function parseHttpDate(text: string): number | undefined {
  let day: string | undefined;
  let month: string | undefined;
  let year: number;
  let time: (string | undefined)[];
  let match = IMF_FIXDATE.exec(text);
  if (match !== null) {
    [, day, month] = match;
    year = Number(match[3]);
    time = match.slice(4, 7);
  } else if ((match = RFC850_DATE.exec(text)) !== null) {
    [, day, month] = match;
    // RFC 7231: a two-digit year more than 50 years in the future is in the past century. Close enough: 70.
    const twoDigits = Number(match[3]);
    year = twoDigits < 70 ? 2000 + twoDigits : 1900 + twoDigits;
    time = match.slice(4, 7);
  } else if ((match = ASCTIME_DATE.exec(text)) !== null) {
    [, month, day] = match;
    year = Number(match[6]);
    time = match.slice(3, 6);
  } else {
    return undefined;
  }
  const monthIndex = MONTHS.indexOf(month ?? "");
  const [hours, minutes, seconds] = time.map(Number) as [number, number, number];
  const dayOfMonth = Number(day);
  if (hours > 23 || minutes > 59 || seconds > 60) {
    return undefined;
  }
  const ms = Date.UTC(year, monthIndex, dayOfMonth, hours, minutes, seconds);
  // Date.UTC rolls Feb 30 over into March: such a date is garbage, not a date.
  return new Date(ms).getUTCDate() === dayOfMonth ? ms : undefined;
}

/**
 * The wait after failed attempt number `attempt` (1-based): "full jitter", a uniform draw below a ceiling that
 * doubles from baseDelayMs up to maxDelayMs, so that clients which failed together do not retry together.
 */
export function backoffDelay(
  attempt: number,
  options: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs">,
  random: () => number,
): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** exponent);
  const draw = Math.min(Math.max(random(), 0), 1);
  return Math.floor(draw * ceiling);
}

/**
 * Whether a failed request may have reached the server, which decides if a reschedule POST may simply be sent
 * again: "no" means the API cannot have acted on it, "maybe" means it might have.
 */
export type ReachedServer = "no" | "maybe";

export interface StatusRule {
  status: number;
  retried: boolean;
  reason: string;
}

/** Statuses by what the client does with them. A status not listed is not retried. */
export const STATUS_RULES: readonly StatusRule[] = [
  {
    status: 429,
    retried: true,
    reason: "rate limited: the API refuses before acting, so it is safe to repeat, even a reschedule",
  },
  {
    status: 502,
    retried: true,
    reason: "bad gateway: a proxy in front of the API could not reach it; transient",
  },
  {
    status: 503,
    retried: true,
    reason: "service unavailable: the API is overloaded or restarting; transient",
  },
  { status: 504, retried: true, reason: "gateway timeout: the API was too slow for a proxy; transient" },
  { status: 400, retried: false, reason: "bad request: the same request gets the same answer" },
  {
    status: 401,
    retried: false,
    reason: "the token is missing, invalid or expired until someone changes it",
  },
  { status: 403, retried: false, reason: "the API key lacks the Jobs permission until someone grants it" },
  { status: 404, retried: false, reason: "the job does not exist for this token's company" },
  { status: 409, retried: false, reason: "conflict with the job's state: repeating at once changes nothing" },
  { status: 500, retried: false, reason: "internal error: a server bug is not transient" },
];

export function isRetriedStatus(status: number): boolean {
  return STATUS_RULES.some((rule) => rule.status === status && rule.retried);
}

export interface NetworkRule {
  /** A Node.js system error code, or a message for errors Node reports without a distinct code. */
  code: string;
  retried: boolean;
  reachedServer: ReachedServer;
  reason: string;
}

/** Failures below HTTP by what the client does with them. An error not listed is not retried. */
export const NETWORK_RULES: readonly NetworkRule[] = [
  {
    code: "ECONNREFUSED",
    retried: true,
    reachedServer: "no",
    reason: "nothing listens (API restarting, deploy under way); the request never left",
  },
  {
    code: "EAI_AGAIN",
    retried: true,
    reachedServer: "no",
    reason: "temporary DNS failure: no connection was made",
  },
  {
    code: "ECONNRESET",
    retried: true,
    reachedServer: "maybe",
    reason: "the connection dropped (often a keep-alive socket the server had closed); transient",
  },
  {
    code: "socket hang up",
    retried: true,
    reachedServer: "maybe",
    reason: "the server closed the connection before answering; transient",
  },
  {
    code: "EPIPE",
    retried: true,
    reachedServer: "maybe",
    reason: "the connection closed while sending; transient",
  },
  {
    code: "ETIMEDOUT",
    retried: true,
    reachedServer: "maybe",
    reason: "the operating system gave up on the connection; transient",
  },
  {
    code: "ENOTFOUND",
    retried: false,
    reachedServer: "no",
    reason: "the host name does not exist: apiUrl is wrong, and asking again will not fix it",
  },
];

/** An attempt the client itself aborted after attemptTimeoutMs. */
export const ATTEMPT_TIMEOUT_RULE: Readonly<Omit<NetworkRule, "code">> = {
  retried: true,
  // The abort cannot tell a slow connect from a slow answer, so a reschedule POST is checked with a GET.
  reachedServer: "maybe",
  reason: "no answer in time: the API or the network is slow; transient",
};

/**
 * The rule for a network error, by its code or its message. An error raised while connecting ("connect
 * ETIMEDOUT ...", "getaddrinfo EAI_AGAIN ...") never reached the server, whatever its code.
 */
export function networkRule(code: string | undefined, message: string): NetworkRule | undefined {
  const rule =
    NETWORK_RULES.find((candidate) => candidate.code === code) ??
    NETWORK_RULES.find((candidate) => message.includes(candidate.code));
  if (rule === undefined) {
    return undefined;
  }
  const duringConnect = /\b(connect|getaddrinfo) E[A-Z_]+/.test(message);
  return duringConnect ? { ...rule, reachedServer: "no" } : rule;
}
