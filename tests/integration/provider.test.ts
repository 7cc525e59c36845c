/**
 * The JobRerun provider object, called the way the engine calls it, against the simulator over real HTTP on
 * loopback. One `describe` per lifecycle line of the contract; delete, which does nothing here, is checked where
 * the engine sees its effect, through both hosts (hosts.test.ts, newer-state.test.ts).
 */
import { expect } from "chai";
import type { StoredOutputs } from "../../provider/jobrerun/decisions";
import { parseExact } from "../../provider/common/json";
import { NarrativeApiError, NarrativeConfigError, NarrativeError } from "../../provider/api/errors";
import { SEEDED_JOB_IDS } from "../../provider/simulator";
import {
  COMPLETED_JOB,
  expectNoToken,
  providerHarness,
  rerunInputs as inputs,
  TOKEN,
  type Harness,
  figures,
} from "../support/provider-harness";
import { rejection } from "../support/assertions";

const RUNNING_JOB = SEEDED_JOB_IDS.running;
const MISSING_JOB = "00000000-0000-4000-8000-000000000000";

async function harness(config: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}): Promise<Harness> {
  return providerHarness({ config, env });
}

describe("JobRerun provider against the simulator", () => {
  let h: Harness;

  afterEach(async () => {
    await h?.close();
  });

  describe("check", () => {
    beforeEach(async () => {
      h = await harness();
    });

    it("keeps the inputs as given (the defaults apply later) and sends nothing", async () => {
      const result = await h.provider.check({}, { jobId: COMPLETED_JOB, triggers: "v1" });
      expect(result.failures).to.equal(undefined);
      expect(result.inputs).to.deep.equal({ jobId: COMPLETED_JOB, triggers: "v1" });
      expect(h.sim.requests).to.have.length(0);
    });

    const badInputs: [string, Record<string, unknown>, string, RegExp][] = [
      ["a non-UUID jobId", { jobId: "job-42", triggers: 1 }, "jobId", /jobId must be a Narrative job UUID/],
      ["a jobId holding ../", { jobId: "../../admin", triggers: 1 }, "jobId", /UUID.*"\.\.\/\.\.\/admin"/],
      [
        "an http:// apiUrl that is not loopback",
        { jobId: COMPLETED_JOB, triggers: 1, apiUrl: "http://api.narrative.io" },
        "apiUrl",
        /apiUrl must use https:\/\//,
      ],
      [
        "a function inside triggers",
        { jobId: COMPLETED_JOB, triggers: { build: () => "sha" } },
        "triggers",
        /triggers\.build is a function/,
      ],
      [
        "a token given as an input",
        { jobId: COMPLETED_JOB, triggers: 1, token: TOKEN },
        "token",
        /narrative:token/,
      ],
    ];
    for (const [what, news, property, reason] of badInputs) {
      it(`rejects ${what}, naming ${property}, and sends nothing`, async () => {
        const result = await h.provider.check({}, news);
        const failure = result.failures?.find((f) => f.property === property);
        expect(failure, JSON.stringify(result.failures)).to.not.equal(undefined);
        expect(failure?.reason).to.match(reason);
        expectNoToken(result.failures);
        expect(h.sim.requests).to.have.length(0);
      });
    }

    it("quotes a bad value, but never the token pasted into the wrong field", async () => {
      const result = await h.provider.check({}, { jobId: TOKEN, triggers: 1 });
      expect(result.failures?.map((failure) => failure.property)).to.deep.equal(["jobId"]);
      expectNoToken(result.failures);
      expect(result.failures?.[0]?.reason).to.include("[REDACTED]");
      const typo = await h.provider.check({}, { jobId: "job-42", triggers: 1 });
      expect(typo.failures?.[0]?.reason).to.include('"job-42"');
    });

    it("lets values that are unknown during preview pass", async () => {
      const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
      const result = await h.provider.check(
        {},
        { jobId: unknown, triggers: { sha: unknown }, apiUrl: unknown },
      );
      expect(result.failures).to.equal(undefined);
    });
  });

  describe("diff", () => {
    let olds: StoredOutputs;

    beforeEach(async () => {
      h = await harness();
      olds = (await h.provider.create(inputs())).outs as StoredOutputs;
      h.sim.reset();
    });

    it("sees changed triggers as an update, without a request", async () => {
      const result = await h.provider.diff(COMPLETED_JOB, olds, {
        ...inputs({ triggers: { sql: "def456" } }),
      });
      expect(result).to.deep.include({ changes: true, replaces: [] });
      expect(h.sim.requests).to.have.length(0);
    });

    it("compares triggers by value: key order does not matter, array order does", async () => {
      const reordered = await h.provider.diff(
        COMPLETED_JOB,
        { ...olds, triggers: { a: 1, b: [1, 2] } },
        {
          ...inputs({ triggers: { b: [1, 2], a: 1 } }),
        },
      );
      expect(reordered.changes).to.equal(false);
      const swapped = await h.provider.diff(
        COMPLETED_JOB,
        { ...olds, triggers: { a: 1, b: [1, 2] } },
        {
          ...inputs({ triggers: { a: 1, b: [2, 1] } }),
        },
      );
      expect(swapped.changes).to.equal(true);
    });

    it("replaces the resource when the job id changes", async () => {
      const result = await h.provider.diff(COMPLETED_JOB, olds, { ...inputs({ jobId: RUNNING_JOB }) });
      expect(result).to.deep.include({ changes: true, replaces: ["jobId"] });
    });

    it("ignores a new __provider text (a new package version)", async () => {
      const result = await h.provider.diff(
        COMPLETED_JOB,
        { ...olds, __provider: "old text" } as StoredOutputs,
        {
          ...inputs(),
          __provider: "new text",
        },
      );
      expect(result.changes).to.equal(false);
    });
  });

  describe("create", () => {
    it("reads the job, stores it exactly, and does not reschedule", async () => {
      h = await harness();
      const result = await h.provider.create(inputs());
      expect(result.id).to.equal(COMPLETED_JOB);
      const outs = result.outs as StoredOutputs;
      expect(figures(outs).state).to.equal("completed");
      expect(figures(outs).outcome).to.equal(undefined);
      expect(figures(outs).rescheduleCount).to.equal(0);
      expect(outs.apiUrl).to.equal(h.sim.url);
      // The seed page's job carries an integer beyond 2^53: it survives digit for digit in jobJson.
      expect(figures(outs).jobJson).to.include('"snapshot_id":1724919539450264600');
      // The parsed job keeps it too, as its exact decimal string (a double cannot hold it).
      expect(figures(outs).job).to.deep.equal(parseExact(figures(outs).jobJson));
      expect(figures(outs).job.result?.["snapshot_id"]).to.equal("1724919539450264600");
      expect(h.sim.requests.map((r) => `${r.method} ${r.path}`)).to.deep.equal([
        `GET /jobs/${COMPLETED_JOB}`,
      ]);
      expect(h.sim.writes()).to.have.length(0);
      expectNoToken(outs);
      // As stored: the inputs with their defaults for diff, the rest under status, the job once (as text).
      const stored = result.outs as StoredOutputs;
      expect(Object.keys(stored).sort()).to.deep.equal(
        [
          "apiUrl",
          "force",
          "jobId",
          "onUnrecordedRun",
          "runOnCreate",
          "status",
          "triggers",
          "waitFor",
        ].sort(),
      );
      expect(Object.keys(stored.status).sort()).to.deep.equal([
        "jobJson",
        "rescheduleCount",
        "schemaVersion",
        "state",
        "writtenBy",
      ]);
    });

    it("fills in the defaults of inputs not given: force, runOnCreate false, waitFor none", async () => {
      h = await harness();
      const { outs } = await h.provider.create({ jobId: COMPLETED_JOB, triggers: "v1" });
      expect(outs).to.deep.include({ force: true, runOnCreate: false, waitFor: "none" });
      expect(h.sim.writes()).to.have.length(0);
    });

    it("keeps fields the documentation does not list", async () => {
      h = await harness();
      const outs = (await h.provider.create(inputs({ jobId: SEEDED_JOB_IDS.withUnknownFields })))
        .outs as StoredOutputs;
      const served = h.sim.job(SEEDED_JOB_IDS.withUnknownFields);
      expect(Object.keys(figures(outs).job)).to.deep.equal(Object.keys(served ?? {}));
    });

    it("reschedules once on create when runOnCreate is true", async () => {
      h = await harness();
      const outs = (await h.provider.create(inputs({ runOnCreate: true }))).outs as StoredOutputs;
      expect(figures(outs).outcome).to.equal("rescheduled");
      expect(figures(outs).state).to.equal("pending");
      expect(figures(outs).rescheduleCount).to.equal(1);
      expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(1);
    });

    it("fails on a missing job with the job id and the API host, and stores nothing", async () => {
      h = await harness();
      const error = await rejection(h.provider.create(inputs({ jobId: MISSING_JOB })));
      expect(error).to.be.instanceOf(NarrativeApiError);
      expect(error.message).to.include(MISSING_JOB).and.to.include(new URL(h.sim.url).host);
      expect(h.sim.writes()).to.have.length(0);
      expectNoToken(error);
    });
  });

  describe("update", () => {
    let olds: StoredOutputs;

    beforeEach(async () => {
      h = await harness();
      olds = (await h.provider.create(inputs())).outs as StoredOutputs;
    });

    it("reschedules exactly once with force true when the triggers changed", async () => {
      const news = inputs({ triggers: { sql: "def456" } });
      const outs = (await h.provider.update(COMPLETED_JOB, olds, news)).outs as StoredOutputs;
      const posts = h.sim.writes();
      expect(posts.map((r) => `${r.method} ${r.path} ${r.body}`)).to.deep.equal([
        `POST /jobs/${COMPLETED_JOB}/reschedule {"force":true}`,
      ]);
      expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(1);
      expect(figures(outs).outcome).to.equal("rescheduled");
      expect(figures(outs).state).to.equal("pending");
      expect(figures(outs).job.executor).to.equal(undefined);
      expect(figures(outs).rescheduleCount).to.equal(1);
      expect(Date.parse(figures(outs).lastRescheduledAt ?? "")).to.be.closeTo(Date.now(), 10_000);
      expect(outs.triggers).to.deep.equal({ sql: "def456" });
      expect(figures(outs).jobJson).to.include('"snapshot_id":1724919539450264600');
    });

    it("sends nothing when only force changed", async () => {
      h.sim.reset();
      const outs = (await h.provider.update(COMPLETED_JOB, olds, inputs({ force: false })))
        .outs as StoredOutputs;
      expect(h.sim.requests).to.have.length(0);
      expect(outs.force).to.equal(false);
      expect(figures(outs).rescheduleCount).to.equal(0);
    });

    it("records skipped_terminal and warns, naming the job and its state, when force is false", async () => {
      const outs = (await h.provider.update(COMPLETED_JOB, olds, inputs({ force: false, triggers: "v2" })))
        .outs as StoredOutputs;
      expect(h.sim.writes().map((r) => r.body)).to.deep.equal(['{"force":false}']);
      expect(figures(outs).outcome).to.equal("skipped_terminal");
      expect(figures(outs).rescheduleCount).to.equal(0);
      expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(0);
      const warning = h.lines.find((line) => line.startsWith("warn:"));
      expect(warning).to.include(COMPLETED_JOB).and.to.include("completed").and.to.include("force");
    });

    it("counts reschedules across updates", async () => {
      const first = (await h.provider.update(COMPLETED_JOB, olds, inputs({ triggers: "v2" })))
        .outs as StoredOutputs;
      const second = (await h.provider.update(COMPLETED_JOB, first, inputs({ triggers: "v3" })))
        .outs as StoredOutputs;
      expect(figures(second).rescheduleCount).to.equal(2);
      expect(h.sim.appliedReschedules(COMPLETED_JOB)).to.equal(2);
    });
  });

  describe("read (refresh)", () => {
    it("updates the stored job from the API", async () => {
      h = await harness();
      const created = (await h.provider.create(inputs())).outs as StoredOutputs;
      const updated = (await h.provider.update(COMPLETED_JOB, created, inputs({ triggers: "v2" })))
        .outs as StoredOutputs;
      h.sim.advance(60_000);
      const result = await h.provider.read(COMPLETED_JOB, updated);
      expect(result.id).to.equal(COMPLETED_JOB);
      expect(figures(result.props).state).to.equal("completed");
      expect(figures(result.props).outcome).to.equal("rescheduled");
      expect(figures(result.props).rescheduleCount).to.equal(1);
      expect(h.sim.writes()).to.have.length(1);
    });

    it("reports the resource deleted when the job no longer exists", async () => {
      h = await harness();
      const outs = (await h.provider.create(inputs())).outs as StoredOutputs;
      const result = await h.provider.read(COMPLETED_JOB, { ...outs, jobId: MISSING_JOB });
      expect(result.id).to.equal(undefined);
    });
  });

  describe("bad configuration and API failures: a clear error, no token, no write", () => {
    it("fails without a token before sending anything", async () => {
      h = await harness({ "narrative:token": "" });
      const error = await rejection(h.provider.create(inputs()));
      expect(error).to.be.instanceOf(NarrativeConfigError);
      expect(error.message).to.include("pulumi config set --secret narrative:token");
      expect(h.sim.requests).to.have.length(0);
    });

    it("takes the token from NARRATIVE_API_TOKEN when the stack has none", async () => {
      h = await harness({ "narrative:token": "" }, { NARRATIVE_API_TOKEN: TOKEN });
      const result = await h.provider.create(inputs());
      expect(result.id).to.equal(COMPLETED_JOB);
    });

    it("explains a 401 by pointing at narrative:token", async () => {
      h = await harness({ "narrative:token": "tok-wrong" });
      const error = await rejection(h.provider.create(inputs()));
      expect(error).to.be.instanceOf(NarrativeApiError);
      expect((error as NarrativeApiError).status).to.equal(401);
      expect(error.message).to.include("narrative:token");
      expect(error.message).not.to.include("tok-wrong");
      expect(h.sim.writes()).to.have.length(0);
    });

    it("explains a 403 by pointing at the Jobs permission, and stores the old state", async () => {
      h = await harness();
      const olds = (await h.provider.create(inputs())).outs as StoredOutputs;
      h.sim.fault(`POST /jobs/${COMPLETED_JOB}/reschedule`, { status: 403 });
      const error = await rejection(h.provider.update(COMPLETED_JOB, olds, inputs({ triggers: "v2" })));
      expect((error as NarrativeApiError).status).to.equal(403);
      expect(error.message).to.match(/Jobs permission/);
      expect(error.message).to.include(COMPLETED_JOB);
      expect(h.sim.appliedReschedules()).to.equal(0);
      expectNoToken(error);
    });

    it("shows the first words of an HTML 502 page when retries run out", async () => {
      h = await harness();
      const olds = (await h.provider.create(inputs())).outs as StoredOutputs;
      // Slow enough that the 3 s retry budget runs out before the queue of faults does.
      h.sim.fault(
        `GET /jobs/${COMPLETED_JOB}`,
        ...Array.from({ length: 60 }, () => ({ html: true, latencyMs: 100 })),
      );
      const error = await rejection(h.provider.read(COMPLETED_JOB, olds));
      expect(error).to.be.instanceOf(NarrativeApiError);
      expect((error as NarrativeApiError).status).to.equal(502);
      expect(error.message).not.to.match(/<html|<body/i);
      expect(h.lines.some((line) => line.includes("retrying"))).to.equal(true);
      expectNoToken(error, h.lines);
      expect(h.sim.writes()).to.have.length(0);
    });

    it("times out a job read that never answers, naming the call", async () => {
      h = await harness();
      h.sim.fault(`GET /jobs/${COMPLETED_JOB}`, ...Array.from({ length: 20 }, () => ({ latencyMs: 5_000 })));
      const error = await rejection(h.provider.create(inputs()));
      expect(error).to.be.instanceOf(NarrativeError);
      expect(error.message).to.match(/timed out|time/i);
      expect(error.message).to.include(COMPLETED_JOB);
      expectNoToken(error);
      expect(h.sim.writes()).to.have.length(0);
    }).timeout(10_000);
  });
});
