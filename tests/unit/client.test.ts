import { expect } from "chai";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { getEventListeners } from "node:events";
import * as util from "node:util";
import * as sinon from "sinon";
import { NarrativeJobsClient, type NarrativeClientOptions, type RetryEvent } from "../../provider/api/client";
import {
  NarrativeApiError,
  NarrativeConfigError,
  NarrativeError,
  NarrativeNetworkError,
  NarrativeTimeoutError,
} from "../../provider/api/errors";
import { rawJsonMember } from "../../provider/common/json";
import type { Job } from "../../provider/api/types";
import { rejection, thrownBy } from "../support/assertions";
import { BASELINE, jobText } from "../support/example-job";
import { TOKEN_ENCODINGS, tokenLeaks } from "../support/token-leaks";

const TOKEN = "ldg8uuGibVJNHI9s+dcdIQ==";
const JOB_ID = "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c";
const OTHER_JOB_ID = "0e6c1d6c-3f3f-4d57-9d2e-6f1f3a9b1a11";

/** JSON text without its whitespace, numbers untouched: how a member of an answer is kept. */
function compact(text: string): string {
  return rawJsonMember(`{"job":${text}}`, "job") ?? "";
}
const RESCHEDULED_JOB_TEXT = jobText({
  state: "pending",
  updated_at: "2024-05-01T10:00:00.000001",
  executor: "null",
});

function rescheduleBody(outcome: string, job: string): string {
  return `{"outcome": "${outcome}",\n "job": ${job}}`;
}

interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** How many requests with this method came before this one. */
  methodIndex: number;
}

type Handler = (request: SeenRequest, res: http.ServerResponse) => void;

interface ScriptedApi {
  url: string;
  port: number;
  requests: SeenRequest[];
  connections: number;
  close(): Promise<void>;
}

const servers: http.Server[] = [];
const clients: NarrativeJobsClient[] = [];

/** A tiny API on 127.0.0.1 whose every answer the test writes. */
async function startApi(handler: Handler, port = 0): Promise<ScriptedApi> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const method = req.method ?? "";
      const request: SeenRequest = {
        method,
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        methodIndex: requests.filter((seen) => seen.method === method).length,
      };
      requests.push(request);
      handler(request, res);
    });
  });
  servers.push(server);
  const api: ScriptedApi = {
    url: "",
    port: 0,
    requests,
    connections: 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on("connection", () => api.connections++);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  api.port = (server.address() as AddressInfo).port;
  api.url = `http://127.0.0.1:${api.port}`;
  return api;
}

function send(
  res: http.ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(body);
}

/** Closes the connection without an answer, as a crashing proxy would. */
function drop(res: http.ServerResponse): void {
  res.socket?.destroy();
}

/** Sends the status and half the body, then cuts the connection. */
function sendTruncated(
  res: http.ServerResponse,
  status: number,
  body: string,
  framing: "chunked" | "content-length",
): void {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (framing === "content-length") {
    headers["Content-Length"] = String(Buffer.byteLength(body));
  }
  res.writeHead(status, headers);
  res.write(body.slice(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = await startApi(() => undefined);
  await probe.close();
  return probe.port;
}

/** A clock that only moves by the client's sleeps (plus real time), so nothing waits for real. */
function virtualClock(): { now: () => number; sleep: (ms: number) => Promise<void>; sleeps: number[] } {
  let offsetMs = 0;
  const sleeps: number[] = [];
  return {
    now: () => Date.now() + offsetMs,
    sleep: async (ms) => {
      sleeps.push(ms);
      offsetMs += ms;
    },
    sleeps,
  };
}

function makeClient(
  apiUrl: string,
  overrides: Partial<NarrativeClientOptions> = {},
): { client: NarrativeJobsClient; events: RetryEvent[]; sleeps: number[] } {
  const clock = virtualClock();
  const events: RetryEvent[] = [];
  const client = new NarrativeJobsClient({
    apiUrl,
    token: TOKEN,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
    onRetry: (event) => events.push(event),
    ...overrides,
  });
  clients.push(client);
  return { client, events, sleeps: clock.sleeps };
}

/** Every way an error could be shown or stored, cause chain included. */
function everyRendering(error: unknown): string {
  const renderings: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 10; depth++) {
    renderings.push(util.inspect(current, { showHidden: true, depth: 20, getters: true }));
    renderings.push(JSON.stringify(current, Object.getOwnPropertyNames(current)));
    renderings.push(JSON.stringify(current));
    renderings.push(String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return renderings.join("\n");
}

afterEach(async () => {
  for (const client of clients.splice(0)) {
    client.close();
  }
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

describe("NarrativeJobsClient", () => {
  describe("options and arguments", () => {
    it("refuses a missing or unusable token, naming narrative:token and how to set it", () => {
      for (const token of ["", "   ", "with space", "line\nbreak", undefined]) {
        const error = thrownBy(
          () => new NarrativeJobsClient({ apiUrl: "https://api.narrative.io", token: token as string }),
          Error,
          JSON.stringify(token),
        );
        expect(error, JSON.stringify(token)).to.be.instanceOf(NarrativeConfigError);
        const configError = error as NarrativeConfigError;
        expect(configError.property).to.equal("narrative:token");
        expect(configError.message).to.include("pulumi config set --secret narrative:token");
        expect(configError.message).to.include("NARRATIVE_API_TOKEN");
        if (token !== undefined && token.trim() !== "") {
          expect(configError.message).not.to.include(token);
        }
      }
    });

    it("refuses a token an HTTP header cannot carry before any request, never showing it", async () => {
      const api = await startApi((_request, res) => send(res, 200, jobText()));
      const secret = "ldg8uuGibVJNHI9s";
      const tokens = [
        `${secret}\u20ac=`, // outside Latin-1: node-fetch refuses the header
        `${secret}\u00e9=`, // Latin-1, but no API key holds it: it would go out as the byte 0xE9
        `${secret}\u200b`, // a zero-width space pasted with the key
        `${secret}\u2028x`,
        `${secret}\u0000x`,
        `${secret}\u00a0x`,
        `\ufeff${secret}`,
      ];
      for (const token of tokens) {
        const shown = JSON.stringify(token);
        const error = await rejection(
          (async () => {
            const { client } = makeClient(api.url, { token });
            await client.getJob(JOB_ID);
          })(),
          Error,
          shown,
        );
        expect(error, shown).to.be.instanceOf(NarrativeConfigError);
        const configError = error as NarrativeConfigError;
        expect(configError.property, shown).to.equal("narrative:token");
        expect(configError.message, shown).to.include("narrative:token").and.include("NARRATIVE_API_TOKEN");
        expect(everyRendering(configError), shown).not.to.include(secret.slice(0, 8));
      }
      expect(api.requests).to.have.length(0);
    });

    it("refuses an apiUrl that is not an absolute http(s) URL, or carries credentials", () => {
      for (const apiUrl of [
        "api.narrative.io",
        "ftp://api.narrative.io",
        "/jobs",
        "https://u:p@api.narrative.io",
      ]) {
        expect(() => new NarrativeJobsClient({ apiUrl, token: TOKEN }), apiUrl)
          .to.throw(NarrativeConfigError, /apiUrl/)
          .with.property("property", "apiUrl");
      }
    });

    it("refuses http:// beyond loopback and credentials in the URL before any connection, naming the setting and echoing no user-info", () => {
      const cases: [string, RegExp][] = [
        [
          "http://api.narrative.io",
          /narrative:apiUrl must use https:\/\/ .*got "http:\/\/api\.narrative\.io"/,
        ],
        ["http://10.0.0.7:8080/api", /narrative:apiUrl must use https:\/\//],
        [
          "https://deploy-bot:Pa55-w0rd@api.narrative.io",
          /narrative:apiUrl must not contain a user name or password/,
        ],
        [
          "https://deploy-bot:Pa55@w0rd?x#y@api.narrative.io/",
          /narrative:apiUrl must not contain a user name or password/,
        ],
        [
          "ftp://deploy-bot:Pa55-w0rd@api.narrative.io",
          /narrative:apiUrl must not contain a user name or password/,
        ],
      ];
      for (const [apiUrl, message] of cases) {
        const error = thrownBy(
          () => new NarrativeJobsClient({ apiUrl, apiUrlSetting: "narrative:apiUrl", token: TOKEN }),
          Error,
          apiUrl,
        );
        expect(error, apiUrl)
          .to.be.instanceOf(NarrativeConfigError)
          .with.property("property", "narrative:apiUrl");
        const shown = everyRendering(error);
        expect((error as Error).message, apiUrl).to.match(message);
        for (const secret of ["deploy-bot", "Pa55", "w0rd"]) {
          expect(shown, apiUrl).not.to.include(secret);
        }
      }
      const { client } = makeClient("http://localhost:4567");
      expect(client.apiHost).to.equal("localhost:4567");
    });

    it("shows a redirect's Location without its user name or password", async () => {
      const api = await startApi((_request, res) =>
        send(res, 302, "", { Location: "https://proxy-admin:S3cr3t-pw@login.example/sso?next=%2Fjobs" }),
      );
      const { client } = makeClient(api.url);
      const error = (await rejection(client.getJob(JOB_ID))) as NarrativeApiError;
      expect(error.status).to.equal(302);
      expect(error.message).to.include("Location: https://…@login.example/sso?next=%2Fjobs");
      const shown = everyRendering(error);
      expect(shown).not.to.include("proxy-admin").and.not.to.include("S3cr3t");
    });

    it("refuses timeouts that are not positive numbers, naming the option", () => {
      expect(
        () =>
          new NarrativeJobsClient({ apiUrl: "https://api.narrative.io", token: TOKEN, totalTimeoutMs: 0 }),
      )
        .to.throw(NarrativeConfigError, /totalTimeoutMs/)
        .with.property("property", "totalTimeoutMs");
      expect(
        () =>
          new NarrativeJobsClient({
            apiUrl: "https://api.narrative.io",
            token: TOKEN,
            attemptTimeoutMs: NaN,
          }),
      ).to.throw(NarrativeConfigError, /attemptTimeoutMs/);
    });

    it("knows its host, port included, and never shows the token when inspected", () => {
      const { client } = makeClient("http://127.0.0.1:4567/prefix/");
      expect(client.apiHost).to.equal("127.0.0.1:4567");
      expect(util.inspect(client, { showHidden: true, depth: 5 })).not.to.include(TOKEN);
      expect(JSON.stringify(client)).not.to.include(TOKEN);
    });

    it("refuses a jobId that is not a UUID before sending anything", async () => {
      const api = await startApi((_request, res) => send(res, 200, jobText()));
      const { client } = makeClient(api.url);
      for (const jobId of ["", "123", `${JOB_ID}/reschedule`, "../jobs", TOKEN]) {
        const error = await rejection(client.getJob(jobId));
        expect(error, jobId).to.be.instanceOf(NarrativeConfigError).with.property("property", "jobId");
        expect(error.message).not.to.include(TOKEN);
        expect(await rejection(client.reschedule(jobId, { force: true }))).to.be.instanceOf(
          NarrativeConfigError,
        );
      }
      expect(api.requests).to.have.length(0);
    });
  });

  describe("getJob", () => {
    it("sends the headers, honours a path prefix, and keeps the job's exact bytes and unknown fields", async () => {
      const body = jobText();
      const api = await startApi((_request, res) => send(res, 200, body));
      const { client, events } = makeClient(`${api.url}/api/v1/`);
      const { job, jobJson } = await client.getJob(JOB_ID);

      expect(jobJson).to.equal(body);
      expect(jobJson).to.include('"snapshot_id": 1724919539450264583');
      expect(job.job_id).to.equal(JOB_ID);
      expect(job["future_field"]).to.deep.equal({ nested: [1, 2.5, "x"] });
      expect(events).to.have.length(0);

      const [request] = api.requests;
      expect(request?.method).to.equal("GET");
      expect(request?.url).to.equal(`/api/v1/jobs/${JOB_ID}`);
      expect(request?.headers["authorization"]).to.equal(`Bearer ${TOKEN}`);
      expect(request?.headers["accept"]).to.equal("application/json");
      expect(request?.headers["user-agent"]).to.match(/^pulumi-narrative-jobs\/\d+\.\d+\.\d+/);
      expect(request?.headers["content-type"]).to.equal(undefined);
    });

    it("uses one keep-alive connection for many sequential calls", async () => {
      const api = await startApi((_request, res) => send(res, 200, jobText()));
      const { client } = makeClient(api.url);
      for (let call = 0; call < 25; call++) {
        await client.getJob(JOB_ID);
      }
      expect(api.requests).to.have.length(25);
      expect(api.connections).to.equal(1);
    });

    it("hands an attempt's abort signal to the next attempt only after a clean answer, never still listened to", async () => {
      // Every answer a signal can end on: read to its end, cut off, an error status, silence, over the limit.
      const answers: ((res: http.ServerResponse) => void)[] = [
        (res) => send(res, 200, jobText()),
        (res) => sendTruncated(res, 200, jobText(), "chunked"),
        (res) => send(res, 200, jobText()),
        (res) => send(res, 503, '{"detail":"busy"}'),
        (res) => send(res, 200, jobText()),
        () => undefined,
        (res) => send(res, 200, jobText()),
        (res) => {
          res.writeHead(200, {
            "Content-Type": "application/json",
            "Content-Length": String(2 * 1024 * 1024),
          });
          res.write("{");
        },
        (res) => send(res, 200, jobText()),
        (res) => send(res, 200, jobText()),
      ];
      const api = await startApi((request, res) => answers[request.methodIndex]?.(res));
      const { client } = makeClient(api.url, { attemptTimeoutMs: 300 });
      const signals = new Set<AbortSignal>();
      const listenersAlready: number[] = [];
      const addEventListener = EventTarget.prototype.addEventListener;
      sinon.stub(EventTarget.prototype, "addEventListener").callsFake(function (
        this: EventTarget,
        ...args: Parameters<EventTarget["addEventListener"]>
      ) {
        if (this instanceof AbortSignal && args[0] === "abort") {
          signals.add(this);
          listenersAlready.push(getEventListeners(this, "abort").length + (this.aborted ? 100 : 0));
        }
        addEventListener.apply(this, args);
      });
      const outcomes: string[] = [];
      for (let call = 0; call < 6; call++) {
        outcomes.push(
          await client.getJob(JOB_ID).then(
            ({ job }) => job.job_id,
            (error: Error) => error.constructor.name,
          ),
        );
      }
      expect(outcomes).to.deep.equal([JOB_ID, JOB_ID, JOB_ID, JOB_ID, "NarrativeApiError", JOB_ID]);
      expect(api.requests).to.have.length(answers.length - 1);
      expect(listenersAlready, "listeners on each signal as node-fetch took it").to.deep.equal(
        answers.slice(1).map(() => 0),
      );
      // One, then a new one after the cut body, the silence and the answer over the limit; the 503's body was read.
      expect(signals.size, "signals made").to.equal(4);
    });

    it("takes a custom User-Agent", async () => {
      const api = await startApi((_request, res) => send(res, 200, jobText()));
      const { client } = makeClient(api.url, { userAgent: "my-tool/1.0" });
      await client.getJob(JOB_ID);
      expect(api.requests[0]?.headers["user-agent"]).to.equal("my-tool/1.0");
    });
  });

  describe("listJobs and listAllJobs", () => {
    it("writes the filters as a query string and returns the page", async () => {
      const page = `{"current_page": 3, "total_pages": 9, "total_records": 450, "records": [${jobText()}]}`;
      const api = await startApi((_request, res) => send(res, 200, page));
      const { client } = makeClient(api.url);
      const result = await client.listJobs({
        per_page: 50,
        offset: 100,
        state: "running",
        order_by: "updated_at_desc",
        data_plane_id: "f79cbdae-4848-47ca-95e8-69588364d185",
        dataset_id: 10736,
        type: "materialize-view",
      });
      expect(api.requests[0]?.url).to.equal(
        "/jobs?data_plane_id=f79cbdae-4848-47ca-95e8-69588364d185&dataset_id=10736&state=running" +
          "&type=materialize-view&order_by=updated_at_desc&per_page=50&offset=100",
      );
      expect(result.current_page).to.equal(3);
      expect(result.records[0]?.job_id).to.equal(JOB_ID);
      await client.listJobs();
      expect(api.requests[1]?.url).to.equal("/jobs");
    });

    it("refuses bad filters with an error naming the filter, sending nothing", async () => {
      const api = await startApi((_request, res) => send(res, 200, '{"records": []}'));
      const { client } = makeClient(api.url);
      const bad: [Record<string, unknown>, string][] = [
        [{ per_page: 0 }, "per_page"],
        [{ per_page: 501 }, "per_page"],
        [{ per_page: 2.5 }, "per_page"],
        [{ per_page: 50, offset: 70 }, "offset"],
        [{ per_page: 50, offset: -50 }, "offset"],
        [{ offset: 100 }, "offset"],
        [{ order_by: "newest" }, "order_by"],
        [{ data_plane_id: "not-a-uuid" }, "data_plane_id"],
        [{ dataset_id: "10736" }, "dataset_id"],
        [{ perPage: 10 }, "perPage"],
      ];
      for (const [filters, property] of bad) {
        const error = await rejection(client.listJobs(filters));
        expect(error, JSON.stringify(filters)).to.be.instanceOf(NarrativeConfigError);
        expect((error as NarrativeConfigError).property).to.equal(property);
        expect(error.message).to.include(property);
      }
      expect(api.requests).to.have.length(0);
    });

    it("walks every page by offset, once per job even when jobs shift between pages", async () => {
      const ids = Array.from({ length: 5 }, (_, index) => `00000000-0000-4000-8000-00000000000${index}`);
      const pages: string[][] = [
        [ids[0]!, ids[1]!],
        [ids[1]!, ids[2]!],
        [ids[3]!, ids[4]!],
      ];
      const api = await startApi((request, res) => {
        const offset = Number(new URL(request.url, "http://x").searchParams.get("offset"));
        const records = (pages[offset / 2] ?? []).map((id) => jobText({ job_id: id }));
        send(
          res,
          200,
          `{"current_page": ${offset / 2 + 1}, "total_pages": 4, "records": [${records.join(",")}]}`,
        );
      });
      const { client } = makeClient(api.url);
      const seen: string[] = [];
      for await (const job of client.listAllJobs({ per_page: 2, state: "completed" })) {
        seen.push(job.job_id);
      }
      expect(seen).to.deep.equal(ids);
      expect(api.requests.map((request) => request.url)).to.deep.equal([
        "/jobs?state=completed&per_page=2&offset=0",
        "/jobs?state=completed&per_page=2&offset=2",
        "/jobs?state=completed&per_page=2&offset=4",
        "/jobs?state=completed&per_page=2&offset=6",
      ]);
    });

    it("stops at the last page the API announces, and refuses an offset", async () => {
      const api = await startApi((_request, res) =>
        send(res, 200, `{"current_page": 1, "total_pages": 1, "records": [${jobText()}]}`),
      );
      const { client } = makeClient(api.url);
      const jobs: Job[] = [];
      for await (const job of client.listAllJobs({ per_page: 1 })) {
        jobs.push(job);
      }
      expect(jobs).to.have.length(1);
      expect(api.requests).to.have.length(1);
      const walk = client.listAllJobs({ offset: 10 } as object)[Symbol.asyncIterator]();
      expect(await rejection(walk.next()))
        .to.be.instanceOf(NarrativeConfigError)
        .with.property("property", "offset");
    });
  });

  describe("GET retries", () => {
    it("honours Retry-After in seconds on 429", async () => {
      const api = await startApi((request, res) =>
        request.methodIndex === 0
          ? send(res, 429, '{"title": "Too Many Requests"}', { "Retry-After": "2" })
          : send(res, 200, jobText()),
      );
      const { client, events, sleeps } = makeClient(api.url);
      await client.getJob(JOB_ID);
      expect(sleeps).to.deep.equal([2_000]);
      expect(events).to.deep.equal([
        {
          call: `GET /jobs/${JOB_ID}`,
          jobId: JOB_ID,
          attempt: 1,
          delayMs: 2_000,
          reason: "429 Too Many Requests (Retry-After 2s)",
        },
      ]);
    });

    it("honours Retry-After as an HTTP date on 429", async () => {
      const api = await startApi((request, res) =>
        request.methodIndex === 0
          ? send(res, 429, "", {
              "Retry-After": new Date(Math.ceil(Date.now() / 1_000) * 1_000 + 3_000).toUTCString(),
            })
          : send(res, 200, jobText()),
      );
      const { client, sleeps } = makeClient(api.url);
      await client.getJob(JOB_ID);
      expect(sleeps).to.have.length(1);
      expect(sleeps[0]).to.be.above(2_000).and.at.most(4_000);
    });

    it("backs off on 429 without Retry-After, and on 502, 503 and 504", async () => {
      const api = await startApi((request, res) => {
        const statuses = [429, 502, 503, 504];
        const status = statuses[request.methodIndex];
        if (status === undefined) {
          send(res, 200, jobText());
        } else {
          send(res, status, "<html><body><h1>Gateway trouble</h1></body></html>", {
            "Content-Type": "text/html",
          });
        }
      });
      const { client, events, sleeps } = makeClient(api.url);
      const { job } = await client.getJob(JOB_ID);
      expect(job.job_id).to.equal(JOB_ID);
      expect(api.requests).to.have.length(5);
      // random() is 0.5: half of 500, 1000, 2000, 4000.
      expect(sleeps).to.deep.equal([250, 500, 1_000, 2_000]);
      expect(events.map((event) => event.reason)).to.deep.equal([
        "429 Too Many Requests",
        "502 Bad Gateway",
        "503 Service Unavailable",
        "504 Gateway Timeout",
      ]);
      expect(events.map((event) => event.attempt)).to.deep.equal([1, 2, 3, 4]);
    });

    it("retries while the connection is refused, until the API is up", async () => {
      const port = await closedPort();
      let api: ScriptedApi | undefined;
      const events: RetryEvent[] = [];
      const client = new NarrativeJobsClient({
        apiUrl: `http://127.0.0.1:${port}`,
        token: TOKEN,
        random: () => 0.5,
        onRetry: (event) => events.push(event),
        sleep: async () => {
          if (events.length === 2) {
            api = await startApi((_request, res) => send(res, 200, jobText()), port);
          }
        },
      });
      clients.push(client);
      const { jobJson } = await client.getJob(JOB_ID);
      expect(jobJson).to.equal(jobText());
      expect(events).to.have.length(2);
      expect(events[0]?.reason).to.include("ECONNREFUSED");
      expect(api?.requests).to.have.length(1);
    });

    it("does not retry 400, 401, 403, 404, 409 or 500, and says what to do", async () => {
      const cases: [number, string, RegExp][] = [
        [400, '{"title": "Bad Request", "detail": "job_id is malformed"}', /job_id is malformed/],
        [
          401,
          '{"error": "invalid_token", "error_description": "The key expired"}',
          /narrative:token.*expired/,
        ],
        [403, '{"title": "Forbidden", "logId": "L-403"}', /Jobs permission/],
        [
          404,
          '{"detail": "Job not found"}',
          new RegExp(`No job ${JOB_ID} on 127\\.0\\.0\\.1:\\d+: check jobId`),
        ],
        [409, '{"title": "Conflict"}', /conflicts with the job's current state/],
        [
          500,
          '{"title": "Internal Server Error", "logId": "L-500"}',
          /not transient.*L-500|L-500.*not transient/,
        ],
      ];
      for (const [status, body, hint] of cases) {
        const api = await startApi((_request, res) => send(res, status, body));
        const { client, events } = makeClient(api.url);
        const error = await rejection(client.getJob(JOB_ID));
        expect(error, String(status)).to.be.instanceOf(NarrativeApiError);
        const apiError = error as NarrativeApiError;
        expect(apiError.status).to.equal(status);
        expect(apiError.retryable).to.equal(false);
        expect(apiError.call).to.equal(`GET /jobs/${JOB_ID}`);
        expect(apiError.jobId).to.equal(JOB_ID);
        expect(apiError.apiHost).to.equal(`127.0.0.1:${api.port}`);
        expect(apiError.message).to.include(
          `GET /jobs/${JOB_ID} on 127.0.0.1:${api.port} failed with ${status}`,
        );
        expect(apiError.message).to.match(hint);
        expect(api.requests, String(status)).to.have.length(1);
        expect(events).to.have.length(0);
      }
    });

    it("reports a gateway's HTML error page as its text, with the logId of a structured body", async () => {
      const api = await startApi((_request, res) =>
        send(
          res,
          403,
          '{"type": "about:blank", "title": "Forbidden", "detail": "Missing jobs:read", "logId": "X1"}',
        ),
      );
      const { client } = makeClient(api.url);
      const error = (await rejection(client.getJob(JOB_ID))) as NarrativeApiError;
      expect(error.detail).to.equal("Missing jobs:read");
      expect(error.logId).to.equal("X1");
      expect(error.message).to.include("failed with 403 Forbidden: Missing jobs:read (logId X1)");
    });

    it("retries a 2xx whose body is not a job twice, then shows its first bytes", async () => {
      const api = await startApi((_request, res) =>
        send(res, 200, "<html><body>Please log in to the corporate proxy</body></html>", {
          "Content-Type": "text/html",
        }),
      );
      const { client, events } = makeClient(api.url);
      const error = (await rejection(client.getJob(JOB_ID))) as NarrativeApiError;
      expect(error).to.be.instanceOf(NarrativeApiError);
      expect(error.status).to.equal(200);
      expect(error.message).to.include("<html><body>Please log in");
      expect(error.message).to.include("after 3 attempts");
      expect(api.requests).to.have.length(3);
      expect(events).to.have.length(2);
    });

    it("times out a silent attempt and tries again", async () => {
      const api = await startApi((request, res) => {
        if (request.methodIndex > 0) {
          send(res, 200, jobText());
        }
      });
      const { client, events } = makeClient(api.url, { attemptTimeoutMs: 100 });
      const { job } = await client.getJob(JOB_ID);
      expect(job.state).to.equal("completed");
      expect(events[0]?.reason).to.equal("no answer within 100ms");
      expect(api.requests).to.have.length(2);
    });

    it("stops when the total budget is spent, saying how many attempts over how long", async () => {
      const api = await startApi(() => undefined);
      const { client, sleeps } = makeClient(api.url, {
        attemptTimeoutMs: 60,
        totalTimeoutMs: 200,
        baseDelayMs: 10,
      });
      const error = (await rejection(client.getJob(JOB_ID))) as NarrativeTimeoutError;
      expect(error).to.be.instanceOf(NarrativeTimeoutError);
      expect(error.kind).to.equal("total");
      expect(error.timeoutMs).to.equal(200);
      expect(error.message).to.match(/after \d+ attempts over \d+ms/);
      expect(error.message).to.include("totalTimeoutMs");
      // Each attempt was cut at what was left of the budget, so no attempt or sleep overran it.
      const attempts = api.requests.length;
      expect(attempts).to.be.within(2, 4);
      expect(sleeps.length).to.equal(attempts - 1);
    });

    it("gives up on a lasting 503 within the budget, keeping the status", async () => {
      const api = await startApi((_request, res) =>
        send(res, 503, '{"title": "Service Unavailable", "logId": "L-9"}'),
      );
      const { client, sleeps } = makeClient(api.url, { totalTimeoutMs: 5_000, baseDelayMs: 1_000 });
      const error = (await rejection(client.getJob(JOB_ID))) as NarrativeApiError;
      expect(error).to.be.instanceOf(NarrativeApiError);
      expect(error.status).to.equal(503);
      expect(error.retryable).to.equal(true);
      // Sleeps of 500, 1000 and 2000 fit in 5 s; the next (4000) would not, so the fourth failure ends it.
      expect(sleeps).to.deep.equal([500, 1_000, 2_000]);
      expect(error.message).to.match(/after 4 attempts over 3\.\ds/);
      expect(error.message).to.include("logId L-9");
      expect(error.message).to.include(
        "Raise narrative:totalTimeout (totalTimeoutMs) or check the API status",
      );
    });

    it("reports the last real failure when the budget cuts the final attempt short", async () => {
      // The first read gets a 502 at once; the second is never answered, so the budget, not the attempt
      // timeout, ends it. Not a 502 after a fixed delay for every read: on a busy machine the budget could
      // run out between attempts, with no attempt to cut.
      const api = await startApi((request, res) => {
        if (request.methodIndex === 0) {
          send(res, 502, "<html><h1>502 Bad Gateway</h1></html>", { "Content-Type": "text/html" });
        }
      });
      const { client } = makeClient(api.url, {
        attemptTimeoutMs: 5_000,
        totalTimeoutMs: 500,
        baseDelayMs: 1,
      });
      const error = (await rejection(client.getJob(JOB_ID))) as NarrativeApiError;
      expect(error).to.be.instanceOf(NarrativeApiError);
      expect(error.status).to.equal(502);
      expect(error.message).to.include("502 Bad Gateway: 502 Bad Gateway");
      expect(error.message).to.match(/attempt 2 was cut off when the budget ran out/);
      expect(error.message).not.to.match(/<h1>/);
      expect(api.requests).to.have.length(2);
    });

    it("fails at once when Retry-After asks for more than the budget has left", async () => {
      const api = await startApi((_request, res) => send(res, 429, "", { "Retry-After": "600" }));
      const { client, sleeps } = makeClient(api.url);
      const error = (await rejection(client.getJob(JOB_ID))) as NarrativeApiError;
      expect(error.status).to.equal(429);
      expect(error.message).to.match(/asks to wait 600s \(Retry-After\) but only .* of the 120s budget/);
      expect(sleeps).to.have.length(0);
      expect(api.requests).to.have.length(1);
    });

    it("reports a redirect instead of following it", async () => {
      const api = await startApi((_request, res) =>
        send(res, 301, "", { Location: "https://elsewhere.example/jobs" }),
      );
      const { client } = makeClient(api.url);
      const error = (await rejection(client.getJob(JOB_ID))) as NarrativeApiError;
      expect(error.status).to.equal(301);
      expect(error.message).to.include("Location: https://elsewhere.example/jobs").and.include("apiUrl");
      expect(api.requests).to.have.length(1);
    });
  });

  describe("reschedule", () => {
    it('POSTs exactly {"force":true} and returns the job\'s exact values', async () => {
      const api = await startApi((_request, res) =>
        send(res, 200, rescheduleBody("rescheduled", RESCHEDULED_JOB_TEXT)),
      );
      const { client } = makeClient(api.url);
      const result = await client.reschedule(JOB_ID, { force: true, baseline: BASELINE });
      expect(result).to.deep.include({
        outcome: "rescheduled",
        attempts: 1,
        verifiedByGet: false,
        confirmed: true,
      });
      // The job member is written back compactly, every number with the digits it arrived with (json.ts).
      expect(result.jobJson).to.equal(compact(RESCHEDULED_JOB_TEXT));
      expect(result.jobJson).to.include('"snapshot_id":1724919539450264583').and.include('[1,2.50,"x"]');
      expect(result.job.state).to.equal("pending");
      const [request] = api.requests;
      expect(request?.method).to.equal("POST");
      expect(request?.url).to.equal(`/jobs/${JOB_ID}/reschedule`);
      expect(request?.body).to.equal('{"force":true}');
      expect(request?.headers["content-type"]).to.equal("application/json");
      expect(request?.headers["authorization"]).to.equal(`Bearer ${TOKEN}`);
    });

    it('POSTs exactly {"force":false} and passes skipped_terminal through', async () => {
      const api = await startApi((_request, res) =>
        send(res, 200, rescheduleBody("skipped_terminal", jobText())),
      );
      const { client } = makeClient(api.url);
      const result = await client.reschedule(JOB_ID, { force: false });
      expect(api.requests[0]?.body).to.equal('{"force":false}');
      expect(result.outcome).to.equal("skipped_terminal");
      expect(result.jobJson).to.equal(compact(jobText()));
    });

    it("does not POST again when the connection drops and GET shows the reschedule applied", async () => {
      const api = await startApi((request, res) =>
        request.method === "POST" ? drop(res) : send(res, 200, RESCHEDULED_JOB_TEXT),
      );
      const { client, events } = makeClient(api.url);
      const result = await client.reschedule(JOB_ID, { force: true, baseline: BASELINE });
      expect(api.requests.map((request) => request.method)).to.deep.equal(["POST", "GET"]);
      expect(result).to.deep.include({
        outcome: "rescheduled",
        attempts: 1,
        verifiedByGet: true,
        confirmed: false,
      });
      expect(result.jobJson).to.equal(RESCHEDULED_JOB_TEXT);
      expect(events).to.have.length(0);
    });

    it("POSTs again when the connection drops and GET shows the job untouched", async () => {
      const api = await startApi((request, res) => {
        if (request.method === "GET") {
          send(res, 200, jobText());
        } else if (request.methodIndex === 0) {
          drop(res);
        } else {
          send(res, 200, rescheduleBody("rescheduled", RESCHEDULED_JOB_TEXT));
        }
      });
      const { client, events } = makeClient(api.url);
      const result = await client.reschedule(JOB_ID, { force: true, baseline: BASELINE });
      expect(api.requests.map((request) => request.method)).to.deep.equal(["POST", "GET", "POST"]);
      expect(result).to.deep.include({ outcome: "rescheduled", attempts: 2, verifiedByGet: false });
      expect(events).to.have.length(1);
      expect(events[0]?.call).to.equal(`POST /jobs/${JOB_ID}/reschedule`);
      expect(events[0]?.reason).to.include(`GET /jobs/${JOB_ID} shows the job was not rescheduled`);
    });

    it("never POSTs again after a 2xx whose chunked body was cut off", async () => {
      const api = await startApi((request, res) =>
        request.method === "POST"
          ? sendTruncated(res, 200, rescheduleBody("rescheduled", RESCHEDULED_JOB_TEXT), "chunked")
          : // Even a job that looks untouched: the 200 says the API acted.
            send(res, 200, jobText()),
      );
      const { client } = makeClient(api.url);
      const result = await client.reschedule(JOB_ID, { force: true, baseline: BASELINE });
      expect(api.requests.map((request) => request.method)).to.deep.equal(["POST", "GET"]);
      expect(result).to.deep.include({
        outcome: "rescheduled",
        attempts: 1,
        verifiedByGet: true,
        confirmed: true,
      });
      expect(result.jobJson).to.equal(jobText());
    });

    it("never POSTs again after a 2xx cut short of its Content-Length, once the attempt times out", async () => {
      // node-fetch v2 does not notice a connection closed before Content-Length bytes: the attempt timeout ends it.
      const api = await startApi((request, res) =>
        request.method === "POST"
          ? sendTruncated(res, 200, rescheduleBody("rescheduled", RESCHEDULED_JOB_TEXT), "content-length")
          : send(res, 200, RESCHEDULED_JOB_TEXT),
      );
      const { client, events } = makeClient(api.url, { attemptTimeoutMs: 150 });
      const result = await client.reschedule(JOB_ID, { force: true, baseline: BASELINE });
      expect(api.requests.map((request) => request.method)).to.deep.equal(["POST", "GET"]);
      expect(result).to.deep.include({
        outcome: "rescheduled",
        attempts: 1,
        verifiedByGet: true,
        confirmed: true,
      });
      expect(events).to.have.length(0);
    });

    it("never POSTs again after a 2xx whose body lacks outcome or job", async () => {
      for (const body of ["OK", '{"job": {}}', `{"outcome": "rescheduled"}`, "<html>ok</html>"]) {
        const api = await startApi((request, res) =>
          request.method === "POST" ? send(res, 200, body) : send(res, 200, RESCHEDULED_JOB_TEXT),
        );
        const { client } = makeClient(api.url);
        const result = await client.reschedule(JOB_ID, { force: true, baseline: BASELINE });
        expect(
          api.requests.map((request) => request.method),
          body,
        ).to.deep.equal(["POST", "GET"]);
        expect(result.verifiedByGet).to.equal(true);
      }
    });

    it("POSTs again after a 429, which the API refuses before acting, without a GET", async () => {
      const api = await startApi((request, res) =>
        request.methodIndex === 0
          ? send(res, 429, '{"title": "Too Many Requests"}', { "Retry-After": "1" })
          : send(res, 200, rescheduleBody("rescheduled", RESCHEDULED_JOB_TEXT)),
      );
      const { client, events } = makeClient(api.url);
      const result = await client.reschedule(JOB_ID, { force: true });
      expect(api.requests.map((request) => request.method)).to.deep.equal(["POST", "POST"]);
      expect(result.attempts).to.equal(2);
      expect(events[0]?.reason).to.equal("429 Too Many Requests (Retry-After 1s)");
      expect(api.requests.every((request) => request.body === '{"force":true}')).to.equal(true);
    });

    it("POSTs again after a refused connection, without a GET", async () => {
      const port = await closedPort();
      let api: ScriptedApi | undefined;
      const client = new NarrativeJobsClient({
        apiUrl: `http://127.0.0.1:${port}`,
        token: TOKEN,
        sleep: async () => {
          api ??= await startApi(
            (_request, res) => send(res, 200, rescheduleBody("rescheduled", RESCHEDULED_JOB_TEXT)),
            port,
          );
        },
      });
      clients.push(client);
      const result = await client.reschedule(JOB_ID, { force: true });
      expect(result.attempts).to.equal(2);
      expect(api?.requests.map((request) => request.method)).to.deep.equal(["POST"]);
    });

    it("settles a 502, 503 or 504 with a GET before anything else", async () => {
      for (const status of [502, 503, 504]) {
        const api = await startApi((request, res) => {
          if (request.method === "POST" && request.methodIndex === 0) {
            send(res, status, "<html>gateway</html>", { "Content-Type": "text/html" });
          } else if (request.method === "POST") {
            send(res, 200, rescheduleBody("rescheduled", RESCHEDULED_JOB_TEXT));
          } else {
            send(res, 200, status === 502 ? RESCHEDULED_JOB_TEXT : jobText());
          }
        });
        const { client } = makeClient(api.url);
        const result = await client.reschedule(JOB_ID, { force: status !== 504, baseline: BASELINE });
        const methods = api.requests.map((request) => request.method);
        if (status === 502) {
          // The GET shows the job moved to pending: the reschedule was applied.
          expect(methods).to.deep.equal(["POST", "GET"]);
          expect(result).to.deep.include({ outcome: "rescheduled", attempts: 1, verifiedByGet: true });
        } else if (status === 503) {
          // The GET shows the job untouched, and force is set: the POST is sent again.
          expect(methods).to.deep.equal(["POST", "GET", "POST"]);
          expect(result).to.deep.include({ outcome: "rescheduled", attempts: 2, verifiedByGet: false });
        } else {
          // Without force, an untouched terminal job is what the API answers with skipped_terminal.
          expect(methods).to.deep.equal(["POST", "GET"]);
          expect(result).to.deep.include({ outcome: "skipped_terminal", attempts: 1, verifiedByGet: true });
        }
      }
    });

    it("gives up on a lasting 503 saying the GET showed the job not rescheduled", async () => {
      const api = await startApi((request, res) =>
        request.method === "POST" ? send(res, 503, "") : send(res, 200, jobText()),
      );
      const { client } = makeClient(api.url, { totalTimeoutMs: 3_000, baseDelayMs: 1_000 });
      const error = (await rejection(
        client.reschedule(JOB_ID, { force: true, baseline: BASELINE }),
      )) as NarrativeApiError;
      expect(error).to.be.instanceOf(NarrativeApiError);
      expect(error.status).to.equal(503);
      expect(error.message).to.include("shows the job was not rescheduled");
      expect(error.message).to.match(/after \d+ attempts/);
      const methods = api.requests.map((request) => request.method);
      expect(methods.slice(0, 4)).to.deep.equal(["POST", "GET", "POST", "GET"]);
    });

    it("settles an attempt timeout with a GET", async () => {
      const api = await startApi((request, res) => {
        if (request.method === "GET") {
          send(res, 200, RESCHEDULED_JOB_TEXT);
        }
      });
      const { client } = makeClient(api.url, { attemptTimeoutMs: 80 });
      const result = await client.reschedule(JOB_ID, { force: true, baseline: BASELINE });
      expect(api.requests.map((request) => request.method)).to.deep.equal(["POST", "GET"]);
      expect(result).to.deep.include({ outcome: "rescheduled", attempts: 1, verifiedByGet: true });
    });

    it("says the outcome is unknown when the settling GET fails too", async () => {
      const api = await startApi((request, res) =>
        request.method === "POST" ? drop(res) : send(res, 401, '{"error": "invalid_token"}'),
      );
      const { client } = makeClient(api.url);
      const error = (await rejection(client.reschedule(JOB_ID, { force: true }))) as NarrativeApiError;
      expect(error).to.be.instanceOf(NarrativeApiError);
      expect(error.status).to.equal(401);
      expect(error.message).to.include(`Job ${JOB_ID} may or may not have been rescheduled`);
      expect(error.message).to.include("narrative:token");
      expect(error.cause).to.be.instanceOf(NarrativeApiError);
    });

    it("does not retry a 500 or a 409, nor read the job", async () => {
      for (const status of [500, 409, 404]) {
        const api = await startApi((_request, res) => send(res, status, '{"title": "nope"}'));
        const { client } = makeClient(api.url);
        const error = (await rejection(client.reschedule(JOB_ID, { force: true }))) as NarrativeApiError;
        expect(error.status).to.equal(status);
        expect(error.call).to.equal(`POST /jobs/${JOB_ID}/reschedule`);
        expect(api.requests.map((request) => request.method)).to.deep.equal(["POST"]);
      }
    });
  });

  describe("an answer about another job", () => {
    it("is refused on GET, naming both job ids", async () => {
      const api = await startApi((_request, res) => send(res, 200, jobText({ job_id: OTHER_JOB_ID })));
      const { client } = makeClient(api.url);
      const error = (await rejection(client.getJob(JOB_ID))) as NarrativeApiError;
      expect(error).to.be.instanceOf(NarrativeApiError);
      expect(error.message).to.include(`job ${OTHER_JOB_ID}, not job ${JOB_ID}`);
      expect(error.jobId).to.equal(JOB_ID);
      // Not a gateway hiccup: asking again would get the same answer.
      expect(api.requests).to.have.length(1);
    });

    it("accepts the job id in another case, as the same UUID", async () => {
      const api = await startApi((_request, res) =>
        send(res, 200, jobText({ job_id: JOB_ID.toUpperCase() })),
      );
      const { client } = makeClient(api.url);
      expect((await client.getJob(JOB_ID)).job.job_id).to.equal(JOB_ID.toUpperCase());
    });

    it("to a reschedule is settled by reading the job, and never POSTed again when the job shows no reschedule", async () => {
      const api = await startApi((request, res) =>
        request.method === "POST"
          ? send(res, 200, rescheduleBody("rescheduled", jobText({ job_id: OTHER_JOB_ID, state: "pending" })))
          : send(res, 200, jobText()),
      );
      const { client } = makeClient(api.url);
      const error = (await rejection(
        client.reschedule(JOB_ID, { force: true, baseline: BASELINE }),
      )) as NarrativeApiError;
      expect(api.requests.map((request) => request.method)).to.deep.equal(["POST", "GET"]);
      expect(error).to.be.instanceOf(NarrativeApiError);
      expect(error.message).to.include(`job ${OTHER_JOB_ID}, not job ${JOB_ID}`);
      expect(error.message).to.include("Nothing was rescheduled");
    });

    it("to a reschedule, with the job showing the reschedule, returns the job asked for", async () => {
      const api = await startApi((request, res) =>
        request.method === "POST"
          ? send(res, 200, rescheduleBody("rescheduled", jobText({ job_id: OTHER_JOB_ID, state: "pending" })))
          : send(res, 200, RESCHEDULED_JOB_TEXT),
      );
      const { client } = makeClient(api.url);
      const result = await client.reschedule(JOB_ID, { force: true, baseline: BASELINE });
      expect(api.requests.map((request) => request.method)).to.deep.equal(["POST", "GET"]);
      expect(result).to.deep.include({ outcome: "rescheduled", attempts: 1, verifiedByGet: true });
      expect(result.job.job_id).to.equal(JOB_ID);
      expect(result.jobJson).to.equal(RESCHEDULED_JOB_TEXT);
    });
  });

  describe("an answer too large to be what was asked", () => {
    const MiB = 1024 * 1024;

    /**
     * Streams `totalBytes` of filler (or without end) in 64 KiB chunks, one a millisecond, counting what the socket
     * took until the client closed it.
     */
    function streamFiller(
      res: http.ServerResponse,
      status: number,
      totalBytes: number,
      written: { bytes: number; closedAt?: number },
      headers: Record<string, string> = {},
    ): void {
      const chunk = Buffer.alloc(64 * 1024, "x");
      res.writeHead(status, { "Content-Type": "application/json", ...headers });
      res.on("close", () => (written.closedAt ??= Date.now()));
      const next = (): void => {
        if (res.destroyed || written.closedAt !== undefined) {
          return;
        }
        if (written.bytes >= totalBytes) {
          res.end();
          return;
        }
        written.bytes += chunk.length;
        res.write(chunk, () => setTimeout(next, 1));
      };
      next();
    }

    it("stops reading a 20 MB job at 1 MiB and fails at once, naming the call, the job and the limit", async () => {
      for (const framing of ["content-length", "chunked"] as const) {
        const written = { bytes: 0 };
        const api = await startApi((_request, res) =>
          streamFiller(
            res,
            200,
            20 * MiB,
            written,
            framing === "content-length" ? { "Content-Length": String(20 * MiB) } : {},
          ),
        );
        const { client } = makeClient(api.url, { attemptTimeoutMs: 5_000, totalTimeoutMs: 10_000 });
        const started = Date.now();
        const error = (await rejection(client.getJob(JOB_ID))) as NarrativeApiError;
        expect(error, framing).to.be.instanceOf(NarrativeApiError);
        expect(error.message, framing)
          .to.include(
            `GET /jobs/${JOB_ID} on 127.0.0.1:${api.port} answered 200 OK but the body is over the 1 MiB limit`,
          )
          .and.include("a job");
        expect(api.requests, framing).to.have.length(1);
        expect(Date.now() - started, framing).to.be.below(2_000);
        expect(written.bytes, framing).to.be.below(8 * MiB);
      }
    });

    it("stops reading an endless body and closes the connection, in well under the attempt timeout", async () => {
      const written: { bytes: number; closedAt?: number } = { bytes: 0 };
      const api = await startApi((_request, res) => streamFiller(res, 200, Infinity, written));
      const { client } = makeClient(api.url, { attemptTimeoutMs: 3_000, totalTimeoutMs: 6_000 });
      const rssBefore = process.memoryUsage().rss;
      const started = Date.now();
      const error = (await rejection(client.getJob(JOB_ID))) as NarrativeApiError;
      const elapsedMs = Date.now() - started;
      expect(error).to.be.instanceOf(NarrativeApiError);
      expect(error.message).to.include("over the 1 MiB limit");
      expect(elapsedMs).to.be.below(2_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(written.closedAt, "the server saw the connection closed").to.be.a("number");
      expect(written.bytes).to.be.below(8 * MiB);
      expect(process.memoryUsage().rss - rssBefore).to.be.below(64 * MiB);
    });

    it("reads no more than 64 KiB of an error body: the status decides", async () => {
      const written = { bytes: 0 };
      const api = await startApi((request, res) =>
        request.methodIndex === 0 ? streamFiller(res, 503, Infinity, written) : send(res, 200, jobText()),
      );
      const { client, events } = makeClient(api.url, { attemptTimeoutMs: 3_000 });
      const started = Date.now();
      const { job } = await client.getJob(JOB_ID);
      expect(job.job_id).to.equal(JOB_ID);
      expect(events[0]?.reason).to.equal("503 Service Unavailable");
      expect(Date.now() - started).to.be.below(2_000);
      expect(written.bytes).to.be.below(8 * MiB);
    });

    it("stops reading a page of jobs at 32 MiB", async () => {
      const written = { bytes: 0 };
      const api = await startApi((_request, res) =>
        streamFiller(res, 200, 40 * MiB, written, { "Content-Length": String(40 * MiB) }),
      );
      const { client } = makeClient(api.url);
      const error = await rejection(client.listJobs({ per_page: 500 }));
      expect(error.message).to.include("GET /jobs?per_page=500").and.include("over the 32 MiB limit");
      expect(written.bytes).to.be.below(8 * MiB);
    });

    it("to a reschedule is settled by reading the job, never by a second POST", async () => {
      for (const applied of [false, true]) {
        const written: { bytes: number; closedAt?: number } = { bytes: 0 };
        const api = await startApi((request, res) =>
          request.method === "POST"
            ? streamFiller(res, 200, applied ? 20 * MiB : Infinity, written)
            : send(res, 200, applied ? RESCHEDULED_JOB_TEXT : jobText()),
        );
        const { client } = makeClient(api.url, { attemptTimeoutMs: 3_000 });
        const reschedule = client.reschedule(JOB_ID, { force: true, baseline: BASELINE });
        if (applied) {
          expect(await reschedule).to.deep.include({
            outcome: "rescheduled",
            attempts: 1,
            verifiedByGet: true,
          });
        } else {
          const error = await rejection(reschedule);
          expect(error.message).to.include("over the 1 MiB limit").and.include("Nothing was rescheduled");
        }
        expect(
          api.requests.map((request) => request.method),
          String(applied),
        ).to.deep.equal(["POST", "GET"]);
        expect(written.bytes).to.be.below(8 * MiB);
      }
    });
  });

  describe("the token", () => {
    it("appears in no error message, property or cause, whatever the server echoes", async () => {
      const api = await startApi((request, res) => {
        const echoed = request.headers["authorization"] ?? "";
        const route = request.url.split("/")[2] ?? "";
        switch (route) {
          case JOB_ID:
            return send(
              res,
              401,
              JSON.stringify({ title: "Unauthorized", detail: `bad header: ${echoed}`, logId: TOKEN }),
            );
          case OTHER_JOB_ID:
            res.statusMessage = `Nope ${TOKEN}`;
            return send(
              res,
              403,
              `<html><body>Forbidden for ${echoed} (${encodeURIComponent(TOKEN)})</body></html>`,
            );
          default:
            return send(res, 302, "", { Location: `https://elsewhere.example/?t=${TOKEN}` });
        }
      });
      const { client } = makeClient(api.url);
      const refused = makeClient(`http://127.0.0.1:${await closedPort()}`, { totalTimeoutMs: 1_000 }).client;
      const silent = makeClient((await startApi(() => undefined)).url, {
        attemptTimeoutMs: 50,
        totalTimeoutMs: 120,
      });
      const errors = [
        await rejection(client.getJob(JOB_ID)),
        await rejection(client.getJob(OTHER_JOB_ID)),
        await rejection(client.getJob("11111111-2222-4333-8444-555555555555")),
        await rejection(client.reschedule(JOB_ID, { force: true })),
        await rejection(client.getJob(TOKEN)),
        await rejection(refused.getJob(JOB_ID)),
        await rejection(silent.client.reschedule(JOB_ID, { force: true })),
      ];
      expect(errors[5]).to.be.instanceOf(NarrativeNetworkError);
      expect(errors[6]).to.be.instanceOf(NarrativeTimeoutError);
      for (const error of errors) {
        expect(error).to.be.instanceOf(NarrativeError);
        const shown = everyRendering(error);
        expect(shown, error.message).not.to.include(TOKEN);
        expect(shown).not.to.include(encodeURIComponent(TOKEN));
        expect(shown).not.to.include("ldg8uuGibVJNHI9s");
      }
      expect(errors[0]?.message).to.include("bad header: Bearer [REDACTED]");
    });

    it("appears in no form a server may echo it in: JSON escapes, HTML references, URL-encoding, base64", async () => {
      const token = "q7/Lm+Xz9K=Rt/Pw+Ab3C==";
      const placements = ["JSON detail", "HTML page", "2xx preview", "reason phrase", "Location"] as const;
      const cases = TOKEN_ENCODINGS.flatMap(([encoding, encode]) =>
        placements.map((placement) => ({ encoding, echoed: encode(token), placement })),
      );
      const jobIdOf = (index: number): string => `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`;
      const api = await startApi((request, res) => {
        const index = Number(request.url.split("/")[2]?.slice(-12));
        const { echoed, placement } = cases[index] ?? { echoed: "", placement: "" };
        switch (placement) {
          case "JSON detail":
            return send(
              res,
              401,
              `{"title": "Unauthorized", "detail": "bad key ${echoed}", "logId": "${echoed}"}`,
            );
          case "HTML page":
            return send(res, 403, `<html><body><p>Forbidden for ${echoed}</p></body></html>`, {
              "Content-Type": "text/html",
            });
          case "2xx preview":
            return send(res, 200, `<p>Welcome, ${echoed}</p>`, { "Content-Type": "text/html" });
          case "reason phrase":
            res.statusMessage = `Nope ${echoed}`;
            return send(res, 400, "");
          default:
            return send(res, 302, "", { Location: `https://elsewhere.example/?t=${echoed}` });
        }
      });
      const { client } = makeClient(api.url, { token });
      for (const [index, { encoding, placement }] of cases.entries()) {
        const error = await rejection(client.getJob(jobIdOf(index)));
        expect(error, `${encoding} in the ${placement}`).to.be.instanceOf(NarrativeApiError);
        expect(
          tokenLeaks(everyRendering(error), token),
          `${encoding} in the ${placement}: ${error.message}`,
        ).to.deep.equal([]);
      }
    });

    it("leaves no part of a JSON-escaped token where the message is cut", async () => {
      const token = "q7/Lm+Xz9K=Rt/Pw+Ab3C==";
      const api = await startApi((_request, res) =>
        send(res, 401, `{"detail": "${"x".repeat(190)} ${token.replace(/\//g, "\\/")} ${"y".repeat(50)}"}`),
      );
      const { client } = makeClient(api.url, { token });
      const error = await rejection(client.getJob(JOB_ID));
      expect(tokenLeaks(everyRendering(error), token.slice(0, 8))).to.deep.equal([]);
    });
  });
});
