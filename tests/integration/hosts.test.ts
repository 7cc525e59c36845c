/**
 * One lifecycle, two hosts: the same cases run against Pulumi's dynamic provider host (loading the stored
 * provider text) and against the `narrative` provider plugin, each a real process driven over gRPC as the engine
 * drives it, each talking real HTTP to the simulator on loopback. Both hosts run the shared lifecycle
 * (provider/jobrerun/lifecycle.ts), so every case must come out the same: what is checked, what is sent, what is stored,
 * what a failure says, and what Cancel does.
 */
import { expect } from "chai";
import { SEEDED_JOB_IDS, startSimulator, type Simulator } from "../../provider/simulator";
import { HostError, ProviderHost, type HostKind } from "../support/provider-hosts";
import { encodeToken, tokenLeaks } from "../support/token-leaks";
import { pollUntil } from "../support/e2e";
import { rejection } from "../support/assertions";

const TOKEN = "tok-HOSTS-4c1e9a7b";
const JOB_ID = SEEDED_JOB_IDS.completed;
const OTHER_JOB_ID = "9b0e7c1a-2f4d-4e8a-b6c3-d5e7f9a1b2c3";
/** The seeded job's `result.snapshot_id`, beyond 2^53: kept digit for digit. */
const BIG_SNAPSHOT_ID = "1724919539450264600";
/** A password in a URL, which no refusal may repeat. */
const PASSWORD = "pw-USERINFO-93d1";

function requestLine(request: { method: string; path: string; body: string }): string {
  return `${request.method} ${request.path}${request.body === "" ? "" : ` ${request.body}`}`;
}

for (const kind of ["dynamic", "plugin"] as HostKind[]) {
  describe(`the JobRerun lifecycle through the ${kind} host`, function () {
    // A host process starts in about a second; a wait case polls every 2 s.
    this.timeout(30_000);

    let sim: Simulator;
    let host: ProviderHost;

    before(async function () {
      sim = await startSimulator({ frozen: true, token: TOKEN });
      host = await ProviderHost.start(kind, {
        // Short retries, so that the failure cases fail in seconds.
        NARRATIVE_ATTEMPT_TIMEOUT: "2s",
        NARRATIVE_TOTAL_TIMEOUT: "4s",
      });
      await host.configure({ "narrative:token": TOKEN, "narrative:apiUrl": sim.url });
    });

    after(async () => {
      await host?.close();
      await sim?.close();
    });

    beforeEach(() => {
      sim.reset();
    });

    /** A JobRerun created with these triggers, and the requests since. */
    async function created(triggers: unknown = { sql: "v1" }) {
      const { id, outputs } = await host.create({ jobId: JOB_ID, triggers });
      return { id, outputs };
    }

    it("check: refuses a bad jobId and a token given as an input, naming the field", async () => {
      const bad = await host.check({}, { jobId: "not-a-job", triggers: "x" });
      expect(bad.failures).to.have.length(1);
      expect(bad.failures[0]).to.deep.include({ property: "jobId" });
      expect(bad.failures[0]?.reason)
        .to.include("jobId must be a Narrative job UUID")
        .and.include('"not-a-job"');

      const token = await host.check({}, { jobId: JOB_ID, triggers: "x", token: TOKEN });
      expect(token.failures.map((failure) => failure.property)).to.deep.equal(["token"]);
      expect(token.failures[0]?.reason).to.include("pulumi config set --secret narrative:token");
      expect(tokenLeaks(JSON.stringify(token.failures), TOKEN)).to.deep.equal([]);

      expect((await host.check({}, { jobId: JOB_ID, triggers: { sql: "v1" } })).failures).to.deep.equal([]);
      expect(sim.requests).to.deep.equal([]);
    });

    it("create reads the job and sends nothing else; the job is stored exactly", async () => {
      const { id, outputs } = await created();

      expect(id).to.equal(JOB_ID);
      expect(sim.requests.map(requestLine)).to.deep.equal([`GET /jobs/${JOB_ID}`]);
      const figures = host.figures(outputs);
      expect(figures).to.deep.include({ jobId: JOB_ID, state: "completed", rescheduleCount: 0, force: true });
      expect(figures["jobJson"]).to.be.a("string").and.include(`"snapshot_id":${BIG_SNAPSHOT_ID}`);
      expect(tokenLeaks(JSON.stringify(outputs), TOKEN)).to.deep.equal([]);
    });

    it("diff: no change, an update for new triggers, a replacement for another job; nothing sent", async () => {
      const { id, outputs } = await created();
      sim.reset();

      expect(await host.diff(id, outputs, { jobId: JOB_ID, triggers: { sql: "v1" } })).to.deep.equal({
        changes: false,
        replaces: [],
      });
      expect(await host.diff(id, outputs, { jobId: JOB_ID, triggers: { sql: "v2" } })).to.deep.equal({
        changes: true,
        replaces: [],
      });
      expect(await host.diff(id, outputs, { jobId: OTHER_JOB_ID, triggers: { sql: "v1" } })).to.deep.equal({
        changes: true,
        replaces: ["jobId"],
      });
      expect(sim.requests).to.deep.equal([]);
    });

    it('update with new triggers reads the job, then sends exactly one POST {"force":true}', async () => {
      const { id, outputs } = await created();
      sim.reset();

      const updated = await host.update(id, outputs, { jobId: JOB_ID, triggers: { sql: "v2" } });

      expect(sim.requests.map(requestLine)).to.deep.equal([
        `GET /jobs/${JOB_ID}`,
        `POST /jobs/${JOB_ID}/reschedule {"force":true}`,
      ]);
      expect(host.figures(updated)).to.deep.include({
        outcome: "rescheduled",
        rescheduleCount: 1,
        state: "pending",
        triggers: { sql: "v2" },
      });
      expect(host.figures(updated)["lastRescheduledAt"]).to.be.a("string");
    });

    it("read (refresh) reads the job; delete (destroy) sends nothing", async () => {
      const { id, outputs } = await created();
      sim.reset();

      const read = await host.read(id, outputs);
      expect(read.id).to.equal(JOB_ID);
      expect(host.figures(read.outputs)).to.deep.include({ state: "completed", rescheduleCount: 0 });
      expect(sim.requests.map(requestLine)).to.deep.equal([`GET /jobs/${JOB_ID}`]);

      sim.reset();
      await host.delete(id, outputs);
      expect(sim.requests).to.deep.equal([]);
    });

    it("waitFor terminal: a failed run fails the update, records the reschedule and owes a rerun", async () => {
      const { id, outputs } = await created();
      sim.setJobOutcome(JOB_ID, { state: "failed", message: "Snowflake warehouse suspended" });
      const news = { jobId: JOB_ID, triggers: { sql: "v2" }, waitFor: "terminal" };

      const update = rejection(host.update(id, outputs, news));
      await pollUntil(() => (sim.appliedReschedules(JOB_ID) > 0 ? true : undefined), {
        what: "the reschedule",
      });
      sim.advance(60 * 60_000);
      const error = await update;

      expect(error).to.be.instanceOf(HostError);
      const failure = error as HostError;
      expect(failure.message)
        .to.include(JOB_ID)
        .and.include("failed")
        .and.include("Snowflake warehouse suspended");
      expect(failure.partial?.id).to.equal(JOB_ID);
      expect(host.figures(failure.partial?.outputs ?? {})).to.deep.include({
        triggers: { sql: "v2" },
        unfinishedRun: "rerun",
        state: "failed",
        rescheduleCount: 1,
      });
      expect(sim.appliedReschedules(JOB_ID)).to.equal(1);
    });

    it("a 500 that echoes the token, escaped, fails the update with the token [REDACTED]", async () => {
      const { id, outputs } = await created();
      sim.fault(`POST /jobs/${JOB_ID}/reschedule`, {
        status: 500,
        body: `{"title": "Internal Server Error", "detail": "bad key ${encodeToken("JSON \\u of every character", TOKEN)}"}`,
      });

      const error = (await rejection(
        host.update(id, outputs, { jobId: JOB_ID, triggers: { sql: "v2" } }),
      )) as HostError;

      expect(error?.message).to.include("bad key [REDACTED]");
      for (const text of [error?.message ?? "", JSON.stringify(error?.partial ?? {}), host.stderr.join("")]) {
        expect(tokenLeaks(text, TOKEN), text).to.deep.equal([]);
      }
    });

    it("a state written by a newer release: diff and refresh stop, naming both versions, and send nothing", async () => {
      const { id, outputs } = await created();
      sim.reset();
      // The state as a future release would write it: a higher schemaVersion and a member this one does not know.
      const future =
        kind === "plugin"
          ? { ...outputs, schemaVersion: 99, lane: "fast" }
          : {
              ...outputs,
              status: { ...(outputs["status"] as Record<string, unknown>), schemaVersion: 99, lane: "fast" },
            };

      for (const step of [
        () => host.diff(id, future, { jobId: JOB_ID, triggers: { sql: "v2" } }),
        () => host.read(id, future),
      ]) {
        const error = (await rejection(step())) as HostError;
        expect(error, "refused").to.be.instanceOf(HostError);
        expect(error?.message)
          .to.include("schemaVersion 99")
          .and.include("Install a release of pulumi-narrative-jobs newer than");
      }
      expect(sim.requests).to.deep.equal([]);
    });

    it("Cancel ends a wait at once; the reschedule is recorded and the next up follows the run", async () => {
      const { id, outputs } = await created();
      const news = { jobId: JOB_ID, triggers: { sql: "v2" }, waitFor: "terminal" };
      const update = rejection(host.update(id, outputs, news));
      await pollUntil(() => (sim.appliedReschedules(JOB_ID) > 0 ? true : undefined), {
        what: "the reschedule",
      });
      const started = Date.now();

      await host.cancel();
      const error = (await update) as HostError;

      expect(Date.now() - started, "cancelled within a few seconds").to.be.below(5_000);
      expect(error?.message).to.include(JOB_ID);
      expect(host.figures(error?.partial?.outputs ?? {})).to.deep.include({
        unfinishedRun: "follow",
        rescheduleCount: 1,
      });
      expect(sim.appliedReschedules(JOB_ID)).to.equal(1);
    });
  });
}

for (const kind of ["dynamic", "plugin"] as HostKind[]) {
  describe(`the ${kind} host's settings from the environment`, function () {
    this.timeout(30_000);

    it("a URL with a user name and password: refused in the same words, never echoed, never named to the engine", async () => {
      const withUserInfo = `https://alice:${PASSWORD}@api.narrative.io`;
      const sim = await startSimulator({ frozen: true, token: TOKEN });
      const host = await ProviderHost.start(kind);
      const refusing = await ProviderHost.start(kind);
      try {
        await host.configure({ "narrative:token": TOKEN, "narrative:apiUrl": sim.url });
        const input = await host.check({}, { jobId: JOB_ID, triggers: "x", apiUrl: withUserInfo });
        // No property: the engine prints a named property's value beside the reason.
        expect(input.failures).to.deep.equal([
          {
            property: "",
            reason:
              "apiUrl must not contain a user name or password: set the token with `pulumi config set --secret narrative:token`",
          },
        ]);

        // The dynamic host configures the provider at the first resource call, the plugin at Configure itself.
        const refused = await rejection(
          refusing
            .configure({ "narrative:token": TOKEN, "narrative:apiUrl": withUserInfo })
            .then(() => refusing.create({ jobId: JOB_ID, triggers: "x" })),
        );
        expect(refused?.message).to.include("narrative:apiUrl must not contain a user name or password");
        const shown = [
          JSON.stringify(input.failures),
          refused?.message ?? "",
          ...host.stderr,
          ...refusing.stderr,
        ];
        for (const text of shown) {
          expect(text).not.to.include(PASSWORD).and.not.to.include("alice");
        }
        expect(sim.requests).to.deep.equal([]);
      } finally {
        await Promise.all([host.close(), refusing.close(), sim.close()]);
      }
    });

    it("with no configuration, NARRATIVE_API_TOKEN and NARRATIVE_API_URL are used; a plain-http URL is refused", async () => {
      const sim = await startSimulator({ frozen: true, token: TOKEN });
      const host = await ProviderHost.start(kind, { NARRATIVE_API_TOKEN: TOKEN, NARRATIVE_API_URL: sim.url });
      try {
        await host.configure({});
        const { id } = await host.create({ jobId: JOB_ID, triggers: "v1" });
        expect(id).to.equal(JOB_ID);
        expect(sim.requests.map((request) => [requestLine(request), request.authorized])).to.deep.equal([
          [`GET /jobs/${JOB_ID}`, true],
        ]);
      } finally {
        await host.close();
      }

      const refusing = await ProviderHost.start(kind, {
        NARRATIVE_API_TOKEN: TOKEN,
        NARRATIVE_API_URL: "http://192.0.2.1:8080",
      });
      try {
        const error = await rejection(
          refusing.configure({}).then(() => refusing.create({ jobId: JOB_ID, triggers: "v1" })),
        );
        expect(error?.message).to.include("NARRATIVE_API_URL must use https://");
      } finally {
        await refusing.close();
        await sim.close();
      }
    });
  });
}
