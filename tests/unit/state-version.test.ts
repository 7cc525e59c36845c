/**
 * The downgrade rule (state-version.ts): a state a newer release wrote is refused, naming both releases and
 * the one to install; every shape this release or an earlier one wrote is read.
 */
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import {
  outputsFromState,
  rerunOutputs,
  storedOutputs,
  type JobRerunOutputs,
  type StoredOutputs,
} from "../../provider/jobrerun/decisions";
import { NarrativeStateError } from "../../provider/api/errors";
import { JOB_RERUN_TYPE } from "../../provider/hosts/dynamic/provider-text";
import {
  newerStateError,
  newerStateSigns,
  STATE_SCHEMA_VERSION,
} from "../../provider/jobrerun/state-version";
import type { JobSnapshot } from "../../provider/api/types";

const REPO_ROOT = path.join(__dirname, "..", "..");
const INSTALLED = (
  JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }
).version;
const JOB_ID = "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c";

/** A release after this one: the next minor version. */
function nextMinor(version: string): string {
  const [major, minor] = version.split(".").map(Number);
  return `${major ?? 0}.${(minor ?? 0) + 1}.0`;
}

/** Every optional figure and input set, so that the whole shape this release writes is exercised. */
function currentState(): StoredOutputs {
  const job = { job_id: JOB_ID, state: "running", updated_at: "2026-11-30T10:00:00", executor: "e-1" };
  const seen: JobSnapshot = { job: job as JobSnapshot["job"], jobJson: JSON.stringify(job) };
  const outputs = rerunOutputs(
    {
      jobId: JOB_ID,
      triggers: { release: "2" },
      force: true,
      runOnCreate: true,
      apiUrl: "https://api.narrative.io",
      waitFor: "terminal",
      timeout: "5m",
      failOnJobFailure: true,
      onUnrecordedRun: "reschedule",
      rerunFailed: true,
      dataset: { id: 10736, jobType: "materialize-view" },
    },
    "https://api.narrative.io",
    seen,
    { outcome: "rescheduled", at: "2026-11-30T10:00:01.000Z", ...seen },
    { rescheduleCount: 2, deployedJob: { state: "completed", updated_at: "x" } } as Partial<JobRerunOutputs>,
    "follow",
  );
  const stored = storedOutputs({ ...outputs, deployedJob: { state: "completed", updated_at: "x" } });
  return { ...stored, __provider: "exports.handler = …" } as StoredOutputs;
}

function withStatus(state: StoredOutputs, status: Record<string, unknown>): StoredOutputs {
  return { ...state, status: { ...state.status, ...status } } as StoredOutputs;
}

function refusal(state: Record<string, unknown>): NarrativeStateError {
  const error = newerStateError(state);
  expect(error, "refused").to.be.instanceOf(NarrativeStateError);
  expect(() => outputsFromState(state)).to.throw(NarrativeStateError, error?.message ?? "");
  return error as NarrativeStateError;
}

describe("the downgrade rule: a state a newer release wrote", () => {
  describe("what this release reads", () => {
    it("writes schemaVersion 4 and the package version that wrote the state", () => {
      expect(STATE_SCHEMA_VERSION).to.equal(4);
      const { status } = currentState();
      expect(status).to.include({ schemaVersion: STATE_SCHEMA_VERSION, writtenBy: INSTALLED });
    });

    it("reads every member it writes, every optional one set", () => {
      const state = currentState();
      expect(Object.keys(state.status).sort()).to.deep.equal(
        [
          "deployedJob",
          "jobJson",
          "lastRescheduledAt",
          "outcome",
          "rescheduleCount",
          "schemaVersion",
          "state",
          "unfinishedRun",
          "writtenBy",
        ].sort(),
      );
      expect(newerStateSigns(state)).to.deep.equal([]);
      expect(() => outputsFromState(state)).not.to.throw();
    });

    it("reads every JobRerun of every state fixture an earlier build wrote (tests/fixtures/state)", () => {
      const dir = path.join(REPO_ROOT, "tests", "fixtures", "state");
      const fixtures = readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory());
      expect(fixtures.length).to.be.greaterThan(5);
      for (const fixture of fixtures) {
        const exported = JSON.parse(readFileSync(path.join(dir, fixture.name, "export.json"), "utf8")) as {
          deployment: { resources: { type: string; outputs: Record<string, unknown> }[] };
        };
        const reruns = exported.deployment.resources.filter((resource) => resource.type === JOB_RERUN_TYPE);
        expect(reruns, fixture.name).to.have.length.greaterThan(0);
        for (const rerun of reruns) {
          expect(newerStateSigns(rerun.outputs), fixture.name).to.deep.equal([]);
          expect(() => outputsFromState(rerun.outputs), fixture.name).not.to.throw();
        }
      }
    });

    it("leaves members that start with __ to the Pulumi host that stores them", () => {
      expect(newerStateSigns({ ...currentState(), __provider: "x", __hostNote: 1 })).to.deep.equal([]);
    });

    it("reads an earlier schema version, or none", () => {
      for (const schemaVersion of [1, 2, 3, undefined]) {
        expect(newerStateSigns(withStatus(currentState(), { schemaVersion }))).to.deep.equal([]);
      }
    });
  });

  describe("what it refuses", () => {
    it("a higher schemaVersion, naming the release that wrote it, this one, and the one to install", () => {
      const writer = nextMinor(INSTALLED);
      const error = refusal(withStatus(currentState(), { schemaVersion: 5, writtenBy: writer }));
      expect(error.message).to.equal(
        `The state of the JobRerun of job ${JOB_ID} was written by pulumi-narrative-jobs ${writer} and holds ` +
          `state schemaVersion 5, which pulumi-narrative-jobs ${INSTALLED}, installed here, does not know: it ` +
          `reads state schemaVersion 4 and earlier. Nothing was sent and the state is unchanged: a release ` +
          `never rewrites a newer state into an older shape or reschedules on a guess. Install ` +
          `pulumi-narrative-jobs ${writer} or later (npm install pulumi-narrative-jobs@latest) and run the ` +
          `command again.`,
      );
      expect(error).to.include({ jobId: JOB_ID, writtenBy: writer, installed: INSTALLED });
      expect(error.signs).to.deep.equal(["state schemaVersion 5"]);
    });

    it("a status member it does not know, even at its own schemaVersion", () => {
      const error = refusal(withStatus(currentState(), { priorityQueue: "high" }));
      expect(error.signs).to.deep.equal(["status.priorityQueue"]);
      expect(error.message).to.include("holds status.priorityQueue, which pulumi-narrative-jobs");
    });

    it("a top-level output it does not know (an input a newer release added)", () => {
      const error = refusal({ ...currentState(), notifyOnFinish: true });
      expect(error.signs).to.deep.equal(["the output notifyOnFinish"]);
    });

    it("names every sign at once", () => {
      const state = withStatus({ ...currentState(), notifyOnFinish: true } as StoredOutputs, {
        schemaVersion: 5,
        extra: 1,
      });
      expect(refusal(state).message).to.include(
        "holds state schemaVersion 5, the output notifyOnFinish and status.extra, which",
      );
    });

    it("a schemaVersion that is not a whole number it knows", () => {
      for (const schemaVersion of ["4", 3.5, 0, -1, null]) {
        expect(refusal(withStatus(currentState(), { schemaVersion })).signs).to.deep.equal([
          `state schemaVersion ${JSON.stringify(schemaVersion)}`,
        ]);
      }
    });

    it("without writtenBy, says to install a release newer than this one", () => {
      const { writtenBy: _writer, ...status } = currentState().status;
      const error = refusal({ ...currentState(), status: { ...status, schemaVersion: 5 } });
      expect(error.message).to.include("was written by a newer release of pulumi-narrative-jobs and holds");
      expect(error.message).to.include(
        `Install a release of pulumi-narrative-jobs newer than ${INSTALLED} (`,
      );
      expect(error).not.to.have.property("writtenBy");
    });

    it("with a writtenBy no newer than this release (a development build), asks for a newer one all the same", () => {
      const error = refusal(withStatus(currentState(), { schemaVersion: 5, writtenBy: INSTALLED }));
      expect(error.message).to.include(`written by pulumi-narrative-jobs ${INSTALLED} and holds`);
      expect(error.message).to.include(
        `Install a release of pulumi-narrative-jobs newer than ${INSTALLED} (`,
      );
    });
  });
});
