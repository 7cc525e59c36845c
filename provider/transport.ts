/**
 * One HTTP exchange with the API: the request with the token's header, over one keep-alive agent per client,
 * under one attempt timeout that covers reading the whole body. It never throws: what went wrong comes back as
 * a Failure for the caller's retry rules, with the token redacted from anything the server or the network stack
 * wrote.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import fetch from "node-fetch";
import { redact } from "./redact";
import { sanitizedCause, type Answer, type Failure } from "./failure";
import { networkRule } from "./retry";

/** Idle keep-alive sockets are closed after this, or sooner when the server announces a shorter Keep-Alive. */
const IDLE_SOCKET_TIMEOUT_MS = 30_000;

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

  /** `base` has passed the API URL rule (client-args.ts); `token` has passed the token check. */
  constructor(base: URL, token: string, userAgent: string | undefined) {
    this.baseUrl = `${base.origin}${base.pathname.replace(/\/+$/, "")}`;
    this.#token = token;
    this.#headers = {
      Authorization: `Bearer ${token}`,
      Accept: "application/json",
      "User-Agent": userAgent ?? defaultUserAgent(),
    };
    const agentOptions: http.AgentOptions = { keepAlive: true, timeout: IDLE_SOCKET_TIMEOUT_MS };
    this.agent = base.protocol === "https:" ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  /** One request and its whole answer within `timeout`. Never throws. */
  async exchange(
    method: "GET" | "POST",
    pathAndQuery: string,
    body: string | undefined,
    timeout: AttemptTimeout,
  ): Promise<Exchange> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout.ms);
    const timedOut = (): Exchange => ({
      kind: "failed",
      failure: { kind: "timeout", timeoutMs: timeout.ms, byBudget: timeout.byBudget },
    });
    try {
      let response: Awaited<ReturnType<typeof fetch>>;
      try {
        response = await fetch(`${this.baseUrl}${pathAndQuery}`, {
          method,
          headers:
            body === undefined ? this.#headers : { ...this.#headers, "Content-Type": "application/json" },
          ...(body === undefined ? {} : { body }),
          agent: this.agent,
          // The global AbortSignal is what node-fetch checks for; its bundled type is a structural stand-in.
          signal: controller.signal as unknown as NonNullable<Parameters<typeof fetch>[1]>["signal"],
          // A redirect is reported, not followed: following one could re-send a POST or carry the token elsewhere.
          redirect: "manual",
        });
      } catch (error) {
        return controller.signal.aborted
          ? timedOut()
          : { kind: "failed", failure: networkFailure(error, this.#token) };
      }
      const head = {
        status: response.status,
        // A standard reason phrase cannot hold the token; anything else is redacted before it can be quoted.
        statusText:
          response.statusText === http.STATUS_CODES[response.status]
            ? response.statusText
            : redact(response.statusText, this.#token),
        retryAfter: response.headers.get("retry-after"),
        location: response.headers.get("location"),
      };
      try {
        return { kind: "response", ...head, body: await response.text() };
      } catch {
        // The status arrived but the body did not: for a 2xx POST that still means the API acted.
        return { kind: "response", ...head, body: undefined };
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Destroys the keep-alive agent and its sockets. */
  close(): void {
    this.agent.destroy();
  }
}

function networkFailure(error: unknown, token: string): Extract<Failure, { kind: "network" }> {
  const cause = sanitizedCause(error, token);
  const code = (cause as { code?: unknown }).code;
  // node-fetch writes "request to <url> failed, reason: <system error>"; the URL is already in the message.
  const reason = cause.message.replace(/^request to \S+ failed, reason: /, "");
  const rule = networkRule(typeof code === "string" ? code : undefined, cause.message);
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

let userAgent: string | undefined;

/** "pulumi-narrative-jobs/<version>", read from the package's own package.json (one level above provider/ and lib/). */
function defaultUserAgent(): string {
  if (userAgent === undefined) {
    let version = "unknown";
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (manifest.name === "pulumi-narrative-jobs" && typeof manifest.version === "string") {
        version = manifest.version;
      }
    } catch {
      // A bundler may have moved the file; the User-Agent is informative only.
    }
    userAgent = `pulumi-narrative-jobs/${version}`;
  }
  return userAgent;
}
