/**
 * An API request from arrival to answer: the bearer token, the route and method, then the request served for
 * real or met by the next queued fault, and the request recorded before its answer is written.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { answersWithoutApplying, describeFault, type Fault } from "./faults";
import { faultQueueMatch, matchApiRoute, serveApiRoute, type ApiRoute } from "./api-routes";
import type { PendingRequest } from "./request-log";
import { BODY_TOO_LARGE } from "./request-body";
import {
  olderErrorAnswer,
  problemAnswer,
  statusTitle,
  writeAnswer,
  writePaddedAnswer,
  type Answer,
} from "./responses";
import type { SimulatorState } from "./state";

/** What serving an API request needs from the HTTP server it arrived on. */
export interface ServerLifecycle {
  /** Waits real time; resolves false when the simulator closed meanwhile (the connection is gone). */
  sleep(ms: number): Promise<boolean>;
  isClosing(): boolean;
}

/** One request being served: where it came from, where its answer goes, and what will be recorded. */
interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  pending: PendingRequest;
}

export class ApiRequestHandler {
  private readonly tokenDigest: Buffer;

  constructor(
    private readonly state: SimulatorState,
    token: string,
    private readonly lifecycle: ServerLifecycle,
  ) {
    this.tokenDigest = digest(token);
  }

  /** `body` is undefined when it was too large to read. */
  async serve(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    body: string | undefined,
  ): Promise<void> {
    const method = request.method ?? "GET";
    const refusal = this.checkAuthorization(request.headers.authorization);
    const pending: PendingRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: body ?? "",
      authorized: refusal === undefined,
    };
    const exchange: Exchange = { request, response, url, pending };
    const finish = (answer: Answer): void => this.finish(exchange, answer);

    if (refusal !== undefined) {
      finish(olderErrorAnswer(401, "unauthorized", refusal, { "WWW-Authenticate": "Bearer" }));
      return;
    }
    const route = matchApiRoute(url.pathname);
    if (route === undefined) {
      finish(problemAnswer(404, `No route for ${method} ${url.pathname}`, url.pathname));
      return;
    }
    if (method !== route.method) {
      const detail = `${method} is not allowed on ${url.pathname}; use ${route.method}`;
      finish({ ...problemAnswer(405, detail, url.pathname), headers: { Allow: route.method } });
      return;
    }
    if (body === undefined) {
      finish(problemAnswer(413, BODY_TOO_LARGE, url.pathname));
      return;
    }
    const fault = this.state.faultQueues.take(faultQueueMatch(route));
    if (fault === undefined) {
      finish(serveApiRoute(this.state.store, route, url, body));
      return;
    }
    await this.serveWithFault(exchange, fault, route, body);
  }

  /** Plays the fault: waits, drops the connection, answers instead, or applies and then bends the answer. */
  private async serveWithFault(
    exchange: Exchange,
    fault: Fault,
    route: ApiRoute,
    body: string,
  ): Promise<void> {
    const { url, pending } = exchange;
    pending.fault = describeFault(fault);
    if (fault.latencyMs !== undefined && !(await this.lifecycle.sleep(fault.latencyMs))) {
      return;
    }
    if (fault.drop === "before-apply") {
      this.drop(exchange);
      return;
    }
    const retryAfter: Record<string, string> =
      fault.retryAfter === undefined ? {} : { "Retry-After": fault.retryAfter };
    if (answersWithoutApplying(fault)) {
      const answer = faultAnswer(fault, url.pathname);
      this.finish(exchange, { ...answer, headers: { ...answer.headers, ...retryAfter } });
      return;
    }
    const answer = serveApiRoute(this.state.store, route, url, body);
    if (fault.drop === "after-apply") {
      this.drop(exchange);
      return;
    }
    if (fault.slowAfterApplyMs !== undefined && !(await this.lifecycle.sleep(fault.slowAfterApplyMs))) {
      return;
    }
    const grownTo = fault.endless === true ? Infinity : fault.bodyBytes;
    if (grownTo !== undefined) {
      const grown = { ...answer, headers: { ...answer.headers, ...retryAfter } };
      this.finishPadded(exchange, grown, grownTo);
      return;
    }
    const cutBody =
      fault.truncate === true ? answer.body.slice(0, Math.floor(answer.body.length / 2)) : answer.body;
    this.finish(exchange, { ...answer, body: cutBody, headers: { ...answer.headers, ...retryAfter } });
  }

  /** Undefined when the token is right; otherwise the error_description to send (never naming the token). */
  private checkAuthorization(header: string | undefined): string | undefined {
    if (header === undefined || header.trim() === "") {
      return "Missing Authorization header: send Authorization: Bearer <token>";
    }
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (match?.[1] === undefined) {
      return "Authorization header must have the form: Bearer <token>";
    }
    return timingSafeEqual(digest(match[1]), this.tokenDigest)
      ? undefined
      : "The API token is invalid or expired";
  }

  private finish({ request, response, url, pending }: Exchange, answer: Answer): void {
    // Recorded before it is written, so that a client that has its answer finds the record.
    this.state.requestLog.recordAnswer(url, pending, answer);
    if (request.socket.destroyed) {
      return;
    }
    writeAnswer(response, answer);
  }

  /** Like `finish`, with the answer grown to `bytes` (Infinity: without end); see writePaddedAnswer. */
  private finishPadded({ request, response, url, pending }: Exchange, answer: Answer, bytes: number): void {
    this.state.requestLog.recordAnswer(url, pending, answer);
    if (request.socket.destroyed) {
      return;
    }
    writePaddedAnswer(response, answer, bytes, () => this.lifecycle.isClosing());
  }

  private drop({ request, pending }: Exchange): void {
    this.state.requestLog.recordDrop(pending);
    request.socket.destroy();
  }
}

/**
 * Hashed so that the comparison takes the same time whatever the token's length: timingSafeEqual needs
 * buffers of one length.
 */
function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** What a fault that answers without applying sends: its own body, a gateway's HTML page, or an API error. */
function faultAnswer(fault: Fault, path: string): Answer {
  if (fault.html === true) {
    const status = fault.status ?? 502;
    const heading = `${status} ${statusTitle(status)}`;
    return {
      status,
      body:
        fault.body ??
        `<html>\r\n<head><title>${heading}</title></head>\r\n<body>\r\n<center><h1>${heading}</h1></center>\r\n` +
          `<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
      contentType: fault.contentType ?? "text/html",
    };
  }
  const status = fault.status ?? 200;
  if (fault.body !== undefined) {
    const looksLikeJson = /^\s*[[{]/.test(fault.body);
    const answer: Answer = { status, body: fault.body };
    const contentType =
      fault.contentType ??
      (looksLikeJson ? "application/json" : fault.body === "" ? undefined : "text/plain; charset=utf-8");
    if (contentType !== undefined) {
      answer.contentType = contentType;
    }
    return answer;
  }
  if (status === 204 || status === 304) {
    return { status, body: "" };
  }
  if (status === 401) {
    return olderErrorAnswer(401, "unauthorized", "The API token is invalid or expired", {
      "WWW-Authenticate": "Bearer",
    });
  }
  return problemAnswer(status, `${statusTitle(status)} (fault injected by the simulator)`, path);
}
