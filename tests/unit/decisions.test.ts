import { expect } from "chai";
import {
  runSince,
  STATE_SCHEMA_VERSION,
  checkInputs,
  diffInputs,
  outputsFromState,
  planUpdate,
  refreshedOutputs,
  rerunOutputs,
  skippedTerminalWarning,
  storedOutputs,
  waitVerdict,
  type JobRerunOutputs,
  type RescheduleRecord,
  type ResolvedInputs,
} from "../../provider/jobrerun/decisions";
import { INPUT_DEFAULTS, withDefaults } from "../../provider/jobrerun/inputs";
import { parseExact } from "../../provider/common/json";
import { UNKNOWN } from "../../provider/jobrerun/triggers";
import { isJobId as isUuid, type JobSnapshot } from "../../provider/api/types";
import { DEFAULT_API_URL } from "../../provider/common/setting-names";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { Job } from "../../provider/api/types";
import { failuresOf, onlyFailure } from "../support/check-inputs";
import { deepFreeze, show } from "../support/values";

const JOB_ID = "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c";
/** The version in this repository's package.json: what a state written by this build names as its writer. */
const PACKAGE_VERSION = (
  JSON.parse(readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string }
).version;
const OTHER_JOB_ID = "7c0e5f8a-1b2c-4d3e-9f40-5a6b7c8d9e0f";
/** Shaped like the documentation's example token, so that a leak would be easy to spot in a failure. */
const TOKEN = "ldg8uuGibVJNHI9s+dcdIQ==";

/**
 * The reschedule page's example job as the API sends it, plus a field this package has never heard of. Its
 * `snapshot_id` is beyond 2^53, so only the text keeps it exactly.
 */
const EXAMPLE_JOB_JSON =
  '{"job_id":"2a5b9ad7-dc8f-47bb-8e62-843a38f8054c","data_plane_id":"f79cbdae-4848-47ca-95e8-69588364d185",' +
  '"request_source":{"type":"api_user","company_id":1,"user_id":407},"state":"completed","type":"materialize-view",' +
  '"input":{"nql":"CREATE MATERIALIZED VIEW \\"test_stats\\" AS SELECT \\"value\\" FROM \\"company_data\\".\\"10674\\"",' +
  '"dataset_id":10736,"stats_enabled":true},"executor":"job-executor-98e1f48e-bf54-4f11-bbd1-73c445120266",' +
  '"result":{"dataset_id":10736,"snapshot_id":1724919539450264600,"recalculation_id":"abf9a2ec-426b-4751-bd16-fcb435061925"},' +
  '"created_at":"2023-10-31T11:19:13.400498","updated_at":"2023-10-31T11:25:08.327209","ended_at":"2023-10-31T11:25:08.327194",' +
  '"priority_hint":{"tier":"gold","weights":[3,1]}}';

function snapshot(overrides: Partial<Job> = {}): JobSnapshot {
  // Parsed as the package reads a stored job: an integer beyond 2^53 as its exact decimal string.
  const job = { ...(parseExact(EXAMPLE_JOB_JSON) as Job), ...overrides };
  return { job, jobJson: Object.keys(overrides).length === 0 ? EXAMPLE_JOB_JSON : JSON.stringify(job) };
}

function rescheduleRecord(
  outcome: RescheduleRecord["outcome"],
  at: string,
  overrides: Partial<Job> = {},
): RescheduleRecord {
  return { ...snapshot(overrides), outcome, at };
}

function inputs(overrides: Partial<ResolvedInputs> = {}): ResolvedInputs {
  return {
    jobId: JOB_ID,
    triggers: { sql: "3f2a9c", release: "v1.4.0" },
    force: INPUT_DEFAULTS.force,
    runOnCreate: INPUT_DEFAULTS.runOnCreate,
    waitFor: INPUT_DEFAULTS.waitFor,
    onUnrecordedRun: INPUT_DEFAULTS.onUnrecordedRun,
    ...overrides,
  };
}

/** What a resource stores after a create that rescheduled the job once. */
function previousOutputs(overrides: Partial<JobRerunOutputs> = {}): JobRerunOutputs {
  const seen = snapshot();
  return {
    jobId: JOB_ID,
    triggers: { sql: "3f2a9c", release: "v1.4.0" },
    force: true,
    runOnCreate: false,
    apiUrl: DEFAULT_API_URL,
    outcome: "rescheduled",
    job: seen.job,
    jobJson: seen.jobJson,
    state: seen.job.state,
    rescheduleCount: 1,
    lastRescheduledAt: "2024-05-01T10:00:00.000Z",
    waitFor: "none",
    onUnrecordedRun: "follow",
    schemaVersion: STATE_SCHEMA_VERSION,
    ...overrides,
  };
}

describe("JobRerun decisions", () => {
  describe("checkInputs", () => {
    const valid = (): Record<string, unknown> => ({ jobId: JOB_ID, triggers: { sql: "3f2a9c" } });

    it("accepts a minimal valid input and keeps it as given, without defaults", () => {
      const { inputs: checked, failures } = checkInputs(valid());
      expect(failures).to.deep.equal([]);
      expect(checked).to.deep.equal({ jobId: JOB_ID, triggers: { sql: "3f2a9c" } });
    });

    it("keeps explicit values rather than the defaults", () => {
      const { inputs: checked, failures } = checkInputs({
        ...valid(),
        force: false,
        runOnCreate: true,
        apiUrl: "https://api-dev.narrative.io",
      });
      expect(failures).to.deep.equal([]);
      expect(checked).to.include({ force: false, runOnCreate: true, apiUrl: "https://api-dev.narrative.io" });
    });

    it("does not modify the inputs it is given", () => {
      const news = deepFreeze({ jobId: JOB_ID, triggers: { files: ["a", "b"] } });
      expect(() => checkInputs(news)).not.to.throw();
      expect(news).to.deep.equal({ jobId: JOB_ID, triggers: { files: ["a", "b"] } });
    });

    describe("jobId", () => {
      it("accepts a UUID in either case", () => {
        expect(failuresOf({ ...valid(), jobId: JOB_ID })).to.deep.equal([]);
        expect(failuresOf({ ...valid(), jobId: JOB_ID.toUpperCase() })).to.deep.equal([]);
        expect(isUuid(JOB_ID)).to.equal(true);
      });

      const notUuids: unknown[] = [
        "not-a-uuid",
        "",
        42,
        null,
        true,
        { id: JOB_ID },
        [JOB_ID],
        "../../admin",
        `${JOB_ID}/../x`,
        `../${JOB_ID}`,
        `${JOB_ID}/reschedule`,
        `${JOB_ID}?force=true`,
        ` ${JOB_ID}`,
        `${JOB_ID} `,
        `${JOB_ID}\n`,
        `\t${JOB_ID}`,
        JOB_ID.replace(/-/g, ""),
        `{${JOB_ID}}`,
        JOB_ID.slice(0, -1),
        `${JOB_ID}0`,
        JOB_ID.replace("2a5b", "2g5b"),
        encodeURIComponent(`../${JOB_ID}`),
      ];
      for (const jobId of notUuids) {
        it(`refuses ${show(jobId)}, naming jobId and the UUID rule`, () => {
          const reason = onlyFailure({ ...valid(), jobId }, "jobId");
          expect(reason).to.match(/^jobId must be a Narrative job UUID/);
          expect(isUuid(jobId)).to.equal(false);
        });
      }

      it("refuses a missing jobId", () => {
        expect(onlyFailure({ triggers: "x" }, "jobId")).to.include("jobId must be a Narrative job UUID");
      });

      it("lets a jobId that is not known yet (preview) pass", () => {
        expect(failuresOf({ ...valid(), jobId: UNKNOWN })).to.deep.equal([]);
        expect(checkInputs({ ...valid(), jobId: UNKNOWN }).inputs["jobId"]).to.equal(UNKNOWN);
      });
    });

    for (const name of ["force", "runOnCreate"] as const) {
      describe(name, () => {
        for (const value of [true, false]) {
          it(`accepts ${value}`, () => {
            const { inputs: checked, failures } = checkInputs({ ...valid(), [name]: value });
            expect(failures).to.deep.equal([]);
            expect(checked[name]).to.equal(value);
          });
        }

        for (const value of ["true", "false", "yes", 1, 0, null, {}, [true]]) {
          it(`refuses ${show(value)}, naming ${name} and the rule`, () => {
            const reason = onlyFailure({ ...valid(), [name]: value }, name);
            expect(reason).to.equal(`${name} must be true or false; got ${show(value)}`);
          });
        }

        it("lets a value not known yet pass, and does not replace it with the default", () => {
          const { inputs: checked, failures } = checkInputs({ ...valid(), [name]: UNKNOWN });
          expect(failures).to.deep.equal([]);
          expect(checked[name]).to.equal(UNKNOWN);
        });
      });
    }

    describe("apiUrl", () => {
      for (const apiUrl of [
        "https://api.narrative.io",
        "https://api-dev.narrative.io/",
        "https://gateway.example.com:8443/narrative",
        "http://localhost:8080",
        "http://127.0.0.1:4010",
        "http://127.45.6.7",
        "http://[::1]:8080",
      ]) {
        it(`accepts ${apiUrl}`, () => {
          const { inputs: checked, failures } = checkInputs({ ...valid(), apiUrl });
          expect(failures).to.deep.equal([]);
          expect(checked["apiUrl"]).to.equal(apiUrl);
        });
      }

      const refused: [unknown, RegExp][] = [
        [
          "http://api.narrative.io",
          /^apiUrl must use https:\/\/ \(http:\/\/ is accepted only for loopback hosts/,
        ],
        ["http://localhost.evil.example", /^apiUrl must use https:\/\//],
        ["http://10.0.0.1:8080", /^apiUrl must use https:\/\//],
        ["api.narrative.io", /^apiUrl must be an absolute https:\/\/ URL/],
        ["/jobs", /^apiUrl must be an absolute https:\/\/ URL/],
        ["", /^apiUrl must be an absolute https:\/\/ URL/],
        [42, /^apiUrl must be an absolute https:\/\/ URL/],
        [null, /^apiUrl must be an absolute https:\/\/ URL/],
        ["ftp://api.narrative.io", /^apiUrl must be an https:\/\/ URL/],
        [`https://user:${TOKEN}@api.narrative.io`, /^apiUrl must not contain a user name or password/],
        [`https://${encodeURIComponent(TOKEN)}@api.narrative.io`, /^apiUrl must not contain a user name/],
        [`https://api.narrative.io/?token=${TOKEN}`, /^apiUrl must not have a query string or fragment/],
        [`https://api.narrative.io/#${TOKEN}`, /^apiUrl must not have a query string or fragment/],
      ];
      for (const [apiUrl, rule] of refused) {
        it(`refuses ${show(apiUrl).replace(TOKEN, "<token>")}, naming apiUrl and the rule`, () => {
          const reason = onlyFailure({ ...valid(), apiUrl }, "apiUrl");
          expect(reason).to.match(rule);
          expect(reason).not.to.include(TOKEN);
          expect(reason).not.to.include(encodeURIComponent(TOKEN));
        });
      }

      it("points credentials in the URL to the token setting", () => {
        const reason = onlyFailure({ ...valid(), apiUrl: `https://me:${TOKEN}@api.narrative.io` }, "apiUrl");
        expect(reason).to.include("pulumi config set --secret narrative:token");
      });

      it("lets an apiUrl not known yet pass", () => {
        expect(failuresOf({ ...valid(), apiUrl: UNKNOWN })).to.deep.equal([]);
      });
    });

    describe("properties that are not inputs", () => {
      it("refuses an unknown property, naming it and listing the inputs", () => {
        const reason = onlyFailure({ ...valid(), jobID: JOB_ID }, "jobID");
        expect(reason).to.match(
          /^jobID is not an input of JobRerun \(inputs: jobId, triggers, force, runOnCreate, apiUrl/,
        );
      });

      for (const name of [
        "token",
        "apiToken",
        "narrativeToken",
        "NARRATIVE_API_TOKEN",
        "apiKey",
        "secret",
        "password",
      ]) {
        it(`refuses ${name}, pointing to the secret stack setting without repeating the value`, () => {
          const reason = onlyFailure({ ...valid(), [name]: TOKEN }, name);
          expect(reason).to.match(new RegExp(`^${name} is not an input`));
          expect(reason).to.include("pulumi config set --secret narrative:token");
          expect(reason).not.to.include(TOKEN);
        });
      }

      it("accepts engine properties such as __provider", () => {
        expect(failuresOf({ ...valid(), __provider: "exports.handler = ..." })).to.deep.equal([]);
      });

      it("accepts the output the resource registers as undefined", () => {
        expect(failuresOf({ ...valid(), status: undefined })).to.deep.equal([]);
      });
    });

    it("reports every bad property at once, each failure naming its property, never the token", () => {
      const failures = failuresOf({
        jobId: "../../admin",
        triggers: { files: ["a.sql", "b.sql", () => "c.sql"] },
        force: "yes",
        runOnCreate: 1,
        apiUrl: `https://user:${TOKEN}@api.narrative.io`,
        apiToken: TOKEN,
      });
      expect(failures.map((failure) => failure.property)).to.have.members([
        "jobId",
        "triggers",
        "force",
        "runOnCreate",
        "apiUrl",
        "apiToken",
      ]);
      for (const { property, reason } of failures) {
        expect(reason.startsWith(`${property} `) || reason.startsWith(`${property}.`), reason).to.equal(true);
      }
      expect(JSON.stringify(failures)).not.to.include(TOKEN);
    });

    it("lets an input that is entirely unknown in preview pass", () => {
      const { failures } = checkInputs({
        jobId: UNKNOWN,
        triggers: { sql: UNKNOWN },
        force: UNKNOWN,
        runOnCreate: UNKNOWN,
        apiUrl: UNKNOWN,
        waitFor: UNKNOWN,
        timeout: UNKNOWN,
        failOnJobFailure: UNKNOWN,
      });
      expect(failures).to.deep.equal([]);
    });

    describe("waiting inputs", () => {
      it("defaults waitFor to none and accepts none, running and terminal", () => {
        expect(withDefaults({ jobId: JOB_ID, triggers: "v1" }).waitFor).to.equal("none");
        for (const waitFor of ["none", "running", "terminal"]) {
          expect(failuresOf({ ...valid(), waitFor }), waitFor).to.deep.equal([]);
        }
      });

      it("refuses another waitFor, listing the choices", () => {
        const reason = onlyFailure({ ...valid(), waitFor: "completed" }, "waitFor");
        expect(reason).to.equal('waitFor must be one of "none", "running", "terminal"; got "completed"');
      });

      for (const timeout of [60, "60", "30m", "2h", "1h30m", "24h", 86_400]) {
        it(`accepts timeout ${show(timeout)}`, () => {
          expect(failuresOf({ ...valid(), waitFor: "terminal", timeout })).to.deep.equal([]);
        });
      }

      for (const timeout of [0, "0s", -5, "soon", "", null, true]) {
        it(`refuses timeout ${show(timeout)}, naming timeout and the rule`, () => {
          const reason = onlyFailure({ ...valid(), timeout }, "timeout");
          expect(reason).to.match(/^timeout must be a number of seconds or a duration/);
        });
      }

      for (const timeout of ["25h", "24h1s", 86_401]) {
        it(`refuses timeout ${show(timeout)} as longer than 24 hours`, () => {
          expect(onlyFailure({ ...valid(), timeout }, "timeout")).to.match(
            /^timeout must be at most 24 hours/,
          );
        });
      }

      it("refuses a failOnJobFailure that is not a boolean", () => {
        expect(onlyFailure({ ...valid(), failOnJobFailure: "no" }, "failOnJobFailure")).to.equal(
          'failOnJobFailure must be true or false; got "no"',
        );
      });
    });
  });

  describe("diffInputs", () => {
    /** The checked inputs that match previousOutputs(). */
    const sameInputs = (): Record<string, unknown> => ({
      jobId: JOB_ID,
      triggers: { sql: "3f2a9c", release: "v1.4.0" },
      force: true,
      runOnCreate: false,
      waitFor: "none",
    });
    const diff = (
      olds: Partial<JobRerunOutputs>,
      news: Record<string, unknown>,
      defaultApiUrl = DEFAULT_API_URL,
    ) => diffInputs(deepFreeze(olds), deepFreeze(news), defaultApiUrl);

    it("finds no change, explicitly, when nothing changed", () => {
      expect(diff(previousOutputs(), sameInputs())).to.deep.equal({
        changes: false,
        changed: [],
        replaces: [],
        deleteBeforeReplace: false,
      });
    });

    it("finds no change when only the triggers' key order changed", () => {
      const result = diff(previousOutputs(), {
        ...sameInputs(),
        triggers: { release: "v1.4.0", sql: "3f2a9c" },
      });
      expect(result.changes).to.equal(false);
    });

    it("finds an update, not a replacement, when the triggers changed", () => {
      expect(
        diff(previousOutputs(), { ...sameInputs(), triggers: { sql: "9d1e00", release: "v1.4.0" } }),
      ).to.deep.equal({
        changes: true,
        changed: ["triggers"],
        replaces: [],
        deleteBeforeReplace: false,
      });
    });

    it("finds an update when the triggers changed type or array order", () => {
      expect(diff(previousOutputs({ triggers: 1 }), { ...sameInputs(), triggers: "1" }).changes).to.equal(
        true,
      );
      expect(
        diff(previousOutputs({ triggers: ["a", "b"] }), { ...sameInputs(), triggers: ["b", "a"] }).changes,
      ).to.equal(true);
    });

    it("finds an update when the triggers are not known yet, in whole or in part", () => {
      for (const triggers of [UNKNOWN, { sql: UNKNOWN, release: "v1.4.0" }]) {
        expect(diff(previousOutputs(), { ...sameInputs(), triggers })).to.deep.equal({
          changes: true,
          changed: ["triggers"],
          replaces: [],
          deleteBeforeReplace: false,
        });
      }
    });

    it("replaces the resource when the jobId changed", () => {
      expect(diff(previousOutputs(), { ...sameInputs(), jobId: OTHER_JOB_ID })).to.deep.equal({
        changes: true,
        changed: ["jobId"],
        replaces: ["jobId"],
        deleteBeforeReplace: false,
      });
    });

    it("replaces the resource when the jobId is not known yet", () => {
      const result = diff(previousOutputs(), { ...sameInputs(), jobId: UNKNOWN });
      expect(result.replaces).to.deep.equal(["jobId"]);
      expect(result.changes).to.equal(true);
    });

    it("replaces only for jobId when the triggers changed too", () => {
      const result = diff(previousOutputs(), { ...sameInputs(), jobId: OTHER_JOB_ID, triggers: "new" });
      expect(result.replaces).to.deep.equal(["jobId"]);
      expect(result.changes).to.equal(true);
    });

    const otherInputs: [string, Partial<JobRerunOutputs>, Record<string, unknown>, string][] = [
      ["force true → false", {}, { force: false }, "force"],
      ["force false → true", { force: false }, { force: true }, "force"],
      ["runOnCreate false → true", {}, { runOnCreate: true }, "runOnCreate"],
      ["apiUrl default → another", {}, { apiUrl: "https://api-dev.narrative.io" }, "apiUrl"],
      ["apiUrl another → default", { apiUrl: "https://api-dev.narrative.io" }, {}, "apiUrl"],
      ["apiUrl becomes unknown", {}, { apiUrl: UNKNOWN }, "apiUrl"],
      ["force becomes unknown", {}, { force: UNKNOWN }, "force"],
      ["waitFor none → terminal", {}, { waitFor: "terminal" }, "waitFor"],
      ["timeout set", { waitFor: "terminal" }, { waitFor: "terminal", timeout: "1h" }, "timeout"],
      ["failOnJobFailure set", {}, { failOnJobFailure: false }, "failOnJobFailure"],
    ];
    for (const [what, olds, news, changed] of otherInputs) {
      it(`finds an update without a replacement when ${what}`, () => {
        expect(diff(previousOutputs(olds), { ...sameInputs(), ...news })).to.deep.equal({
          changes: true,
          changed: [changed],
          replaces: [],
          deleteBeforeReplace: false,
        });
      });
    }

    it("compares force and runOnCreate with their defaults filled in", () => {
      const news = { jobId: JOB_ID, triggers: { sql: "3f2a9c", release: "v1.4.0" } };
      expect(diff(previousOutputs(), news).changes).to.equal(false);
      const withoutStoredFlags: Partial<JobRerunOutputs> = previousOutputs();
      delete withoutStoredFlags.force;
      delete withoutStoredFlags.runOnCreate;
      expect(diff(withoutStoredFlags, sameInputs()).changes).to.equal(false);
      expect(diff(previousOutputs({ force: false }), news).changes).to.equal(true);
      expect(diff(previousOutputs({ runOnCreate: true }), news).changes).to.equal(true);
    });

    describe("the effective apiUrl", () => {
      it("compares a missing apiUrl input as the URL the settings give", () => {
        const olds = previousOutputs({ apiUrl: "https://api-dev.narrative.io" });
        expect(diff(olds, sameInputs(), "https://api-dev.narrative.io").changes).to.equal(false);
        expect(diff(olds, sameInputs(), DEFAULT_API_URL).changes).to.equal(true);
      });

      it("finds no change when an explicit apiUrl equals the URL the resource already used", () => {
        expect(diff(previousOutputs(), { ...sameInputs(), apiUrl: DEFAULT_API_URL }).changes).to.equal(false);
        const olds = previousOutputs({ apiUrl: "http://127.0.0.1:4010" });
        expect(
          diff(olds, { ...sameInputs(), apiUrl: "http://127.0.0.1:4010" }, DEFAULT_API_URL).changes,
        ).to.equal(false);
      });

      it("finds an update when the settings' URL changed under a resource without an apiUrl input", () => {
        expect(diff(previousOutputs(), sameInputs(), "http://127.0.0.1:4010")).to.deep.equal({
          changes: true,
          changed: ["apiUrl"],
          replaces: [],
          deleteBeforeReplace: false,
        });
      });
    });

    it("ignores __provider: a different provider alone is no change", () => {
      const olds = { ...previousOutputs(), __provider: "exports.handler = function old() {}" };
      const news = { ...sameInputs(), __provider: "exports.handler = function upgraded() {}" };
      expect(diff(olds, news)).to.deep.equal({
        changes: false,
        changed: [],
        replaces: [],
        deleteBeforeReplace: false,
      });
    });

    it("owes an update to a run the last deployment left unfinished, even with no input changed", () => {
      for (const unfinishedRun of ["follow", "rerun"] as const) {
        const result = diff(previousOutputs({ unfinishedRun }), sameInputs());
        expect(result).to.deep.equal({
          changes: true,
          changed: [],
          replaces: [],
          deleteBeforeReplace: false,
        });
      }
    });

    it("always returns changes as a boolean", () => {
      const cases: [Partial<JobRerunOutputs>, Record<string, unknown>][] = [
        [previousOutputs(), sameInputs()],
        [previousOutputs(), { ...sameInputs(), triggers: "new" }],
        [previousOutputs(), { ...sameInputs(), jobId: OTHER_JOB_ID }],
        [{}, {}],
        [{}, sameInputs()],
        [previousOutputs(), {}],
      ];
      for (const [olds, news] of cases) {
        expect(diff(olds, news).changes).to.be.a("boolean");
      }
    });

    it("is pure: the same answer every time, with frozen arguments", () => {
      const olds = deepFreeze(previousOutputs());
      const news = deepFreeze({ ...sameInputs(), triggers: { sql: "new" } });
      const first = diffInputs(olds, news, DEFAULT_API_URL);
      expect(diffInputs(olds, news, DEFAULT_API_URL)).to.deep.equal(first);
      expect(first.replaces).not.to.equal(diffInputs(olds, news, DEFAULT_API_URL).replaces);
    });
  });

  describe("planUpdate (whether an update reschedules)", () => {
    it("reschedules when the triggers changed", () => {
      expect(
        planUpdate(previousOutputs(), inputs({ triggers: { sql: "9d1e00", release: "v1.4.0" } })),
      ).to.equal("reschedule");
      expect(planUpdate(previousOutputs({ triggers: [1, 2] }), inputs({ triggers: [2, 1] }))).to.equal(
        "reschedule",
      );
    });

    it("sends nothing when only other inputs changed", () => {
      for (const news of [
        inputs({ force: false }),
        inputs({ runOnCreate: true }),
        inputs({ apiUrl: "https://api-dev.narrative.io" }),
        inputs({ triggers: { release: "v1.4.0", sql: "3f2a9c" } }),
      ]) {
        expect(planUpdate(previousOutputs(), news)).to.equal("nothing");
      }
    });

    it("reschedules again a run that failed, even with the same triggers", () => {
      expect(planUpdate(previousOutputs({ unfinishedRun: "rerun" }), inputs())).to.equal("reschedule");
    });

    it("follows a run left unfinished instead of rescheduling it twice", () => {
      const olds = previousOutputs({ unfinishedRun: "follow", waitFor: "terminal" });
      expect(planUpdate(olds, inputs({ waitFor: "terminal" }))).to.equal("follow");
      expect(planUpdate(olds, inputs({ waitFor: "running" }))).to.equal("follow");
      expect(planUpdate(olds, inputs({ waitFor: "none" }))).to.equal("nothing");
    });

    it("reschedules a run left unfinished when the triggers change again", () => {
      const olds = previousOutputs({ unfinishedRun: "follow", waitFor: "terminal" });
      expect(planUpdate(olds, inputs({ waitFor: "terminal", triggers: "next" }))).to.equal("reschedule");
    });
  });

  describe("rerunOutputs", () => {
    const AT = "2024-06-01T12:00:00.000Z";

    it("after a create that only read the job: no outcome, no reschedule, the job as returned", () => {
      const seen = snapshot();
      const outs = rerunOutputs(inputs(), DEFAULT_API_URL, seen, undefined);
      expect(outs).to.deep.equal({
        jobId: JOB_ID,
        triggers: { sql: "3f2a9c", release: "v1.4.0" },
        force: true,
        runOnCreate: false,
        apiUrl: DEFAULT_API_URL,
        job: seen.job,
        jobJson: EXAMPLE_JOB_JSON,
        state: "completed",
        rescheduleCount: 0,
        waitFor: "none",
        onUnrecordedRun: "follow",
        schemaVersion: STATE_SCHEMA_VERSION,
        writtenBy: PACKAGE_VERSION,
      });
      expect(outs).not.to.have.property("outcome");
      expect(outs).not.to.have.property("lastRescheduledAt");
      expect(outs).not.to.have.property("unfinishedRun");
    });

    it("keeps the job exactly: equal, the same text, unknown fields and big integers included", () => {
      const seen = snapshot();
      const outs = rerunOutputs(inputs(), DEFAULT_API_URL, seen, undefined);
      expect(outs.job).to.deep.equal(parseExact(EXAMPLE_JOB_JSON));
      expect(outs.job.result?.["snapshot_id"]).to.equal("1724919539450264600");
      expect(outs.job["priority_hint"]).to.deep.equal({ tier: "gold", weights: [3, 1] });
      expect(outs.jobJson).to.equal(EXAMPLE_JOB_JSON);
      expect(outs.jobJson).to.include('"snapshot_id":1724919539450264600');
    });

    it("after a create with runOnCreate that rescheduled: outcome, count 1, the time, the returned job", () => {
      const record = rescheduleRecord("rescheduled", AT, { state: "pending", executor: null });
      const outs = rerunOutputs(inputs({ runOnCreate: true }), DEFAULT_API_URL, record, record);
      expect(outs.outcome).to.equal("rescheduled");
      expect(outs.rescheduleCount).to.equal(1);
      expect(outs.lastRescheduledAt).to.equal(AT);
      expect(outs.job).to.equal(record.job);
      expect(outs.job.executor).to.equal(null);
      expect(outs.jobJson).to.equal(record.jobJson);
      expect(outs.state).to.equal("pending");
    });

    it("after an update that rescheduled: count incremented, new time and outcome", () => {
      const previous = previousOutputs({ rescheduleCount: 4, outcome: "skipped_terminal" });
      const record = rescheduleRecord("rescheduled", AT, { state: "pending" });
      const outs = rerunOutputs(inputs({ triggers: "new" }), DEFAULT_API_URL, record, record, previous);
      expect(outs.rescheduleCount).to.equal(5);
      expect(outs.lastRescheduledAt).to.equal(AT);
      expect(outs.outcome).to.equal("rescheduled");
      expect(outs.triggers).to.equal("new");
    });

    it("after a reschedule that skipped a finished job: count and time unchanged, the outcome says so", () => {
      const previous = previousOutputs({ rescheduleCount: 2, lastRescheduledAt: "2024-05-01T10:00:00.000Z" });
      const record = rescheduleRecord("skipped_terminal", AT, { state: "completed" });
      const outs = rerunOutputs(
        inputs({ force: false, triggers: "new" }),
        DEFAULT_API_URL,
        record,
        record,
        previous,
      );
      expect(outs.outcome).to.equal("skipped_terminal");
      expect(outs.rescheduleCount).to.equal(2);
      expect(outs.lastRescheduledAt).to.equal("2024-05-01T10:00:00.000Z");
      expect(outs.state).to.equal("completed");
      expect(outs.force).to.equal(false);
    });

    it("leaves lastRescheduledAt unset when a skipped reschedule is the first one", () => {
      const record = rescheduleRecord("skipped_terminal", AT);
      const outs = rerunOutputs(inputs({ force: false, runOnCreate: true }), DEFAULT_API_URL, record, record);
      expect(outs.rescheduleCount).to.equal(0);
      expect(outs).not.to.have.property("lastRescheduledAt");
      expect(outs.outcome).to.equal("skipped_terminal");
    });

    it("after an update that sent nothing: outcome, count and time kept from before, new inputs stored", () => {
      const previous = previousOutputs({ rescheduleCount: 3, outcome: "rescheduled" });
      const outs = rerunOutputs(
        inputs({ force: false, apiUrl: "https://api-dev.narrative.io" }),
        "https://api-dev.narrative.io",
        previous,
        undefined,
        previous,
      );
      expect(outs.outcome).to.equal("rescheduled");
      expect(outs.rescheduleCount).to.equal(3);
      expect(outs.lastRescheduledAt).to.equal(previous.lastRescheduledAt);
      expect(outs.force).to.equal(false);
      expect(outs.apiUrl).to.equal("https://api-dev.narrative.io");
      expect(outs.job).to.deep.equal(previous.job);
      expect(outs.jobJson).to.equal(previous.jobJson);
    });

    it("stores the effective apiUrl it is given, not the missing input", () => {
      const outs = rerunOutputs(inputs(), "http://127.0.0.1:4010", snapshot(), undefined);
      expect(outs.apiUrl).to.equal("http://127.0.0.1:4010");
    });

    it("mirrors the job's state, including a state the package does not know", () => {
      for (const state of [
        "pending",
        "running",
        "failed",
        "cancelled",
        "pending_cancellation",
        "queued_for_gpu",
      ]) {
        const outs = rerunOutputs(inputs(), DEFAULT_API_URL, snapshot({ state }), undefined);
        expect(outs.state).to.equal(state);
        expect(outs.job.state).to.equal(state);
      }
    });

    it("records the waiting inputs and an unfinished run only when given", () => {
      const seen = snapshot({ state: "running" });
      const outs = rerunOutputs(
        inputs({ waitFor: "terminal", timeout: "1h", failOnJobFailure: false }),
        DEFAULT_API_URL,
        seen,
        undefined,
        previousOutputs({ unfinishedRun: "follow" }),
        "rerun",
      );
      expect(outs).to.include({
        waitFor: "terminal",
        timeout: "1h",
        failOnJobFailure: false,
        unfinishedRun: "rerun",
      });
      const settled = rerunOutputs(
        inputs(),
        DEFAULT_API_URL,
        seen,
        undefined,
        previousOutputs({ unfinishedRun: "follow" }),
      );
      expect(settled).not.to.have.property("unfinishedRun");
      expect(settled).not.to.have.property("timeout");
      expect(settled).not.to.have.property("failOnJobFailure");
    });

    it("does not modify what it is given", () => {
      const previous = deepFreeze(previousOutputs());
      const record = deepFreeze(rescheduleRecord("rescheduled", AT));
      expect(() =>
        rerunOutputs(deepFreeze(inputs()), DEFAULT_API_URL, record, record, previous),
      ).not.to.throw();
      expect(previous.rescheduleCount).to.equal(1);
    });
  });

  describe("storedOutputs and outputsFromState", () => {
    it("stores the inputs at the top, every figure under status, and the job once, as its exact text", () => {
      const outputs = previousOutputs({ unfinishedRun: "follow", timeout: "2h" });
      const stored = storedOutputs(outputs);
      expect(stored).to.deep.equal({
        jobId: JOB_ID,
        triggers: outputs.triggers,
        force: true,
        runOnCreate: false,
        apiUrl: DEFAULT_API_URL,
        waitFor: "none",
        timeout: "2h",
        onUnrecordedRun: "follow",
        status: {
          schemaVersion: STATE_SCHEMA_VERSION,
          outcome: "rescheduled",
          state: outputs.state,
          jobJson: outputs.jobJson,
          rescheduleCount: 1,
          lastRescheduledAt: "2024-05-01T10:00:00.000Z",
          unfinishedRun: "follow",
        },
      });
      expect(JSON.stringify(stored).split("job_id").length - 1, "copies of the job").to.equal(1);
    });

    it("leaves out the figures not set yet rather than storing them as undefined", () => {
      const {
        outcome: _outcome,
        lastRescheduledAt: _at,
        ...created
      } = previousOutputs({ rescheduleCount: 0 });
      const status = storedOutputs(created).status;
      expect(Object.keys(status).sort()).to.deep.equal([
        "jobJson",
        "rescheduleCount",
        "schemaVersion",
        "state",
      ]);
    });

    it("reads back exactly what it stored, the job parsed from its text", () => {
      const outputs = previousOutputs({ unfinishedRun: "verify", failOnJobFailure: false });
      expect(outputsFromState(storedOutputs(outputs))).to.deep.equal(outputs);
    });

    it("reads a state from a build that stored every figure at the top level as it is, marked version 1", () => {
      const { schemaVersion: _version, ...flat } = previousOutputs();
      expect(outputsFromState(flat as never)).to.deep.equal({ ...flat, schemaVersion: 1 });
    });

    it("reads a version-2 state (status without a version) as version 2", () => {
      const { schemaVersion: _version, ...outputs } = previousOutputs();
      const stored = storedOutputs(outputs as JobRerunOutputs);
      expect(stored.status).not.to.have.property("schemaVersion");
      expect(outputsFromState(stored)).to.deep.equal({ ...outputs, schemaVersion: 2 });
    });

    it("asks for a rewrite (an update that sends nothing) of a version-1 state only", () => {
      const { schemaVersion: _version, ...flat } = previousOutputs();
      const news = { ...inputs(), triggers: flat.triggers };
      expect(diffInputs(outputsFromState(flat as never), news, DEFAULT_API_URL).changes).to.equal(true);
      const v2 = storedOutputs(flat as JobRerunOutputs);
      expect(diffInputs(outputsFromState(v2), news, DEFAULT_API_URL).changes).to.equal(false);
    });
  });

  describe("refreshedOutputs", () => {
    it("takes the job, its text and its state from the API and keeps everything the resource did", () => {
      const olds = previousOutputs({
        rescheduleCount: 3,
        outcome: "skipped_terminal",
        apiUrl: "http://127.0.0.1:4010",
      });
      const seen = snapshot({
        state: "running",
        executor: "job-executor-1",
        updated_at: "2026-11-29T06:00:00.000000",
        brand_new_field: [1, { deep: true }],
      });
      const outs = refreshedOutputs(olds, seen);
      expect(outs).to.deep.equal({
        ...olds,
        writtenBy: PACKAGE_VERSION,
        job: seen.job,
        jobJson: seen.jobJson,
        state: "running",
        // A run started since (finished before, running now): the baseline stays where the deployment left it.
        deployedJob: { state: "completed", updated_at: olds.job.updated_at, executor: olds.job.executor },
      });
      expect(outs.job).to.equal(seen.job);
      expect(outs.job["brand_new_field"]).to.deep.equal([1, { deep: true }]);
      expect(outs.jobJson).to.equal(seen.jobJson);
      expect(outs.rescheduleCount).to.equal(3);
      expect(outs.outcome).to.equal("skipped_terminal");
      expect(outs.lastRescheduledAt).to.equal(olds.lastRescheduledAt);
      expect(outs.triggers).to.deep.equal(olds.triggers);
      expect(outs.apiUrl).to.equal("http://127.0.0.1:4010");
    });

    it("moves the baseline along with the run this stack recorded", () => {
      const olds = previousOutputs({
        ...snapshot({ state: "pending", executor: null, updated_at: "2026-11-29T06:00:00.0" }),
      });
      const running = refreshedOutputs(
        olds,
        snapshot({ state: "running", executor: "job-executor-1", updated_at: "2026-11-29T06:01:00.0" }),
      );
      expect(running.deployedJob).to.equal(undefined);
      expect(running.job.state).to.equal("running");
    });

    it("keeps the first baseline through several refreshes", () => {
      const olds = previousOutputs();
      const once = refreshedOutputs(
        olds,
        snapshot({ state: "pending", updated_at: "2026-11-29T06:00:00.0" }),
      );
      const twice = refreshedOutputs(
        once,
        snapshot({ state: "running", updated_at: "2026-11-29T06:01:00.0" }),
      );
      expect(twice.deployedJob).to.deep.equal(once.deployedJob);
      expect(twice.deployedJob?.updated_at).to.equal(olds.job.updated_at);
    });

    it("does not modify the stored outputs", () => {
      const olds = deepFreeze(previousOutputs());
      const outs = refreshedOutputs(olds, snapshot({ state: "running" }));
      expect(olds.state).to.equal("completed");
      expect(outs.state).to.equal("running");
    });
  });

  describe("skippedTerminalWarning", () => {
    for (const state of ["completed", "failed", "cancelled"]) {
      it(`names the job and its state (${state}), and says how to re-run it`, () => {
        const warning = skippedTerminalWarning(snapshot({ state }).job);
        expect(warning).to.include(`job ${JOB_ID} is ${state}`);
        expect(warning).to.include("skipped_terminal");
        expect(warning).to.include("force: true");
      });
    }
  });

  describe("waiting decisions", () => {
    it("records nothing owed when the job reached what was waited for", () => {
      expect(
        waitVerdict("reached", snapshot({ state: "completed" }).job, { waitFor: "terminal" }),
      ).to.deep.equal({});
      expect(
        waitVerdict("reached", snapshot({ state: "running" }).job, { waitFor: "running" }),
      ).to.deep.equal({});
    });

    for (const state of ["failed", "cancelled"]) {
      it(`fails and owes a rerun when the job ended ${state}, naming the job, its state and its last failures`, () => {
        const job = snapshot({
          state,
          failures: [
            { message: "one" },
            { message: "" },
            { timestamp: "2024-01-01T00:00:00Z" },
            { message: "two" },
            { message: "three" },
            { message: "four" },
          ],
        }).job;
        const verdict = waitVerdict("reached", job, { waitFor: "terminal" });
        expect(verdict.unfinishedRun).to.equal("rerun");
        expect(verdict.failure).to.include(`job ${JOB_ID} ended ${state}: two; three; four.`);
        expect(verdict.failure).not.to.include(": one");
        expect(verdict.failure).to.include("failOnJobFailure: false");
      });
    }

    it("records a failed job without failing when failOnJobFailure is false", () => {
      const job = snapshot({ state: "failed" }).job;
      expect(waitVerdict("reached", job, { waitFor: "terminal", failOnJobFailure: false })).to.deep.equal({});
    });

    it("fails and owes a follow-up when the wait timed out, naming the job, its state and the timeout", () => {
      const verdict = waitVerdict("timed-out", snapshot({ state: "running" }).job, {
        waitFor: "terminal",
        timeout: "1h30m",
      });
      expect(verdict.unfinishedRun).to.equal("follow");
      expect(verdict.failure).to.include(`job ${JOB_ID} is still running: the wait timed out after 1h30m`);
      expect(verdict.failure).to.match(/follows this run instead of rescheduling it again/);
    });

    it("fails and owes a follow-up when the deployment was cancelled", () => {
      const verdict = waitVerdict("cancelled", snapshot({ state: "pending" }).job, { waitFor: "running" });
      expect(verdict.unfinishedRun).to.equal("follow");
      expect(verdict.failure).to.include(`job ${JOB_ID} is still pending: the deployment was cancelled`);
    });
  });
});

describe("checking a reschedule whose answer was lost", () => {
  const before: Job = { job_id: JOB_ID, state: "completed", updated_at: "2023-10-31T11:25:08.327209" };

  const at = (hour: number): string => `2026-11-29T${String(hour).padStart(2, "0")}:00:00.000000`;
  const cases: [string, Job, Job, boolean][] = [
    ["nothing happened (same updated_at)", before, { ...before }, false],
    ["reset since: pending now", before, { ...before, state: "pending", updated_at: at(6) }, true],
    [
      "reset and picked up since: running now, finished before",
      before,
      { ...before, state: "running", executor: "job-executor-2", updated_at: at(6) },
      true,
    ],
    ["a whole run since: finished before and now, later", before, { ...before, updated_at: at(7) }, true],
    [
      "the recorded run went on: pending before, running now",
      { ...before, state: "pending", updated_at: at(5) },
      { ...before, state: "running", executor: "job-executor-1", updated_at: at(6) },
      false,
    ],
    [
      "the recorded run finished: running before, completed now",
      { ...before, state: "running", executor: "job-executor-1", updated_at: at(5) },
      { ...before, state: "completed", executor: "job-executor-1", updated_at: at(6) },
      false,
    ],
    [
      "the recorded run finished and another started: pending before, pending again later",
      { ...before, state: "pending", updated_at: at(5) },
      { ...before, state: "pending", updated_at: at(8) },
      true,
    ],
    [
      "running on another executor than before",
      { ...before, state: "running", executor: "job-executor-1", updated_at: at(5) },
      { ...before, state: "running", executor: "job-executor-2", updated_at: at(6) },
      true,
    ],
  ];
  for (const [what, was, now, expected] of cases) {
    it(`${expected ? "sees a run" : "sees no run"} since the last deployment: ${what}`, () => {
      expect(runSince(was, now)).to.equal(expected);
    });
  }

  it("plans a reschedule (read first) when the triggers did not change but an answer was lost", () => {
    const olds = { triggers: "v2", unfinishedRun: "verify" as const };
    const news = inputs({ triggers: "v2" });
    // A lost answer is settled like any reschedule: the job is read first (runSince), then sent only if needed.
    expect(planUpdate(olds, news)).to.equal("reschedule");
    expect(planUpdate(olds, { ...news, triggers: "v3" })).to.equal("reschedule");
    expect(diffInputs(olds, news, DEFAULT_API_URL).changes).to.equal(true);
  });
});
