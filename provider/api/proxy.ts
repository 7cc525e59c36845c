/**
 * Which proxy carries the requests to the API, read from the environment as curl and the Pulumi CLI read it:
 * HTTPS_PROXY (https_proxy first, then ALL_PROXY / all_proxy) with NO_PROXY's exceptions, chosen by
 * proxy-from-env. Through a proxy, every request goes through a CONNECT tunnel (https-proxy-agent): the proxy
 * sees the API's host and port, and TLS from the client to the API carries everything else, the token included.
 * The proxy's user name and password go to the proxy alone, as Proxy-Authorization, and no message shows them.
 */
import * as http from "node:http";
import type * as net from "node:net";
import { HttpsProxyAgent } from "https-proxy-agent";
import { getProxyForUrl } from "proxy-from-env";
import { isLoopbackHost } from "./api-url";
import { NarrativeConfigError } from "./errors";
import { networkRule, type ReachedServer } from "./retry-policy";

/** The variables that may name the proxy for an https URL, in the order proxy-from-env reads them. */
const PROXY_SETTINGS = ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"] as const;

/** A tunnel that failed: the proxy refused it, for good until someone changes the settings. */
const PROXY_REFUSED = "ERR_PROXY_REFUSED";
/** A tunnel that failed in a way that may pass: the proxy was not there, or could not reach the API. */
const PROXY_UNAVAILABLE = "ERR_PROXY_UNAVAILABLE";

/** A proxy as messages name it, never with its user name or password. */
export interface ProxyRoute {
  /** The environment variable that named it, e.g. "HTTPS_PROXY". */
  setting: string;
  /** The proxy's host and port. */
  host: string;
  /** The host and port the tunnel leads to: the API's. */
  target: string;
}

/** What the client's agents share: keep-alive, the idle timeout, and (in tests) the certificates trusted. */
export interface AgentSettings {
  keepAlive: true;
  timeout: number;
  ca?: string;
}

/**
 * The agent for requests to `target` through the proxy the environment names, or undefined when they go
 * straight: to an http:// URL (accepted only on loopback), to a loopback host (a proxy elsewhere cannot reach
 * this machine's loopback, and the Pulumi CLI never proxies it either), or to a host NO_PROXY lists. Throws a
 * NarrativeConfigError, which shows no part of the value, when the variable does not hold a usable proxy URL.
 */
export function proxyAgent(target: URL, settings: AgentSettings): TunnelAgent | undefined {
  if (target.protocol !== "https:" || isLoopbackHost(target.hostname) || getProxyForUrl(target.href) === "") {
    return undefined;
  }
  const setting = PROXY_SETTINGS.find((name) => (process.env[name] ?? "") !== "") ?? "HTTPS_PROXY";
  const url = proxyUrl(process.env[setting] ?? "", setting);
  const authorization = basicCredentials(url, setting);
  url.username = "";
  url.password = "";
  const route: ProxyRoute = {
    setting,
    host: `${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`,
    target: `${target.hostname}:${target.port || "443"}`,
  };
  return new TunnelAgent(url, route, authorization, settings);
}

/** How the client treats a tunnel that failed: nothing of the request reached the API. */
export function proxyFailureRule(
  code: string | undefined,
): { retried: boolean; reachedServer: ReachedServer } | undefined {
  if (code === PROXY_REFUSED || code === PROXY_UNAVAILABLE) {
    return { retried: code === PROXY_UNAVAILABLE, reachedServer: "no" };
  }
  return undefined;
}

/**
 * The proxy's URL. A value without a scheme is an http:// proxy, as curl and the Pulumi CLI read it
 * (proxy-from-env would give it the API's https:// and speak TLS to a plain proxy).
 */
function proxyUrl(value: string, setting: string): URL {
  const trimmed = value.trim();
  const example = "such as http://proxy.example.com:3128";
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`);
  } catch {
    // The value may hold a password: no part of it is repeated.
    throw configError(setting, `${setting} is not a proxy URL ${example}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw configError(
      setting,
      `${setting} names a ${url.protocol.slice(0, -1)}:// proxy: only http:// and https:// proxies are ` +
        `supported (the API is reached through a CONNECT tunnel); use a URL ${example}`,
    );
  }
  if (url.hostname === "") {
    throw configError(setting, `${setting} names no proxy host: use a URL ${example}`);
  }
  return url;
}

/** "Basic …" for Proxy-Authorization when the URL holds a user name or password, decoded as curl does. */
function basicCredentials(url: URL, setting: string): string | undefined {
  if (url.username === "" && url.password === "") {
    return undefined;
  }
  let pair: string;
  try {
    pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  } catch {
    throw configError(
      setting,
      `${setting} has a user name or password with a broken %-escape (write % itself as %25)`,
    );
  }
  return `Basic ${Buffer.from(pair, "utf8").toString("base64")}`;
}

function configError(setting: string, problem: string): NarrativeConfigError {
  return new NarrativeConfigError(
    `${problem}. Its value is not shown: it may hold a password. Nothing was sent.`,
    {
      property: setting,
    },
  );
}

type ConnectOptions = Parameters<HttpsProxyAgent<string>["connect"]>[1];

/**
 * https-proxy-agent with the failures of the tunnel made errors. On its own it hands a refused CONNECT's answer
 * (a 407, a 403, a 502) to the request as if the API had sent it, which would read as the API's status and, for
 * a reschedule, as a POST the API may have seen.
 */
export class TunnelAgent extends HttpsProxyAgent<string> {
  readonly route: ProxyRoute;
  readonly #ca: string | undefined;

  constructor(url: URL, route: ProxyRoute, authorization: string | undefined, settings: AgentSettings) {
    super(url.href, {
      ...settings,
      // A function: the credentials stay in this closure, out of what util.inspect or a debug log shows.
      headers: () => (authorization === undefined ? {} : { "Proxy-Authorization": authorization }),
    });
    this.route = route;
    this.#ca = settings.ca;
    // HttpsProxyAgent resets the options http.Agent keeps; the idle timeout of kept-alive sockets is one of them.
    this.options.timeout = settings.timeout;
  }

  override async connect(request: http.ClientRequest, options: ConnectOptions): Promise<net.Socket> {
    let status: number | undefined;
    request.once("proxyConnect", (answer: { statusCode: number }) => {
      status = answer.statusCode;
    });
    // The certificates trusted for the API go to its TLS connection, inside the tunnel.
    const withCa = this.#ca !== undefined && options.secureEndpoint ? { ...options, ca: this.#ca } : options;
    let socket: net.Socket;
    try {
      socket = await super.connect(request, withCa);
    } catch (error) {
      throw unreachable(this.route, error);
    }
    if (status !== 200) {
      socket.destroy();
      throw refused(this.route, status ?? 0);
    }
    return socket;
  }
}

class TunnelError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "TunnelError";
  }
}

function unreachable(route: ProxyRoute, error: unknown): TunnelError {
  const cause = error instanceof Error ? error : new Error(String(error));
  const code = (cause as { code?: unknown }).code;
  const transient = networkRule(typeof code === "string" ? code : undefined, cause.message)?.retried === true;
  return new TunnelError(
    `could not reach the proxy ${route.host} from ${route.setting}: ${cause.message}; check ${route.setting}, ` +
      `or NO_PROXY if ${hostOf(route.target)} is to be reached directly`,
    transient ? PROXY_UNAVAILABLE : PROXY_REFUSED,
  );
}

function refused(route: ProxyRoute, status: number): TunnelError {
  // The standard reason phrase only: the proxy's own text is not quoted.
  const answer = `${status} ${http.STATUS_CODES[status] ?? "(no status)"}`;
  const proxy = `the proxy ${route.host} from ${route.setting}`;
  if (status === 407) {
    return new TunnelError(
      `${proxy} answered ${answer}: check the user name and password in ${route.setting} ` +
        "(http://user:password@host:port)",
      PROXY_REFUSED,
    );
  }
  if (status === 502 || status === 503 || status === 504) {
    return new TunnelError(`${proxy} could not reach ${route.target} (${answer})`, PROXY_UNAVAILABLE);
  }
  return new TunnelError(
    `${proxy} refused the tunnel to ${route.target} with ${answer}: check that it allows ${route.target}, or ` +
      `NO_PROXY if ${hostOf(route.target)} is to be reached directly`,
    PROXY_REFUSED,
  );
}

function hostOf(hostAndPort: string): string {
  return hostAndPort.replace(/:\d+$/, "");
}
