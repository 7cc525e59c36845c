import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fetch from "node-fetch";
import { parseLossless, type LosslessObject, type LosslessValue } from "../../provider/common/json";
import {
  SEEDED_JOB_IDS,
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from "../../provider/simulator";
import { rejection } from "../support/assertions";

const EXAMPLE_JOB_ID = SEEDED_JOB_IDS.completed;
const UNKNOWN_JOB_ID = "00000000-0000-4000-8000-000000000000";
const TOKEN = "sim-secret-Zq9+/token==";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const API_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

interface Reply {
  status: number;
  text: string;
  headers: { get(name: string): string | null };
  /** The body parsed losslessly, as an object (fails the test otherwise). */
  body: LosslessObject;
}

interface CallOptions {
  method?: string;
  body?: string;
  /** null: no Authorization header at all. */
  token?: string | null;
  authorization?: string;
}

async function call(simulator: Simulator, path: string, options: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? simulator.token : options.token;
  if (options.authorization !== undefined) {
    headers.Authorization = options.authorization;
  } else if (token !== null) {
    headers.Authorization = `Bearer ${token}`;
  }
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(`${simulator.url}${path}`, {
    method: options.method ?? "GET",
    headers,
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    headers: response.headers,
    get body(): LosslessObject {
      const parsed = parseLossless(text);
      expect(parsed).to.be.an("object");
      return parsed as LosslessObject;
    },
  };
}

function reschedule(simulator: Simulator, jobId: string, body?: string, token?: string): Promise<Reply> {
  return call(simulator, `/jobs/${jobId}/reschedule`, {
    method: "POST",
    ...(body === undefined ? {} : { body }),
    ...(token === undefined ? {} : { token }),
  });
}

function get(value: LosslessValue | undefined, ...path: string[]): LosslessValue | undefined {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object" || Array.isArray(current)) {
      return undefined;
    }
    current = current[key];
  }
  return current;
}

function jobIds(page: LosslessObject): string[] {
  return (page.records as LosslessObject[]).map((job) => job.job_id as string);
}

function expectStructuredError(reply: Reply, status: number, detail?: RegExp): void {
  expect(reply.status).to.equal(status);
  expect(reply.headers.get("content-type")).to.contain("application/json");
  const body = reply.body;
  expect(Object.keys(body)).to.have.members(["type", "title", "status", "detail", "instance", "logId"]);
  expect(body.status).to.equal(status);
  expect(body.title).to.be.a("string").with.length.above(0);
  expect(body.logId).to.match(UUID);
  if (detail !== undefined) {
    expect(body.detail).to.match(detail);
  }
}

/** The simulator's clock as the API writes timestamps. */
function apiNow(simulator: Simulator): string {
  return `${new Date(simulator.now()).toISOString().slice(0, -1)}000`;
}

describe("API simulator", function () {
  this.slow(300);
  let simulator: Simulator;
  let logLines: string[];

  async function restart(options: SimulatorOptions = {}): Promise<void> {
    await simulator.close();
    simulator = await startSimulator({
      frozen: true,
      token: TOKEN,
      log: (line) => logLines.push(line),
      ...options,
    });
  }

  beforeEach(async () => {
    logLines = [];
    simulator = await startSimulator({ frozen: true, token: TOKEN, log: (line) => logLines.push(line) });
  });

  afterEach(async () => {
    await simulator.close();
  });

  it("listens on loopback and hands back its URL without a trailing slash", () => {
    expect(simulator.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(simulator.token).to.equal(TOKEN);
  });

  describe("auth", () => {
    it("answers 401 with the older error shape when the token is missing or wrong, without echoing it", async () => {
      const missing = await call(simulator, `/jobs/${EXAMPLE_JOB_ID}`, { token: null });
      const wrong = await call(simulator, "/jobs", { token: "not-the-token" });
      const basic = await call(simulator, "/jobs", { authorization: `Basic ${TOKEN}` });
      for (const reply of [missing, wrong, basic]) {
        expect(reply.status).to.equal(401);
        expect(reply.headers.get("www-authenticate")).to.equal("Bearer");
        expect(Object.keys(reply.body)).to.deep.equal(["error", "error_description"]);
        expect(reply.body.error).to.equal("unauthorized");
        expect(reply.text).to.not.contain(TOKEN).and.not.contain("not-the-token");
      }
      expect(missing.body.error_description).to.match(/Missing Authorization header/);
      expect(wrong.body.error_description).to.match(/invalid or expired/);
    });

    it("does not apply a reschedule sent with a wrong token", async () => {
      const reply = await reschedule(simulator, SEEDED_JOB_IDS.running, '{"force":true}', "wrong");
      expect(reply.status).to.equal(401);
      expect(simulator.appliedReschedules()).to.equal(0);
      expect(simulator.job(SEEDED_JOB_IDS.running)?.state).to.equal("running");
    });

    it("accepts the scheme in any case", async () => {
      const reply = await call(simulator, "/jobs", { authorization: `bearer ${TOKEN}` });
      expect(reply.status).to.equal(200);
    });
  });

  describe("GET /jobs/{job_id}", () => {
    it("serves the example job with its big snapshot_id digit for digit", async () => {
      const reply = await call(simulator, `/jobs/${EXAMPLE_JOB_ID}`);
      expect(reply.status).to.equal(200);
      expect(reply.headers.get("content-type")).to.equal("application/json");
      expect(reply.text).to.contain('"snapshot_id":1724919539450264600,');
      expect(get(reply.body, "result", "snapshot_id")).to.equal(1724919539450264600n);
      expect(reply.body.state).to.equal("completed");
      expect(reply.body.created_at).to.equal("2023-10-31T11:19:13.400498");
      expect(Object.keys(reply.body)).to.deep.equal([
        "job_id",
        "data_plane_id",
        "request_source",
        "state",
        "type",
        "input",
        "executor",
        "idempotency_key",
        "result",
        "created_at",
        "updated_at",
        "ended_at",
      ]);
    });

    it("keeps fields the docs do not list", async () => {
      const reply = await call(simulator, `/jobs/${SEEDED_JOB_IDS.withUnknownFields}`);
      expect(reply.body.priority).to.equal("low");
      expect(reply.body.cost_estimate).to.deep.equal({
        credits: 12.5,
        currency: null,
        breakdown: [4.25, 8.25],
      });
    });

    it("answers 404 with the structured error for an unknown job", async () => {
      const reply = await call(simulator, `/jobs/${UNKNOWN_JOB_ID}`);
      expectStructuredError(reply, 404, new RegExp(`Job ${UNKNOWN_JOB_ID} not found`));
      expect(reply.body.instance).to.equal(`/jobs/${UNKNOWN_JOB_ID}`);
    });

    it("answers 400 for a job_id that is not a UUID", async () => {
      expectStructuredError(await call(simulator, "/jobs/not-a-uuid"), 400, /job_id must be a UUID/);
    });

    it("answers 404 for unknown routes and 405 for a wrong method", async () => {
      expectStructuredError(await call(simulator, "/datasets"), 404, /No route for GET \/datasets/);
      expectStructuredError(await call(simulator, `/jobs/${EXAMPLE_JOB_ID}/cancel`, { method: "POST" }), 404);
      const wrongMethod = await call(simulator, `/jobs/${EXAMPLE_JOB_ID}`, { method: "DELETE" });
      expectStructuredError(wrongMethod, 405);
      expect(wrongMethod.headers.get("allow")).to.equal("GET");
      const getReschedule = await call(simulator, `/jobs/${EXAMPLE_JOB_ID}/reschedule`);
      expect(getReschedule.status).to.equal(405);
      expect(getReschedule.headers.get("allow")).to.equal("POST");
    });
  });

  describe("GET /jobs", () => {
    it("lists every job newest first, in the documented page shape", async () => {
      const reply = await call(simulator, "/jobs");
      expect(reply.status).to.equal(200);
      expect(Object.keys(reply.body)).to.deep.equal([
        "current_page",
        "total_pages",
        "total_records",
        "records",
      ]);
      expect(reply.body).to.include({ current_page: 1, total_pages: 1, total_records: 6 });
      expect(jobIds(reply.body)).to.deep.equal([
        SEEDED_JOB_IDS.pending,
        SEEDED_JOB_IDS.running,
        SEEDED_JOB_IDS.failed,
        SEEDED_JOB_IDS.completed,
        SEEDED_JOB_IDS.fromProcess,
        SEEDED_JOB_IDS.withUnknownFields,
      ]);
      expect(reply.text).to.contain('"snapshot_id":1724919539450264600');
    });

    it("filters by data_plane_id, dataset_id, state and type", async () => {
      const byDataPlane = await call(simulator, "/jobs?data_plane_id=bfc177b1-413d-4ab7-bf5a-c04fbaa891b5");
      expect(jobIds(byDataPlane.body)).to.deep.equal([SEEDED_JOB_IDS.pending]);
      const byDataset = await call(simulator, "/jobs?dataset_id=10736");
      expect(jobIds(byDataset.body)).to.deep.equal([SEEDED_JOB_IDS.failed, SEEDED_JOB_IDS.completed]);
      const byState = await call(simulator, "/jobs?state=completed");
      expect(jobIds(byState.body)).to.deep.equal([SEEDED_JOB_IDS.completed, SEEDED_JOB_IDS.fromProcess]);
      const combined = await call(simulator, "/jobs?type=materialize-view&state=running&dataset_id=10741");
      expect(jobIds(combined.body)).to.deep.equal([SEEDED_JOB_IDS.running]);
      const none = await call(simulator, "/jobs?state=pending_cancellation");
      expect(none.body).to.deep.include({ current_page: 1, total_pages: 0, total_records: 0, records: [] });
    });

    it("orders by created_at or updated_at, either way", async () => {
      const ascending = await call(simulator, "/jobs?order_by=created_at_asc");
      expect(jobIds(ascending.body)[0]).to.equal(SEEDED_JOB_IDS.withUnknownFields);
      await reschedule(simulator, SEEDED_JOB_IDS.fromProcess, '{"force":true}');
      const byUpdate = await call(simulator, "/jobs?order_by=updated_at_desc");
      expect(jobIds(byUpdate.body)[0]).to.equal(SEEDED_JOB_IDS.fromProcess);
      const byUpdateAscending = await call(simulator, "/jobs?order_by=updated_at_asc");
      expect(jobIds(byUpdateAscending.body).at(-1)).to.equal(SEEDED_JOB_IDS.fromProcess);
    });

    it("pages with per_page and offset (page index × per_page)", async () => {
      const all = jobIds((await call(simulator, "/jobs")).body);
      const second = await call(simulator, "/jobs?per_page=2&offset=2");
      expect(second.body).to.include({ current_page: 2, total_pages: 3, total_records: 6 });
      expect(jobIds(second.body)).to.deep.equal(all.slice(2, 4));
      const last = await call(simulator, "/jobs?per_page=4&offset=4");
      expect(last.body).to.include({ current_page: 2, total_pages: 2 });
      expect(jobIds(last.body)).to.deep.equal(all.slice(4));
      const past = await call(simulator, "/jobs?per_page=2&offset=10");
      expect(past.body).to.deep.include({ current_page: 6, total_pages: 3, records: [] });
      expect((await call(simulator, "/jobs?per_page=500")).status).to.equal(200);
    });

    it("answers 400 naming the parameter for bad query values", async () => {
      const cases: [string, RegExp][] = [
        ["per_page=501", /per_page must be at most 500/],
        ["per_page=0", /per_page/],
        ["per_page=ten", /per_page/],
        ["offset=-1", /offset/],
        ["order_by=newest", /order_by must be one of/],
        ["dataset_id=abc", /dataset_id/],
        ["data_plane_id=plane", /data_plane_id must be a UUID/],
        ["state=", /state must not be empty/],
      ];
      for (const [query, detail] of cases) {
        expectStructuredError(await call(simulator, `/jobs?${query}`), 400, detail);
      }
    });
  });

  describe("POST /jobs/{job_id}/reschedule", () => {
    it("skips a terminal job when force is not true, leaving it untouched", async () => {
      const before = (await call(simulator, `/jobs/${EXAMPLE_JOB_ID}`)).text;
      for (const body of [undefined, "", '{"force":false}', "{}"]) {
        const reply = await reschedule(simulator, EXAMPLE_JOB_ID, body);
        expect(reply.status).to.equal(200);
        expect(Object.keys(reply.body)).to.deep.equal(["outcome", "job"]);
        expect(reply.body.outcome).to.equal("skipped_terminal");
        expect(reply.text).to.equal(`{"outcome":"skipped_terminal","job":${before}}`);
      }
      expect(simulator.appliedReschedules(EXAMPLE_JOB_ID)).to.equal(0);
    });

    it("reschedules a terminal job with force: pending, executor cleared, updated_at now", async () => {
      const reply = await reschedule(simulator, EXAMPLE_JOB_ID, '{"force":true}');
      expect(reply.status).to.equal(200);
      expect(reply.body.outcome).to.equal("rescheduled");
      const job = reply.body.job as LosslessObject;
      expect(job.state).to.equal("pending");
      expect(job).to.not.have.property("executor");
      expect(job.updated_at).to.equal(apiNow(simulator)).and.match(API_TIMESTAMP);
      expect(job.created_at).to.equal("2023-10-31T11:19:13.400498");
      expect(reply.text).to.contain('"snapshot_id":1724919539450264600');
      expect(simulator.appliedReschedules(EXAMPLE_JOB_ID)).to.equal(1);
      expect(simulator.job(EXAMPLE_JOB_ID)?.state).to.equal("pending");
    });

    it("reschedules non-terminal jobs without force", async () => {
      for (const jobId of [SEEDED_JOB_IDS.running, SEEDED_JOB_IDS.pending]) {
        const reply = await reschedule(simulator, jobId);
        expect(reply.body.outcome).to.equal("rescheduled");
        expect(get(reply.body, "job", "state")).to.equal("pending");
        expect(get(reply.body, "job", "executor")).to.equal(undefined);
      }
      expect(simulator.appliedReschedules(SEEDED_JOB_IDS.running)).to.equal(1);
      expect(simulator.appliedReschedules()).to.equal(2);
    });

    it("refuses bodies that are not JSON or whose force is not a boolean", async () => {
      expectStructuredError(
        await reschedule(simulator, EXAMPLE_JOB_ID, "{force:true}"),
        400,
        /not valid JSON/,
      );
      expectStructuredError(
        await reschedule(simulator, EXAMPLE_JOB_ID, '{"force":"yes"}'),
        400,
        /force must be a boolean/,
      );
      expectStructuredError(await reschedule(simulator, EXAMPLE_JOB_ID, "[true]"), 400, /JSON object/);
      expectStructuredError(await reschedule(simulator, UNKNOWN_JOB_ID), 404, /not found/);
      expectStructuredError(await reschedule(simulator, "123"), 400, /UUID/);
      expect(simulator.appliedReschedules()).to.equal(0);
    });
  });

  describe("job clock", () => {
    it("moves a rescheduled job from pending to running to completed with a fresh view result", async () => {
      await reschedule(simulator, EXAMPLE_JOB_ID, '{"force":true}');
      const rescheduledAt = simulator.now();
      simulator.advance(1_999);
      expect((await call(simulator, `/jobs/${EXAMPLE_JOB_ID}`)).body.state).to.equal("pending");

      simulator.advance(1);
      const running = (await call(simulator, `/jobs/${EXAMPLE_JOB_ID}`)).body;
      expect(running.state).to.equal("running");
      expect(running.executor).to.match(/^job-executor-[0-9a-f-]{36}$/);
      expect(running.executor).to.not.equal("job-executor-98e1f48e-bf54-4f11-bbd1-73c445120266");
      expect(running.updated_at).to.equal(apiNow(simulator));

      simulator.advance(60_000);
      const reply = await call(simulator, `/jobs/${EXAMPLE_JOB_ID}`);
      const completed = reply.body;
      const endedAt = `${new Date(rescheduledAt + 12_000).toISOString().slice(0, -1)}000`;
      expect(completed).to.include({ state: "completed", ended_at: endedAt, updated_at: endedAt });
      expect(completed.executor).to.equal(running.executor);
      const snapshotId = get(completed, "result", "snapshot_id");
      expect(snapshotId).to.be.a("bigint").and.not.equal(1724919539450264600n);
      expect(reply.text).to.contain(`"snapshot_id":${String(snapshotId)}`);
      expect(get(completed, "result", "dataset_id")).to.equal(10736);
      expect(get(completed, "result", "recalculation_id"))
        .to.match(UUID)
        .and.not.equal("abf9a2ec-426b-4751-bd16-fcb435061925");
    });

    it("ends a run as failed when told, appending to failures", async () => {
      simulator.setJobOutcome(SEEDED_JOB_IDS.failed, { state: "failed", message: "Bucket still denied" });
      await reschedule(simulator, SEEDED_JOB_IDS.failed, '{"force":true}');
      simulator.advance(12_000);
      const job = (await call(simulator, `/jobs/${SEEDED_JOB_IDS.failed}`)).body;
      expect(job.state).to.equal("failed");
      expect(job.ended_at).to.equal(apiNow(simulator));
      const failures = job.failures as LosslessObject[];
      expect(failures).to.have.length(2);
      expect(failures[0]?.message).to.match(/access denied/);
      expect(failures[1]).to.deep.equal({
        message: "Bucket still denied",
        timestamp: apiNow(simulator),
        value: null,
      });

      simulator.setJobOutcome(SEEDED_JOB_IDS.failed, { state: "completed" });
      await reschedule(simulator, SEEDED_JOB_IDS.failed, '{"force":true}');
      simulator.advance(12_000);
      expect(simulator.job(SEEDED_JOB_IDS.failed)?.state).to.equal("completed");
      expect(simulator.appliedReschedules(SEEDED_JOB_IDS.failed)).to.equal(2);
    });

    it("creates failures on a job that had none, and takes custom durations", async () => {
      await restart({ durations: { pendingMs: 10, runningMs: 20 } });
      simulator.setJobOutcome(SEEDED_JOB_IDS.pending, {
        state: "failed",
        message: "OOM",
        value: { exit_code: 137 },
      });
      await reschedule(simulator, SEEDED_JOB_IDS.pending);
      simulator.advance(10);
      expect(simulator.job(SEEDED_JOB_IDS.pending)?.state).to.equal("running");
      simulator.advance(20);
      const job = simulator.job(SEEDED_JOB_IDS.pending);
      expect(job?.state).to.equal("failed");
      expect(job?.failures).to.deep.equal([
        { message: "OOM", timestamp: apiNow(simulator), value: { exit_code: 137 } },
      ]);
    });

    it("runs on the wall clock unless frozen", async () => {
      await restart({ frozen: false, durations: { pendingMs: 0, runningMs: 0 } });
      const before = Date.now();
      expect(simulator.now()).to.be.within(before - 5, before + 50);
      await reschedule(simulator, SEEDED_JOB_IDS.running);
      expect(simulator.job(SEEDED_JOB_IDS.running)?.state).to.equal("completed");
    });
  });

  describe("faults", () => {
    const RESCHEDULE_ANY: `POST /jobs/${string}/reschedule` = "POST /jobs/{job_id}/reschedule";

    it("answers a queue of statuses in order without applying, then serves normally", async () => {
      simulator.fault(RESCHEDULE_ANY, { status: 503 }, { status: 502 }, { status: 429, retryAfter: "2" });
      const first = await reschedule(simulator, SEEDED_JOB_IDS.running);
      expectStructuredError(first, 503, /fault injected/);
      expect(first.headers.get("retry-after")).to.equal(null);
      expectStructuredError(await reschedule(simulator, SEEDED_JOB_IDS.running), 502);
      const third = await reschedule(simulator, SEEDED_JOB_IDS.running);
      expectStructuredError(third, 429);
      expect(third.headers.get("retry-after")).to.equal("2");
      expect(simulator.appliedReschedules()).to.equal(0);
      expect(simulator.job(SEEDED_JOB_IDS.running)?.state).to.equal("running");

      const fourth = await reschedule(simulator, SEEDED_JOB_IDS.running);
      expect(fourth.status).to.equal(200);
      expect(simulator.appliedReschedules()).to.equal(1);
      expect(simulator.requests.map((request) => request.fault)).to.deep.equal([
        "status 503",
        "status 502",
        "status 429, retry-after 2",
        undefined,
      ]);
    });

    it("sends Retry-After as an HTTP date verbatim, and a 401 fault in the older shape", async () => {
      const date = "Wed, 21 Oct 2015 07:28:00 GMT";
      simulator.fault("GET /jobs/{job_id}", { status: 503, retryAfter: date }, { status: 401 });
      expect((await call(simulator, `/jobs/${EXAMPLE_JOB_ID}`)).headers.get("retry-after")).to.equal(date);
      const unauthorized = await call(simulator, `/jobs/${EXAMPLE_JOB_ID}`);
      expect(unauthorized.status).to.equal(401);
      expect(unauthorized.body).to.have.keys(["error", "error_description"]);
    });

    it("narrows a fault to one job, and applies faults to the list route", async () => {
      simulator.fault(`POST /jobs/${SEEDED_JOB_IDS.pending}/reschedule`, { status: 500 });
      simulator.fault("GET /jobs", { status: 504 });
      expect((await reschedule(simulator, SEEDED_JOB_IDS.running)).status).to.equal(200);
      expect((await reschedule(simulator, SEEDED_JOB_IDS.pending)).status).to.equal(500);
      expect((await reschedule(simulator, SEEDED_JOB_IDS.pending)).status).to.equal(200);
      expectStructuredError(await call(simulator, "/jobs?state=running"), 504);
      expect((await call(simulator, "/jobs")).status).to.equal(200);
    });

    it("delays an answer by latencyMs", async () => {
      simulator.fault("GET /jobs/{job_id}", { latencyMs: 120 });
      const started = Date.now();
      const reply = await call(simulator, `/jobs/${EXAMPLE_JOB_ID}`);
      expect(Date.now() - started).to.be.at.least(110);
      expect(reply.status).to.equal(200);
      expect(simulator.requests[0]?.fault).to.equal("latency 120ms");
    });

    it("drops the connection before applying", async () => {
      simulator.fault(RESCHEDULE_ANY, { drop: "before-apply" });
      const error = await rejection(reschedule(simulator, SEEDED_JOB_IDS.running));
      expect(error).to.be.instanceOf(Error);
      expect(simulator.appliedReschedules()).to.equal(0);
      expect(simulator.job(SEEDED_JOB_IDS.running)?.state).to.equal("running");
      expect(simulator.requests[0]).to.include({ status: "dropped", fault: "drop before-apply" });
    });

    it("drops the connection after applying", async () => {
      simulator.fault(RESCHEDULE_ANY, { drop: "after-apply" });
      const error = await rejection(reschedule(simulator, SEEDED_JOB_IDS.running));
      expect(error).to.be.instanceOf(Error);
      expect(simulator.appliedReschedules(SEEDED_JOB_IDS.running)).to.equal(1);
      expect(simulator.job(SEEDED_JOB_IDS.running)?.state).to.equal("pending");
      expect(simulator.requests[0]).to.include({ status: "dropped", fault: "drop after-apply" });
      // The retry a client would make now sees the job already pending and reschedules it again.
      expect((await reschedule(simulator, SEEDED_JOB_IDS.running)).body.outcome).to.equal("rescheduled");
    });

    it("applies first and answers late with slowAfterApplyMs", async () => {
      simulator.fault(RESCHEDULE_ANY, { slowAfterApplyMs: 150 });
      let answered = false;
      const pending = reschedule(simulator, SEEDED_JOB_IDS.running).then((reply) => {
        answered = true;
        return reply;
      });
      for (let attempt = 0; attempt < 50 && simulator.appliedReschedules() === 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(simulator.appliedReschedules()).to.equal(1);
      expect(answered).to.equal(false);
      const reply = await pending;
      expect(reply.status).to.equal(200);
      expect(reply.body.outcome).to.equal("rescheduled");
    });

    it("applies and then sends a 200 whose JSON is cut in half", async () => {
      simulator.fault(RESCHEDULE_ANY, { truncate: true });
      const reply = await reschedule(simulator, SEEDED_JOB_IDS.running);
      expect(reply.status).to.equal(200);
      expect(reply.text).to.match(/^\{"outcome":"rescheduled","job":\{/);
      expect(() => JSON.parse(reply.text)).to.throw(SyntaxError);
      expect(simulator.appliedReschedules()).to.equal(1);
      const full = (await call(simulator, `/jobs/${SEEDED_JOB_IDS.running}`)).text;
      expect(reply.text.length).to.equal(Math.floor(`{"outcome":"rescheduled","job":${full}}`.length / 2));
    });

    it("applies and then answers with its JSON grown to bodyBytes by a padding member", async () => {
      const bytes = 3_000_000;
      const plain = await call(simulator, `/jobs/${EXAMPLE_JOB_ID}`);
      simulator.fault(`GET /jobs/${EXAMPLE_JOB_ID}`, { bodyBytes: bytes });
      simulator.fault(RESCHEDULE_ANY, { bodyBytes: 1 });

      const grown = await call(simulator, `/jobs/${EXAMPLE_JOB_ID}`);
      expect(grown.status).to.equal(200);
      expect(grown.headers.get("content-length")).to.equal(String(bytes));
      expect(Buffer.byteLength(grown.text)).to.equal(bytes);
      const { padding, ...job } = grown.body;
      expect(padding).to.match(/^x+$/);
      expect(job).to.deep.equal(plain.body);
      expect(simulator.requests.at(-1)).to.include({ status: 200, fault: `body of ${bytes} bytes` });

      // Smaller than the answer itself: the answer with an empty padding member, and the reschedule applied.
      const reply = await reschedule(simulator, SEEDED_JOB_IDS.running);
      expect(reply.body.outcome).to.equal("rescheduled");
      expect(reply.body.padding).to.equal("");
      expect(simulator.appliedReschedules()).to.equal(1);
    });

    it("applies and then streams an endless body until the client goes away", async () => {
      simulator.fault(RESCHEDULE_ANY, { endless: true });
      const target = new URL(`${simulator.url}/jobs/${SEEDED_JOB_IDS.running}/reschedule`);
      const enough = 5 * 1024 * 1024;
      const received = await new Promise<{ headers: IncomingHttpHeaders; head: string; bytes: number }>(
        (resolve, reject) => {
          const request = httpRequest(target, {
            method: "POST",
            headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
          });
          request.on("error", reject);
          request.on("response", (response) => {
            let head = "";
            let bytes = 0;
            response.on("data", (chunk: Buffer) => {
              head = head.length < 4096 ? head + chunk.toString("latin1") : head;
              bytes += chunk.length;
              if (bytes >= enough) {
                request.destroy();
                resolve({ headers: response.headers, head, bytes });
              }
            });
            response.on("end", () => reject(new Error(`the body ended after ${bytes} bytes`)));
          });
          request.end('{"force":true}');
        },
      );
      expect(received.bytes).to.be.at.least(enough);
      expect(received.headers["content-length"]).to.equal(undefined);
      expect(received.headers["transfer-encoding"]).to.equal("chunked");
      expect(received.head).to.match(/^\{"outcome":"rescheduled","job":\{.*\},"padding":"x+/);
      expect(simulator.appliedReschedules()).to.equal(1);
      expect(simulator.requests.at(-1)).to.include({ status: 200, fault: "endless body" });
      // The client went away; the simulator serves the next request as usual.
      expect((await call(simulator, `/jobs/${SEEDED_JOB_IDS.running}`)).body.state).to.equal("pending");
    });

    it("closes promptly while an endless body is being sent", async () => {
      simulator.fault(`GET /jobs/${EXAMPLE_JOB_ID}`, { endless: true });
      const reading = fetch(`${simulator.url}/jobs/${EXAMPLE_JOB_ID}`, {
        headers: { Authorization: `Bearer ${TOKEN}` },
      });
      const response = await reading;
      expect(response.status).to.equal(200);
      const started = Date.now();
      await simulator.close();
      expect(Date.now() - started).to.be.below(1000);
      const error = await rejection(response.text());
      expect(error).to.be.instanceOf(Error);
    });

    it("answers with a gateway's HTML page, or any body, without applying", async () => {
      simulator.fault(
        RESCHEDULE_ANY,
        { html: true },
        { html: true, status: 504 },
        { status: 502, body: "" },
        { status: 500, body: "upstream exploded", contentType: "text/plain" },
      );
      const html = await reschedule(simulator, SEEDED_JOB_IDS.running);
      expect(html.status).to.equal(502);
      expect(html.headers.get("content-type")).to.equal("text/html");
      expect(html.text).to.contain("<h1>502 Bad Gateway</h1>");
      expect((await reschedule(simulator, SEEDED_JOB_IDS.running)).text).to.contain("504 Gateway Timeout");
      const empty = await reschedule(simulator, SEEDED_JOB_IDS.running);
      expect(empty.status).to.equal(502);
      expect(empty.text).to.equal("");
      const plain = await reschedule(simulator, SEEDED_JOB_IDS.running);
      expect(plain.text).to.equal("upstream exploded");
      expect(plain.headers.get("content-type")).to.equal("text/plain");
      expect(simulator.appliedReschedules()).to.equal(0);
    });

    it("clears queued faults, and refuses faults it cannot honour", async () => {
      simulator.fault(RESCHEDULE_ANY, { status: 503 });
      simulator.clearFaults();
      expect((await reschedule(simulator, SEEDED_JOB_IDS.running)).status).to.equal(200);
      expect(() => simulator.fault(RESCHEDULE_ANY, { status: 99 })).to.throw(/faults\[0\]\.status/);
      expect(() => simulator.fault(RESCHEDULE_ANY, { status: 503, truncate: true })).to.throw(
        /cannot combine/,
      );
      expect(() => simulator.fault(RESCHEDULE_ANY, { status: 503, endless: true })).to.throw(
        /cannot combine/,
      );
      expect(() => simulator.fault(RESCHEDULE_ANY, { truncate: true, bodyBytes: 10 })).to.throw(
        /give one of them/,
      );
      expect(() => simulator.fault(RESCHEDULE_ANY, { drop: "after-apply", endless: true })).to.throw(
        /drop "after-apply" sends no answer/,
      );
      expect(() => simulator.fault(RESCHEDULE_ANY, { bodyBytes: -1 })).to.throw(/bodyBytes must be/);
      expect(() => simulator.fault(RESCHEDULE_ANY, { latency: 5 } as never)).to.throw(
        /latency is not a fault field/,
      );
      expect(() => simulator.fault("POST /jobs" as never, { status: 500 })).to.throw(/fault route must be/);
    });

    it("does not spend a fault on an unauthorized request", async () => {
      simulator.fault(RESCHEDULE_ANY, { status: 503 });
      expect((await reschedule(simulator, SEEDED_JOB_IDS.running, undefined, "wrong")).status).to.equal(401);
      expect((await reschedule(simulator, SEEDED_JOB_IDS.running)).status).to.equal(503);
    });
  });

  describe("request log", () => {
    it("records every API request without the token, with an authorized flag", async () => {
      await call(simulator, `/jobs?state=running&per_page=5`);
      await reschedule(simulator, EXAMPLE_JOB_ID, '{"force":true}');
      await reschedule(simulator, EXAMPLE_JOB_ID, '{"force":true}', "wrong-token");
      const requests = simulator.requests;
      expect(requests).to.have.length(3);
      expect(requests[0]).to.deep.include({
        method: "GET",
        path: "/jobs",
        query: { state: "running", per_page: "5" },
        body: "",
        status: 200,
        authorized: true,
      });
      expect(requests[0]?.time).to.equal(new Date(simulator.now()).toISOString());
      expect(requests[1]).to.deep.include({
        method: "POST",
        path: `/jobs/${EXAMPLE_JOB_ID}/reschedule`,
        body: '{"force":true}',
        status: 200,
        outcome: "rescheduled",
        authorized: true,
      });
      expect(requests[2]).to.include({ status: 401, authorized: false });
      expect(simulator.writes()).to.deep.equal(requests.slice(1));
      expect(JSON.stringify(requests)).to.not.contain(TOKEN).and.not.contain("wrong-token");
      expect(logLines).to.deep.equal([
        "GET /jobs?state=running&per_page=5 200",
        `POST /jobs/${EXAMPLE_JOB_ID}/reschedule 200 rescheduled`,
        `POST /jobs/${EXAMPLE_JOB_ID}/reschedule 401`,
      ]);
      expect(logLines.join("\n")).to.not.contain(TOKEN);
    });

    it("hands out copies, and forgets everything on reset", async () => {
      await reschedule(simulator, EXAMPLE_JOB_ID, '{"force":true}');
      simulator.requests.pop();
      expect(simulator.requests).to.have.length(1);
      simulator.advance(5_000);
      simulator.fault("GET /jobs", { status: 500 });
      simulator.reset();
      expect(simulator.requests).to.deep.equal([]);
      expect(simulator.appliedReschedules()).to.equal(0);
      expect(simulator.job(EXAMPLE_JOB_ID)?.state).to.equal("completed");
      expect((await call(simulator, "/jobs")).status).to.equal(200);
    });
  });

  describe("control routes over HTTP", () => {
    async function control(path: string, body?: unknown, method?: string): Promise<Reply> {
      return call(simulator, `/_simulator${path}`, {
        token: null,
        method: method ?? (body === undefined ? "GET" : "POST"),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    }

    it("drives faults, outcomes and the clock, and reports requests and jobs", async () => {
      expect(
        (await control("/faults", { route: "POST /jobs/{job_id}/reschedule", faults: [{ status: 503 }] }))
          .body,
      ).to.deep.equal({ queued: 1 });
      expect((await reschedule(simulator, EXAMPLE_JOB_ID, '{"force":true}')).status).to.equal(503);
      await control("/outcome", { job_id: EXAMPLE_JOB_ID, state: "failed", message: "boom" });
      expect((await reschedule(simulator, EXAMPLE_JOB_ID, '{"force":true}')).status).to.equal(200);
      const advanced = await control("/advance", { ms: 12_000 });
      expect(advanced.body.now).to.equal(new Date(simulator.now()).toISOString());

      const job = await control(`/jobs/${EXAMPLE_JOB_ID}`);
      expect(job.status).to.equal(200);
      expect(job.body.applied_reschedules).to.equal(1);
      expect(get(job.body, "job", "state")).to.equal("failed");
      expect(job.text).to.contain('"snapshot_id":1724919539450264600');

      const requests = (await control("/requests")).body.requests as LosslessObject[];
      expect(requests.map((request) => request.status)).to.deep.equal([503, 200]);
      expect(simulator.requests).to.have.length(2);

      const jobs = (await control("/jobs")).body;
      expect(jobs.applied_reschedules).to.equal(1);
      expect(jobs.jobs).to.have.length(6);
    });

    it("adds jobs, clears faults, resets, and explains bad input", async () => {
      const added = await control("/jobs", { job_id: UNKNOWN_JOB_ID, state: "running", type: "costs" });
      expect(added.status).to.equal(200);
      expect((await call(simulator, `/jobs/${UNKNOWN_JOB_ID}`)).body.type).to.equal("costs");
      await control("/faults", { route: "GET /jobs", fault: { status: 500 } });
      expect((await control("/faults", undefined, "DELETE")).body).to.deep.equal({ queued: 0 });
      expect((await call(simulator, "/jobs")).status).to.equal(200);
      expect((await control("/reset", {})).status).to.equal(200);
      expect((await call(simulator, `/jobs/${UNKNOWN_JOB_ID}`)).status).to.equal(404);

      expectStructuredError(await control("/advance", { ms: -1 }), 400, /ms must be a finite number >= 0/);
      expectStructuredError(await control("/faults", { route: "GET /nope", faults: [] }), 400, /fault route/);
      expectStructuredError(
        await control("/outcome", { job_id: EXAMPLE_JOB_ID, state: "done" }),
        400,
        /state/,
      );
      expectStructuredError(await control(`/jobs/${UNKNOWN_JOB_ID}`), 404);
      expectStructuredError(await control("/nothing"), 404);
      // Control requests are not recorded, and the reset forgot the API requests made before it.
      expect(simulator.requests.map((request) => request.path)).to.deep.equal([`/jobs/${UNKNOWN_JOB_ID}`]);
    });
  });

  describe("jobs and options", () => {
    it("serves jobs given as objects and added later, big integers included", async () => {
      await restart({
        jobs: [{ job_id: UNKNOWN_JOB_ID, state: "completed", result: { snapshot_id: 2n ** 63n } }],
      });
      expect(simulator.jobs().map((job) => job.job_id)).to.deep.equal([UNKNOWN_JOB_ID]);
      expect((await call(simulator, `/jobs/${UNKNOWN_JOB_ID}`)).text).to.contain(
        '"snapshot_id":9223372036854775808',
      );
      const added = simulator.addJob({ job_id: "11111111-2222-4333-8444-555555555555", state: "pending" });
      expect(added.state).to.equal("pending");
      expect((await call(simulator, "/jobs")).body.total_records).to.equal(2);
      expect(() => simulator.addJob({ job_id: "nope", state: "pending" })).to.throw(/job_id must be a UUID/);
    });

    it("loads a seed file losslessly: an array, a page or a reschedule response", async () => {
      const folder = await mkdtemp(join(tmpdir(), "simulator-seed-"));
      try {
        const file = join(folder, "seed.json");
        await writeFile(
          file,
          `{"outcome":"skipped_terminal","job":{"job_id":"${UNKNOWN_JOB_ID}","state":"completed","result":{"snapshot_id":1724919539450264583}}}`,
        );
        await restart({ seedFile: file });
        expect((await call(simulator, `/jobs/${UNKNOWN_JOB_ID}`)).text).to.contain("1724919539450264583");
        await writeFile(
          file,
          `{"current_page":1,"records":[{"job_id":"${UNKNOWN_JOB_ID}","state":"failed"}]}`,
        );
        await restart({ seedFile: file });
        expect(simulator.job(UNKNOWN_JOB_ID)?.state).to.equal("failed");
        await writeFile(file, "[{]");
        await startSimulator({ seedFile: file }).then(
          () => expect.fail("a bad seed file must be refused"),
          (error: Error) => expect(error.message).to.match(/seed\.json is not valid JSON: .*position 2/),
        );
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });

    it("refuses bad options with a message naming the option, never the token", async () => {
      const refusals: [SimulatorOptions, RegExp][] = [
        [{ port: 70_000 }, /options\.port/],
        [{ token: "has space" }, /options\.token/],
        [{ durations: { pendingMs: -1 } }, /options\.durations\.pendingMs/],
        [{ jobs: [{ job_id: UNKNOWN_JOB_ID } as never] }, /options\.jobs\[0\]\.state/],
        [{ seedFile: "/nonexistent/seed.json" }, /options\.seedFile .*ENOENT/],
      ];
      for (const [options, message] of refusals) {
        const error = await rejection(
          startSimulator(options).then((started) => started.close()),
          Error,
          JSON.stringify(options),
        );
        expect(error?.message, JSON.stringify(options)).to.match(message).and.not.contain("has space");
      }
    });
  });

  describe("command line", function () {
    this.timeout(15_000);
    this.slow(4_000);
    let child: ChildProcess | undefined;

    afterEach(() => {
      child?.kill("SIGKILL");
      child = undefined;
    });

    function runCli(args: string[]): {
      child: ChildProcess;
      output: () => string;
      exited: Promise<number | null>;
    } {
      const process_ = spawn(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", "provider/simulator/cli.ts", ...args],
        { cwd: join(__dirname, "..", ".."), env: { ...process.env, NARRATIVE_API_TOKEN: "" }, stdio: "pipe" },
      );
      let output = "";
      process_.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      process_.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => process_.on("exit", (code) => resolve(code)));
      return { child: process_, output: () => output, exited };
    }

    it("prints its URL and jobs, logs requests, and exits cleanly on SIGTERM", async () => {
      const cli = runCli(["--port", "0", "--token", TOKEN, "--pending", "5s", "--running", "500"]);
      child = cli.child;
      for (let attempt = 0; attempt < 200 && !/Press Ctrl\+C/.test(cli.output()); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(cli.output())?.[1];
      expect(url, cli.output()).to.be.a("string");
      for (const jobId of Object.values(SEEDED_JOB_IDS)) {
        expect(cli.output()).to.contain(jobId);
      }
      expect(cli.output()).to.match(new RegExp(`${EXAMPLE_JOB_ID}  completed +materialize-view`));
      expect(cli.output()).to.contain("stay pending 5s, then run 500ms");

      const response = await fetch(`${url as string}/jobs/${EXAMPLE_JOB_ID}/reschedule`, {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}` },
        body: '{"force":true}',
      });
      expect(response.status).to.equal(200);
      await response.text();
      expect(cli.output()).to.match(new RegExp(`POST /jobs/${EXAMPLE_JOB_ID}/reschedule 200 rescheduled`));

      cli.child.kill("SIGTERM");
      expect(await cli.exited).to.equal(0);
      expect(cli.output()).to.contain("Simulator stopped.").and.not.contain(TOKEN);
    });

    it("refuses bad flags with exit code 2", async () => {
      const cli = runCli(["--port", "http"]);
      child = cli.child;
      expect(await cli.exited).to.equal(2);
      expect(cli.output()).to.contain("--port must be an integer").and.contain("--help");
    });
  });
});
