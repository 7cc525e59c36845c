/**
 * A pass-through HTTP proxy on loopback between a client and the simulator, counting what the simulator's
 * request log cannot show: the TCP connections clients open and how many requests are in flight at once (the
 * parallelism the Pulumi engine actually uses). It forwards every request unchanged and records nothing else:
 * no headers, so never the token.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface ApiProxy {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** TCP connections clients opened to the proxy since the last reset. */
  readonly connections: number;
  /** Requests forwarded since the last reset. */
  readonly requests: number;
  /** The most requests that were in flight at the same moment since the last reset. */
  readonly maxInFlight: number;
  resetCounters(): void;
  close(): Promise<void>;
}

/** Headers that describe one hop's connection, not the request: each side of the proxy sets its own. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
]);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

export async function startApiProxy(targetUrl: string): Promise<ApiProxy> {
  const target = new URL(targetUrl);
  // The simulator closes a connection idle for 5 s (Node's keepAliveTimeout) and the agent would keep it exactly
  // as long, so a request sent at that moment could meet a connection being closed: the client would see a
  // dropped POST and, rightly, read the job before sending it again, one request more than the figure counts.
  // This proxy lives through the whole run, idle between commands, so its upstream connections close first.
  const upstreamAgent = new http.Agent({ keepAlive: true, timeout: 1_000 });
  let connections = 0;
  let requests = 0;
  let inFlight = 0;
  let maxInFlight = 0;

  const server = http.createServer((request, response) => {
    requests += 1;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // `close` comes once per response, whether it was sent in full or cut off.
    response.once("close", () => {
      inFlight -= 1;
    });
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: endToEnd(request.headers),
        agent: upstreamAgent,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(response);
        answer.once("error", () => response.destroy());
      },
    );
    // The simulator dropping a connection (a fault) reaches the client as a dropped connection too.
    upstream.once("error", () => response.destroy());
    request.pipe(upstream);
  });
  server.on("connection", () => {
    connections += 1;
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    get requests() {
      return requests;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    resetCounters() {
      connections = 0;
      requests = 0;
      maxInFlight = inFlight;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        upstreamAgent.destroy();
      });
    },
  };
}
