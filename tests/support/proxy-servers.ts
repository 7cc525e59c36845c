/**
 * What the proxy tests run on loopback: a forward proxy that opens CONNECT tunnels and records what it saw, and
 * an https front (the test certificates of tests/fixtures/tls) that passes the decrypted bytes on to the
 * simulator's plain http. Between them, a client given `https://api.narrative.test:<front port>` reaches the
 * simulator only through the proxy: the name exists nowhere else, and the proxy resolves it to 127.0.0.1 as a
 * company's proxy resolves names its own way.
 */
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";
import * as tls from "node:tls";

const TLS_DIR = path.join(__dirname, "..", "fixtures", "tls");
/** The test certificate authority: trust it through the client's `ca` option or NODE_EXTRA_CA_CERTS. */
export const TEST_CA_FILE = path.join(TLS_DIR, "ca.pem");
export const TEST_CA = readFileSync(TEST_CA_FILE, "utf8");
const SERVER_CERT = {
  cert: readFileSync(path.join(TLS_DIR, "server.pem")),
  key: readFileSync(path.join(TLS_DIR, "server.key")),
};
/** The API's host name in these tests: only the proxy knows where it is. */
export const API_HOST = "api.narrative.test";

/** One CONNECT the proxy received, and what it relayed. */
export interface Tunnel {
  /** The request line's target, e.g. "api.narrative.test:41234". */
  target: string;
  /** The CONNECT's headers as received, names lower-case. */
  headers: http.IncomingHttpHeaders;
  /** The status the proxy answered: 200 for a tunnel it opened. */
  status: number;
  /** Every byte the client sent into the tunnel. */
  sent: Buffer[];
}

export interface ForwardProxyOptions {
  /** "user:password" the proxy demands (Proxy-Authorization: Basic); without it, any CONNECT is let through. */
  credentials?: string;
  /** The status to answer each CONNECT with instead of opening it, one entry per CONNECT, 200 to open. */
  answers?: number[];
  /** Serve the proxy itself over TLS (an https:// proxy URL). */
  tls?: boolean;
}

/** A forward proxy on 127.0.0.1: CONNECT only, the way a company's proxy carries https. */
export class ForwardProxy {
  readonly tunnels: Tunnel[] = [];
  /** Requests that were not CONNECT (a plain-http proxy request): the client never sends one. */
  plainRequests = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
    const server = options.tls === true ? https.createServer(SERVER_CERT) : http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    const proxy = new ForwardProxy(server, `${options.tls === true ? "https" : "http"}://127.0.0.1:${port}`);
    server.on("connection", (socket: net.Socket) => proxy.keep(socket));
    server.on("secureConnection", (socket: net.Socket) => proxy.keep(socket));
    server.on("request", (_request: http.IncomingMessage, response: http.ServerResponse) => {
      proxy.plainRequests += 1;
      response.writeHead(400).end();
    });
    server.on("connect", (request: http.IncomingMessage, socket: net.Socket, head: Buffer) =>
      proxy.connect(request, socket, head, options),
    );
    return proxy;
  }

  /** Every byte sent into any tunnel, as one buffer. */
  relayed(): Buffer {
    return Buffer.concat(this.tunnels.flatMap((tunnel) => tunnel.sent));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) {
      socket.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private keep(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
  }

  private connect(
    request: http.IncomingMessage,
    socket: net.Socket,
    head: Buffer,
    options: ForwardProxyOptions,
  ): void {
    const tunnel: Tunnel = { target: request.url ?? "", headers: request.headers, status: 0, sent: [] };
    this.tunnels.push(tunnel);
    socket.on("error", () => undefined);
    const expected =
      options.credentials === undefined
        ? undefined
        : `Basic ${Buffer.from(options.credentials).toString("base64")}`;
    const scripted = options.answers?.[this.tunnels.length - 1];
    tunnel.status =
      expected !== undefined && request.headers["proxy-authorization"] !== expected ? 407 : (scripted ?? 200);
    if (tunnel.status !== 200) {
      const challenge = tunnel.status === 407 ? 'Proxy-Authenticate: Basic realm="test"\r\n' : "";
      socket.end(
        `HTTP/1.1 ${tunnel.status} ${http.STATUS_CODES[tunnel.status] ?? ""}\r\n${challenge}Content-Length: 0\r\n\r\n`,
      );
      return;
    }
    const port = Number(/:(\d+)$/.exec(tunnel.target)?.[1]);
    // Every name resolves to this machine: the only API there is.
    const upstream = net.connect(port, "127.0.0.1", () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) {
        tunnel.sent.push(head);
        upstream.write(head);
      }
      socket.on("data", (chunk: Buffer) => tunnel.sent.push(chunk));
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    this.keep(upstream);
    upstream.on("error", () => socket.destroy());
    socket.on("close", () => upstream.destroy());
  }
}

/** An https server on 127.0.0.1 that passes each connection's decrypted bytes on to a plain-http server. */
export class TlsFront {
  /** What clients sent, decrypted: what reached the API. */
  readonly received: Buffer[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly server: tls.Server;
  port = 0;

  private constructor(targetPort: number) {
    this.server = tls.createServer(SERVER_CERT, (socket) => {
      this.keep(socket);
      socket.on("error", () => undefined);
      socket.on("data", (chunk: Buffer) => this.received.push(chunk));
      const upstream = net.connect(targetPort, "127.0.0.1");
      this.keep(upstream);
      upstream.on("error", () => socket.destroy());
      socket.on("close", () => upstream.destroy());
      upstream.on("close", () => socket.destroy());
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
  }

  /** In front of `target`, e.g. the simulator's `http://127.0.0.1:PORT`. */
  static async start(target: string): Promise<TlsFront> {
    const front = new TlsFront(Number(new URL(target).port));
    await new Promise<void>((resolve) => front.server.listen(0, "127.0.0.1", resolve));
    front.port = (front.server.address() as net.AddressInfo).port;
    return front;
  }

  /** The API's URL as the client is given it: a name only the proxy resolves. */
  get apiUrl(): string {
    return `https://${API_HOST}:${this.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) {
      socket.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private keep(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
  }
}
