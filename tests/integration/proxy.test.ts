/**
 * The client behind a proxy, over real sockets on loopback: a forward proxy that opens CONNECT tunnels and
 * records what it saw, an https front with the test certificates, and the simulator behind it. The API's name,
 * api.narrative.test, resolves nowhere but in the proxy, so a request that reaches the API went through the
 * tunnel, and one that bypasses the proxy fails to resolve the name.
 */
import { expect } from "chai";
import * as path from "node:path";
import { inspect } from "node:util";
import { NarrativeJobsClient, type NarrativeClientOptions, type RetryEvent } from "../../provider/api/client";
import { NarrativeConfigError, NarrativeNetworkError } from "../../provider/api/errors";
import { SEEDED_JOB_IDS, startSimulator, type Simulator } from "../../provider/simulator";
import { REPO_ROOT, runCommand } from "../../scripts/pulumi-harness";
import {
  API_HOST,
  ForwardProxy,
  TEST_CA,
  TEST_CA_FILE,
  TlsFront,
  type ForwardProxyOptions,
} from "../support/proxy-servers";
import { rejection, thrownBy } from "../support/assertions";
import { tokenLeaks } from "../support/token-leaks";

const TOKEN = "tok-PROXY-9f3c1a7e5b2d4c6e8a0f";
const JOB = SEEDED_JOB_IDS.completed;
const PROXY_USER = "ci-robot";
/** Holds an "@", written %40 in the URL, as a real password may. */
const PROXY_PASSWORD = "pr0xy@Pass-7Q2w9e";
const PROXY_VARIABLES = [
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  "ALL_PROXY",
  "all_proxy",
  "NO_PROXY",
  "no_proxy",
];

describe("integration: the client through a proxy (HTTPS_PROXY, NO_PROXY)", function () {
  this.timeout(20_000);
  let sim: Simulator;
  let front: TlsFront;
  let proxy: ForwardProxy | undefined;
  const clients: NarrativeJobsClient[] = [];
  let savedEnv: Record<string, string | undefined>;

  before(async () => {
    sim = await startSimulator({ frozen: true, token: TOKEN });
    front = await TlsFront.start(sim.url);
  });

  after(async () => {
    await front?.close();
    await sim?.close();
  });

  beforeEach(() => {
    savedEnv = Object.fromEntries(PROXY_VARIABLES.map((name) => [name, process.env[name]]));
    for (const name of PROXY_VARIABLES) {
      delete process.env[name];
    }
    sim.reset();
    front.received.length = 0;
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) {
      client.close();
    }
    await proxy?.close();
    proxy = undefined;
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) {
        delete process.env[name];
      } else {
        process.env[name] = value;
      }
    }
  });

  async function startProxy(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
    proxy = await ForwardProxy.start(options);
    return proxy;
  }

  /** The proxy's URL with the user name and password in it. */
  function withCredentials(url: string): string {
    return url.replace("://", `://${PROXY_USER}:${encodeURIComponent(PROXY_PASSWORD)}@`);
  }

  function client(options: Partial<NarrativeClientOptions> = {}): NarrativeJobsClient {
    const made = new NarrativeJobsClient({
      apiUrl: front.apiUrl,
      token: TOKEN,
      ca: TEST_CA,
      baseDelayMs: 0,
      maxDelayMs: 0,
      attemptTimeoutMs: 5_000,
      totalTimeoutMs: 8_000,
      ...options,
    });
    clients.push(made);
    return made;
  }

  /** Neither the proxy's password nor its user name, in any encoding. */
  function expectNoProxyCredentials(text: string): void {
    expect(tokenLeaks(text, PROXY_PASSWORD), text).to.deep.equal([]);
    expect(text).not.to.include(encodeURIComponent(PROXY_PASSWORD));
    expect(text).not.to.include(PROXY_USER);
    expect(text).not.to.include(Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString("base64"));
  }

  /** Neither the proxy's credentials nor the API token. */
  function expectNoSecrets(text: string): void {
    expectNoProxyCredentials(text);
    expect(tokenLeaks(text, TOKEN), text).to.deep.equal([]);
  }

  describe("through the tunnel", () => {
    it("HTTPS_PROXY: every request goes through one kept-alive CONNECT tunnel to the API's host and port", async () => {
      const { url } = await startProxy();
      process.env["HTTPS_PROXY"] = url;
      const narrative = client();

      const { job } = await narrative.getJob(JOB);
      const result = await narrative.reschedule(JOB, { force: true });
      await narrative.getJob(JOB);

      expect(job.job_id).to.equal(JOB);
      expect(result.outcome).to.equal("rescheduled");
      expect(sim.appliedReschedules(JOB)).to.equal(1);
      expect(
        sim.requests.map((request) => `${request.method} ${request.path} ${request.authorized}`),
      ).to.deep.equal([
        `GET /jobs/${JOB} true`,
        `POST /jobs/${JOB}/reschedule true`,
        `GET /jobs/${JOB} true`,
      ]);
      expect(proxy?.tunnels.map((tunnel) => `${tunnel.target} ${tunnel.status}`)).to.deep.equal([
        `${API_HOST}:${front.port} 200`,
      ]);
      expect(proxy?.plainRequests).to.equal(0);
    });

    it("the proxy sees the CONNECT line and nothing readable after it: TLS, never the token or a path", async () => {
      const { url } = await startProxy();
      process.env["HTTPS_PROXY"] = url;
      await client().reschedule(JOB, { force: true });

      const [tunnel] = proxy?.tunnels ?? [];
      expect(Object.keys(tunnel?.headers ?? {}).sort()).to.deep.equal(["host", "proxy-connection"]);
      const relayed = proxy?.relayed() ?? Buffer.alloc(0);
      // 0x16 0x03: a TLS handshake record, the ClientHello.
      expect([...relayed.subarray(0, 2)]).to.deep.equal([0x16, 0x03]);
      const text = relayed.toString("latin1");
      for (const plain of [TOKEN, "Bearer", "Authorization", "/jobs/", "reschedule", '"force"']) {
        expect(text, plain).not.to.include(plain);
      }
      expect(tokenLeaks(text, TOKEN)).to.deep.equal([]);
      // The API, past the TLS front, did receive the token: the tunnel carried it encrypted.
      expect(Buffer.concat(front.received).toString("latin1")).to.include(`Authorization: Bearer ${TOKEN}`);
    });

    for (const variable of ["https_proxy", "ALL_PROXY", "all_proxy"]) {
      it(`${variable} is honoured too`, async () => {
        const { url } = await startProxy();
        process.env[variable] = url;
        await client().getJob(JOB);
        expect(proxy?.tunnels).to.have.length(1);
      });
    }

    it("https_proxy wins over HTTPS_PROXY, as in proxy-from-env and curl", async () => {
      const { url } = await startProxy();
      process.env["https_proxy"] = url;
      process.env["HTTPS_PROXY"] = "http://127.0.0.1:9";
      await client().getJob(JOB);
      expect(proxy?.tunnels).to.have.length(1);
    });

    it("a value without a scheme is an http:// proxy, as curl and the Pulumi CLI read it", async () => {
      const { url } = await startProxy();
      process.env["HTTPS_PROXY"] = url.replace("http://", "");
      await client().getJob(JOB);
      expect(proxy?.tunnels).to.have.length(1);
    });

    it("an https:// proxy: TLS to the proxy, and the API's own TLS inside it", async () => {
      const { url } = await startProxy({ tls: true });
      process.env["HTTPS_PROXY"] = url.replace("127.0.0.1", "localhost");
      await client().getJob(JOB);
      expect(proxy?.tunnels.map((tunnel) => tunnel.status)).to.deep.equal([200]);
      expect([...(proxy?.relayed().subarray(0, 2) ?? [])]).to.deep.equal([0x16, 0x03]);
    });

    it("HTTP_PROXY alone does not apply to the https API (as in curl and the Pulumi CLI)", async () => {
      const { url } = await startProxy();
      process.env["HTTP_PROXY"] = url;
      const error = await rejection(client().getJob(JOB));
      expect(error).to.be.instanceOf(NarrativeNetworkError);
      expect(error.message).to.include(`getaddrinfo ENOTFOUND ${API_HOST}`);
      expect(proxy?.tunnels).to.have.length(0);
    });

    it("a loopback API is never proxied: the simulator over http, the https front by 127.0.0.1 and localhost", async () => {
      const { url } = await startProxy();
      for (const variable of ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"]) {
        process.env[variable] = url;
      }
      await client({ apiUrl: sim.url }).getJob(JOB);
      await client({ apiUrl: `https://127.0.0.1:${front.port}` }).getJob(JOB);
      await client({ apiUrl: `https://localhost:${front.port}` }).getJob(JOB);
      expect(sim.requests).to.have.length(3);
      expect(proxy?.tunnels).to.have.length(0);
      expect(proxy?.plainRequests).to.equal(0);
    });
  });

  describe("NO_PROXY", () => {
    const bypassing = (port: () => number): [string, () => string][] => [
      ["the exact host", () => API_HOST],
      ["a domain suffix with a leading dot", () => ".narrative.test"],
      ["a domain suffix with *.", () => "*.narrative.test"],
      ["*", () => "*"],
      ["the host with the API's port", () => `${API_HOST}:${port()}`],
      ["a list, spaces and upper case", () => `localhost, 127.0.0.1 ,API.Narrative.TEST`],
    ];
    for (const [what, value] of bypassing(() => front.port)) {
      it(`${what} bypasses the proxy: the request goes straight (and here cannot resolve the name)`, async () => {
        const { url } = await startProxy();
        process.env["HTTPS_PROXY"] = url;
        process.env["NO_PROXY"] = value();
        const error = await rejection(client().getJob(JOB));
        expect(error.message).to.include(`getaddrinfo ENOTFOUND ${API_HOST}`);
        expect(error.message).not.to.include("proxy 127.0.0.1");
        expect(proxy?.tunnels).to.have.length(0);
      });
    }

    for (const [what, value] of [
      ["another port", `${API_HOST}:1`],
      ["another host", "narrative.test"],
      ["a host that only ends the same", "i.narrative.test"],
    ] as const) {
      it(`${what} (${value}) does not: the request goes through the proxy`, async () => {
        const { url } = await startProxy();
        process.env["HTTPS_PROXY"] = url;
        process.env["no_proxy"] = value;
        await client().getJob(JOB);
        expect(proxy?.tunnels).to.have.length(1);
      });
    }
  });

  describe("proxy credentials", () => {
    it("go to the proxy as Proxy-Authorization: Basic, and never to the API", async () => {
      const { url } = await startProxy({ credentials: `${PROXY_USER}:${PROXY_PASSWORD}` });
      process.env["HTTPS_PROXY"] = withCredentials(url);
      await client().reschedule(JOB, { force: true });
      expect(proxy?.tunnels.map((tunnel) => tunnel.status)).to.deep.equal([200]);
      expect(proxy?.tunnels[0]?.headers["proxy-authorization"]).to.equal(
        `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString("base64")}`,
      );
      const reachedApi = Buffer.concat(front.received).toString("latin1");
      expect(reachedApi).to.include("POST /jobs/");
      expect(reachedApi.toLowerCase()).not.to.include("proxy-authorization");
      expectNoProxyCredentials(reachedApi);
    });

    it("are in neither the client's inspection nor its JSON", async () => {
      const { url } = await startProxy();
      process.env["HTTPS_PROXY"] = withCredentials(url);
      const narrative = client();
      expectNoSecrets(inspect(narrative, { depth: 8, showHidden: true }));
      expectNoSecrets(JSON.stringify(narrative));
    });

    it("a 407: a clear error naming the proxy and HTTPS_PROXY, no retry, nothing sent, no credentials shown", async () => {
      const { url } = await startProxy({ credentials: `${PROXY_USER}:another-password` });
      process.env["HTTPS_PROXY"] = withCredentials(url);
      const retries: RetryEvent[] = [];
      const error = await rejection(
        client({ onRetry: (event) => retries.push(event) }).reschedule(JOB, { force: true }),
      );

      expect(error).to.be.instanceOf(NarrativeNetworkError);
      const proxyHost = new URL(url).host;
      expect(error.message).to.include(
        `POST /jobs/${JOB}/reschedule on ${API_HOST}:${front.port} failed: could not talk to the API (the proxy ` +
          `${proxyHost} from HTTPS_PROXY answered 407 Proxy Authentication Required: check the user name and ` +
          "password in HTTPS_PROXY (http://user:password@host:port))",
      );
      // Nothing reached the API, so nobody has to wonder whether the job was rescheduled.
      expect(error.message).not.to.include("may or may not");
      expect((error as NarrativeNetworkError).code).to.equal("ERR_PROXY_REFUSED");
      expect(retries).to.deep.equal([]);
      expect(proxy?.tunnels).to.have.length(1);
      expect(sim.requests).to.have.length(0);
      expectNoSecrets(`${error.message}\n${error.stack ?? ""}\n${inspect(error, { depth: 8 })}`);
    });

    it("a proxy that is not there: retried, then an error naming it and HTTPS_PROXY; no credentials in any line", async () => {
      const { url } = await startProxy();
      await proxy?.close();
      proxy = undefined;
      process.env["HTTPS_PROXY"] = withCredentials(url);
      const retries: RetryEvent[] = [];
      const error = await rejection(
        client({ totalTimeoutMs: 300, onRetry: (event) => retries.push(event) }).getJob(JOB),
      );

      expect(error).to.be.instanceOf(NarrativeNetworkError);
      expect(error.message).to.include(
        `could not reach the proxy ${new URL(url).host} from HTTPS_PROXY: connect ECONNREFUSED`,
      );
      expect(error.message).to.include(
        `check HTTPS_PROXY, or NO_PROXY if ${API_HOST} is to be reached directly`,
      );
      expect(retries.length).to.be.greaterThan(0);
      expect(retries[0]?.reason).to.include(`could not reach the proxy ${new URL(url).host}`);
      expectNoSecrets(`${error.message}\n${error.stack ?? ""}\n${JSON.stringify(retries)}`);
    });
  });

  describe("a proxy that refuses the tunnel", () => {
    it("403: not retried, names the proxy and what to check, and the reschedule was certainly not sent", async () => {
      const { url } = await startProxy({ answers: [403] });
      process.env["HTTPS_PROXY"] = url;
      const error = await rejection(client().reschedule(JOB, { force: true }));
      expect(error.message).to.include(
        `the proxy ${new URL(url).host} from HTTPS_PROXY refused the tunnel to ${API_HOST}:${front.port} ` +
          `with 403 Forbidden: check that it allows ${API_HOST}:${front.port}, or NO_PROXY if ${API_HOST} is to be reached directly`,
      );
      expect(error.message).not.to.include("may or may not");
      expect(proxy?.tunnels).to.have.length(1);
      expect(sim.requests).to.have.length(0);
    });

    it("502 (the proxy cannot reach the API): retried, and the reschedule is sent once the tunnel opens", async () => {
      const { url } = await startProxy({ answers: [502, 503] });
      process.env["HTTPS_PROXY"] = url;
      const retries: RetryEvent[] = [];
      const result = await client({ onRetry: (event) => retries.push(event) }).reschedule(JOB, {
        force: true,
      });

      expect(result).to.include({ outcome: "rescheduled", attempts: 3, verifiedByGet: false });
      expect(retries.map((event) => event.reason)).to.deep.equal([
        `the proxy ${new URL(url).host} from HTTPS_PROXY could not reach ${API_HOST}:${front.port} (502 Bad Gateway)`,
        `the proxy ${new URL(url).host} from HTTPS_PROXY could not reach ${API_HOST}:${front.port} (503 Service Unavailable)`,
      ]);
      expect(sim.writes()).to.have.length(1);
      expect(sim.appliedReschedules(JOB)).to.equal(1);
    });
  });

  describe("a proxy setting that cannot be used", () => {
    for (const [what, value, problem] of [
      [
        "a SOCKS proxy",
        `socks5://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:1080`,
        "HTTPS_PROXY names a socks5:// proxy",
      ],
      ["not a URL", `http://${PROXY_USER}:${PROXY_PASSWORD}@[proxy`, "HTTPS_PROXY is not a proxy URL"],
      ["a broken %-escape", `http://${PROXY_USER}:${PROXY_PASSWORD}%zz@127.0.0.1:3128`, "a broken %-escape"],
    ] as const) {
      it(`${what}: a configuration error before anything is sent, the value not shown`, () => {
        process.env["HTTPS_PROXY"] = value;
        const error = thrownBy(() => client());
        expect(error).to.be.instanceOf(NarrativeConfigError);
        const message = (error as Error).message;
        expect(message).to.include(problem);
        expect(message).to.include("Its value is not shown: it may hold a password. Nothing was sent.");
        expectNoSecrets(message);
        expect(sim.requests).to.have.length(0);
      });
    }

    it("a NO_PROXY that lists the API: the unusable setting is never read", async () => {
      process.env["HTTPS_PROXY"] = "socks5://127.0.0.1:1080";
      process.env["NO_PROXY"] = API_HOST;
      const error = await rejection(client().getJob(JOB));
      expect(error.message).to.include(`getaddrinfo ENOTFOUND ${API_HOST}`);
    });
  });

  describe("the command-line tool (lib/cli/main.js, built)", () => {
    it("goes through HTTPS_PROXY and trusts a company CA from NODE_EXTRA_CA_CERTS", async () => {
      const { url } = await startProxy({ credentials: `${PROXY_USER}:${PROXY_PASSWORD}` });
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const name of Object.keys(env)) {
        if (name.startsWith("NARRATIVE_") || PROXY_VARIABLES.includes(name)) {
          delete env[name];
        }
      }
      const result = await runCommand(
        process.execPath,
        [path.join(REPO_ROOT, "lib", "cli", "main.js"), "get", JOB],
        {
          env: {
            ...env,
            NARRATIVE_API_URL: front.apiUrl,
            NARRATIVE_API_TOKEN: TOKEN,
            HTTPS_PROXY: withCredentials(url),
            NODE_EXTRA_CA_CERTS: TEST_CA_FILE,
          },
          allowFailure: true,
        },
      );
      expect(result.code, result.output).to.equal(0);
      expect(result.output).to.match(new RegExp(`^job +${JOB}$`, "m"));
      expect(proxy?.tunnels.map((tunnel) => `${tunnel.target} ${tunnel.status}`)).to.deep.equal([
        `${API_HOST}:${front.port} 200`,
      ]);
      expectNoSecrets(result.output);
    });
  });
});
