/**
 * One HTTP exchange with the API: the request with the token's header, over one keep-alive agent per client
 * (straight to the API, or through the proxy the environment names: proxy.ts), under one attempt timeout that
 * covers reading the whole body. It never throws: what went wrong comes back as a Failure for the caller's retry
 * rules, with the token redacted from anything the server or the network stack wrote.
 */
import * as http from "node:http";
import * as https from "node:https";
import fetch from "node-fetch";
import { redact } from "../common/redact";
import { sanitizedCause, type Answer, type AnswerLimit, type Failure } from "./attempt-failure";
import { proxyAgent, proxyFailureRule, type AgentSettings } from "./proxy";
import { networkRule } from "./retry-policy";
import { PACKAGE_NAME, packageVersion } from "../common/package-version";

/** Idle keep-alive sockets are closed after this, or sooner when the server announces a shorter Keep-Alive. */
const IDLE_SOCKET_TIMEOUT_MS = 30_000;

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The most a job's answer (GET /jobs/{id}, or a reschedule's result) may hold. A job is about 1–2 KB, its input's
 * NQL and its failures included; 1 MiB leaves room for one 500 times that, and stops a runaway or hostile answer
 * long before it costs the provider memory or lands in the state.
 */
export const JOB_ANSWER_LIMIT: AnswerLimit = { bytes: MiB, what: "one job (a job is about 1–2 KB)" };

/**
 * The most a page of GET /jobs may hold: up to 500 jobs, each allowed some 64 KiB (32 MiB in all), far beyond a
 * usual job's 1–2 KB.
 */
export const PAGE_ANSWER_LIMIT: AnswerLimit = { bytes: 32 * MiB, what: "a page of up to 500 jobs" };

/**
 * The most read of an answer with an error status. The status decides what the client does; the body only
 * supplies the detail a message quotes (its first 200 characters), and the API's error bodies are a few hundred
 * bytes.
 */
const ERROR_BODY_LIMIT: AnswerLimit = { bytes: 64 * KiB, what: "an error answer" };

/** The limit of one attempt. */
export interface AttemptTimeout {
  ms: number;
  /** The call's budget, not attemptTimeoutMs, set this limit. */
  byBudget: boolean;
}

/** One HTTP exchange as it happened. */
export type Exchange = ({ kind: "response" } & Answer) | { kind: "failed"; failure: Failure };

export class Transport {
  private readonly baseUrl: string;
  private readonly agent: http.Agent;
  // ES private fields: util.inspect and JSON.stringify do not show them.
  readonly #token: string;
  readonly #headers: Readonly<Record<string, string>>;
  /**
   * The controller of the last attempt that read its answer to the end without aborting, for the next attempt:
   * creating an AbortSignal costs Node 20 more than the rest of an attempt's own work together, and one that
   * never aborted, whose answer node-fetch read to its end, holds no listener. One slot: attempts running at
   * the same time make their own.
   */
  #spareController: AbortController | undefined;

  /**
   * `base` has passed the API URL rule (client-args.ts); `token` has passed the token check. `ca`, for tests,
   * replaces the certificates Node trusts for https. Throws a NarrativeConfigError when the proxy variable that
   * applies does not hold a usable URL.
   */
  constructor(base: URL, token: string, userAgent: string | undefined, ca?: string) {
    this.baseUrl = `${base.origin}${base.pathname.replace(/\/+$/, "")}`;
    this.#token = token;
    this.#headers = {
      Authorization: `Bearer ${token}`,
      Accept: "application/json",
      "User-Agent": userAgent ?? defaultUserAgent(),
    };
    const settings: AgentSettings = { keepAlive: true, timeout: IDLE_SOCKET_TIMEOUT_MS };
    if (ca !== undefined) {
      settings.ca = ca;
    }
    // Every request goes to the base URL's origin (redirects are not followed), so the proxy chosen for it
    // holds for all of them, and a proxy setting that cannot be used fails here, before anything is sent.
    this.agent =
      proxyAgent(base, settings) ??
      (base.protocol === "https:" ? new https.Agent(settings) : new http.Agent(settings));
  }

  /**
   * One request and its whole answer within `timeout`, reading no more of a 2xx body than `limit` (and of an
   * error's body than ERROR_BODY_LIMIT): past it, reading stops and the connection is closed. Never throws.
   */
  async exchange(
    method: "GET" | "POST",
    pathAndQuery: string,
    body: string | undefined,
    timeout: AttemptTimeout,
    limit: AnswerLimit,
  ): Promise<Exchange> {
    const controller = this.#spareController ?? new AbortController();
    this.#spareController = undefined;
    const timer = setTimeout(() => controller.abort(), timeout.ms);
    let readToEnd = false;
    try {
      let response: Awaited<ReturnType<typeof fetch>>;
      try {
        response = await fetch(`${this.baseUrl}${pathAndQuery}`, {
          method,
          headers:
            body === undefined ? this.#headers : { ...this.#headers, "Content-Type": "application/json" },
          body,
          agent: this.agent,
          // The global AbortSignal is what node-fetch checks for; its bundled type is a structural stand-in.
          signal: controller.signal as unknown as NonNullable<Parameters<typeof fetch>[1]>["signal"],
          // A redirect is reported, not followed: following one could re-send a POST or carry the token elsewhere.
          redirect: "manual",
        });
      } catch (error) {
        const failure: Failure = controller.signal.aborted
          ? { kind: "timeout", timeoutMs: timeout.ms, byBudget: timeout.byBudget }
          : networkFailure(error, this.#token);
        return { kind: "failed", failure };
      }
      const success = isSuccess(response.status);
      const head = {
        status: response.status,
        // A standard reason phrase cannot hold the token; anything else is redacted before it can be quoted.
        statusText:
          response.statusText === http.STATUS_CODES[response.status]
            ? response.statusText
            : redact(response.statusText, this.#token),
        // Only a refusal's Retry-After and a redirect's Location are read (statusFailure); each lookup in
        // node-fetch's Headers validates the name and scans every header, so a 2xx skips them.
        retryAfter: success ? null : response.headers.get("retry-after"),
        location: success ? null : response.headers.get("location"),
      };
      const bodyLimit = success ? limit : ERROR_BODY_LIMIT;
      const read = await readBody(response, bodyLimit.bytes, () => controller.abort());
      readToEnd = typeof read === "string" && read !== "over-limit";
      if (read === "over-limit") {
        return { kind: "response", ...head, body: undefined, overLimit: bodyLimit };
      }
      // Undefined when the status arrived but the body did not: for a 2xx POST that still means the API acted.
      return { kind: "response", ...head, body: read };
    } finally {
      clearTimeout(timer);
      // node-fetch removes its abort listener when the answer's last byte arrives, and on no other success path.
      if (readToEnd && !controller.signal.aborted) {
        this.#spareController = controller;
      }
    }
  }

  /** Destroys the keep-alive agent and its sockets. */
  close(): void {
    this.agent.destroy();
  }
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * The body as text, counting bytes as they arrive: past `maxBytes` (or a Content-Length announcing more), `stop`
 * closes the connection so that nothing more is buffered, however much the server would send. Undefined when the
 * body could not be read to its end. Read with 'data' and 'end' listeners, as node-fetch's own `text()` reads
 * it: an async iterator over the stream costs several listeners and promises more per answer.
 */
function readBody(
  response: Awaited<ReturnType<typeof fetch>>,
  maxBytes: number,
  stop: () => void,
): Promise<string | undefined | "over-limit"> {
  if (Number(response.headers.get("content-length")) > maxBytes) {
    stop();
    return Promise.resolve("over-limit");
  }
  const stream = response.body;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > maxBytes) {
        stream.removeListener("data", onData);
        // Settled before `stop`, whose abort makes the stream emit an error at once.
        resolve("over-limit");
        stop();
        return;
      }
      chunks.push(bytes);
    };
    stream.on("data", onData);
    stream.once("end", () => resolve(Buffer.concat(chunks, size).toString("utf8")));
    // A timeout or a dropped connection ends the stream with an error event: the body was not read to its end.
    stream.on("error", () => resolve(undefined));
  });
}

function networkFailure(error: unknown, token: string): Extract<Failure, { kind: "network" }> {
  const cause = sanitizedCause(error, token);
  const code = (cause as { code?: unknown }).code;
  // node-fetch writes "request to <url> failed, reason: <system error>"; the URL is already in the message.
  const reason = cause.message.replace(/^request to \S+ failed, reason: /, "");
  const known = typeof code === "string" ? code : undefined;
  // A tunnel the proxy did not open carried nothing to the API, whatever the error below it was.
  const rule = proxyFailureRule(known) ?? networkRule(known, cause.message);
  const failure: Extract<Failure, { kind: "network" }> = {
    kind: "network",
    reason: reason === "" ? cause.name : reason,
    retried: rule?.retried ?? false,
    reachedServer: rule?.reachedServer ?? "maybe",
    cause,
  };
  if (typeof code === "string") {
    failure.code = code;
  }
  return failure;
}

/** "pulumi-narrative-jobs/<version>", from the package's own package.json. */
function defaultUserAgent(): string {
  return `${PACKAGE_NAME}/${packageVersion() ?? "unknown"}`;
}
