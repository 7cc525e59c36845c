/**
 * get-job.ts, the one read behind getJob, getJobOutput and the plugin's `narrative:index:getJob`, against the
 * simulator on loopback: what it returns, what it sends, and what it refuses before sending anything.
 */
import { expect } from "chai";
import { NarrativeJobsClient } from "../../provider/api/client";
import { NarrativeApiError, NarrativeConfigError } from "../../provider/api/errors";
import { getJobResult, getJobSnapshot, type GetJobArgs } from "../../provider/jobrerun/get-job";
import { resolveSettings, type ProviderSettings } from "../../provider/jobrerun/settings";
import { SEEDED_JOB_IDS, startSimulator, type Simulator } from "../../provider/simulator";
import { rejection } from "../support/assertions";

const TOKEN = "tok-SECRET-get-job-5d1e";
const JOB_ID = SEEDED_JOB_IDS.completed;
/** The seeded job's result.snapshot_id: beyond 2^53, so a JavaScript number would round it. */
const SNAPSHOT_ID = "1724919539450264600";
const MISSING_JOB = "00000000-0000-4000-8000-000000000000";
/** Short timeouts, so that a failing case fails quickly. */
const TUNING = { attemptTimeoutMs: 500, totalTimeoutMs: 2_000, baseDelayMs: 1, maxDelayMs: 5 };

describe("getJobResult: reading a job without rerunning it", () => {
  let sim: Simulator;
  let settings: ProviderSettings;

  beforeEach(async () => {
    sim = await startSimulator({ frozen: true, token: TOKEN });
    settings = resolveSettings(undefined, { NARRATIVE_API_URL: sim.url, NARRATIVE_API_TOKEN: TOKEN });
  });

  afterEach(async () => {
    await sim.close();
  });

  it("returns the job as the API sent it, its exact text and its state, after one GET", async () => {
    const result = await getJobResult(settings, { jobId: JOB_ID }, TUNING);

    expect(
      sim.requests.map((request) => `${request.method} ${request.path} ${request.status}`),
    ).to.deep.equal([`GET /jobs/${JOB_ID} 200`]);
    expect(Object.keys(result).sort()).to.deep.equal(["job", "jobId", "jobJson", "state"]);
    expect(result.jobId).to.equal(JOB_ID);
    expect(result.state).to.equal("completed");
    // Digit for digit in the text; as its exact decimal string in the parsed job, as JobRerun's `job` output.
    expect(result.jobJson).to.include(`"snapshot_id":${SNAPSHOT_ID}`);
    expect(result.job.result?.["snapshot_id"]).to.equal(SNAPSHOT_ID);
    expect(result.job).to.deep.include({ job_id: JOB_ID, state: "completed", type: "materialize-view" });
  });

  it("reads through a client a host keeps (the plugin's), with the same result", async () => {
    const client = new NarrativeJobsClient({ ...TUNING, apiUrl: sim.url, token: TOKEN });
    const viaClient = await getJobSnapshot(client, JOB_ID);
    expect(viaClient).to.deep.equal(await getJobResult(settings, { jobId: JOB_ID }, TUNING));
    expect(viaClient.job.result?.["snapshot_id"]).to.equal(SNAPSHOT_ID);
  });

  const badIds: [string, unknown, RegExp][] = [
    ["a job id that is not a UUID", "job-42", /got "job-42"/],
    ["a path", "../../admin", /got "\.\.\/\.\.\/admin"/],
    ["nothing", undefined, /got nothing/],
    ["a number", 42, /got number/],
    ["the token pasted in its place", TOKEN, /got "\[REDACTED\]"/],
  ];
  for (const [what, jobId, shown] of badIds) {
    it(`refuses ${what} as jobId, naming jobId, before any request`, async () => {
      const error = await rejection(getJobResult(settings, { jobId } as GetJobArgs, TUNING));
      expect(error).to.be.instanceOf(NarrativeConfigError).and.include({ property: "jobId" });
      expect(error.message).to.match(/^getJob: jobId must be a Narrative job UUID such as 2a5b9ad7-/);
      expect(error.message)
        .to.match(shown)
        .and.match(/Nothing was sent\.$/);
      expect(error.message).not.to.include(TOKEN);
      expect(sim.requests).to.have.length(0);
    });
  }

  it("refuses to read without a token, naming narrative:token and NARRATIVE_API_TOKEN", async () => {
    const withoutToken = resolveSettings(undefined, { NARRATIVE_API_URL: sim.url });
    const error = await rejection(getJobResult(withoutToken, { jobId: JOB_ID }, TUNING));
    expect(error).to.be.instanceOf(NarrativeConfigError).and.include({ property: "narrative:token" });
    expect(error.message).to.include("NARRATIVE_API_TOKEN");
    expect(sim.requests).to.have.length(0);
  });

  it("refuses an http:// apiUrl beyond loopback, naming apiUrl, before any connection", async () => {
    const error = await rejection(
      getJobResult(settings, { jobId: JOB_ID, apiUrl: "http://api.narrative.io" }, TUNING),
    );
    expect(error).to.be.instanceOf(NarrativeConfigError).and.include({ property: "apiUrl" });
    expect(error.message).to.match(/^getJob: apiUrl must use https:\/\//);
  });

  it("reads from the apiUrl given instead of the settings' one", async () => {
    const elsewhere = resolveSettings(undefined, {
      NARRATIVE_API_URL: "https://api.narrative.io",
      NARRATIVE_API_TOKEN: TOKEN,
    });
    const result = await getJobResult(elsewhere, { jobId: JOB_ID, apiUrl: sim.url }, TUNING);
    expect(result.state).to.equal("completed");
    expect(sim.requests).to.have.length(1);
  });

  it("fails as the client does: a job that does not exist is a 404 NarrativeApiError", async () => {
    const error = await rejection(getJobResult(settings, { jobId: MISSING_JOB }, TUNING));
    expect(error).to.be.instanceOf(NarrativeApiError).and.include({ status: 404 });
    expect(error.message).to.include(MISSING_JOB).and.not.include(TOKEN);
  });
});
