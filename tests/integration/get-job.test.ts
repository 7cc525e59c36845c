/**
 * getJob and getJobOutput as a program calls them, against the simulator on loopback: @pulumi/pulumi's mocks
 * stand in for the engine (preview or update, the stack configuration), the read itself is real HTTP.
 * tests/e2e/get-job.test.ts runs the same through the Pulumi CLI.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { NarrativeApiError, NarrativeConfigError } from "../../provider/api/errors";
import { getJob, getJobOutput } from "../../provider/hosts/dynamic/functions";
import { SEEDED_JOB_IDS, startSimulator, type Simulator } from "../../provider/simulator";
import { rejection } from "../support/assertions";

const TOKEN = "tok-SECRET-functions-93b2";
const JOB_ID = SEEDED_JOB_IDS.completed;
const SNAPSHOT_ID = "1724919539450264600";

/** An Output's value, secretness and whether it is known, as a test reads them. */
async function settle<T>(output: pulumi.Output<T>): Promise<{ value: T | undefined; secret: boolean }> {
  const value = await new Promise<T | undefined>((resolve) => {
    let applied = false;
    output.apply((v) => {
      applied = true;
      resolve(v);
    });
    // Unknown in preview: the apply never runs. Wait for the engine-side work of this tick to settle.
    setTimeout(() => !applied && resolve(undefined), 500);
  });
  return { value, secret: await pulumi.isSecret(output) };
}

/** A resource of another provider, for `dependsOn`. */
class Thing extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:Thing", name, {});
  }
}

async function useMocks(preview: boolean): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      // A created resource's id is unknown in preview, as the engine leaves it.
      newResource: (args) => ({ id: preview ? undefined : `${args.name}-id`, state: args.inputs }),
      call: () => ({}),
    },
    "project",
    "stack",
    preview,
  );
}

describe("getJob and getJobOutput in a program, against the simulator", () => {
  let sim: Simulator;

  beforeEach(async () => {
    sim = await startSimulator({ frozen: true, token: TOKEN });
    // As `pulumi config set narrative:apiUrl …` and `pulumi config set --secret narrative:token …` leave it.
    pulumi.runtime.setAllConfig({ "narrative:apiUrl": sim.url, "narrative:token": TOKEN }, [
      "narrative:token",
    ]);
  });

  afterEach(async () => {
    pulumi.runtime.setAllConfig({}, []);
    await sim.close();
  });

  for (const preview of [true, false]) {
    const phase = preview ? "preview" : "update";

    it(`getJob reads the job in ${phase}: one GET, nothing else`, async () => {
      await useMocks(preview);
      const result = await getJob({ jobId: JOB_ID });
      expect(result.state).to.equal("completed");
      expect(result.job.result?.["snapshot_id"]).to.equal(SNAPSHOT_ID);
      expect(result.jobJson).to.include(`"snapshot_id":${SNAPSHOT_ID}`);
      expect(sim.requests.map((request) => `${request.method} ${request.path}`)).to.deep.equal([
        `GET /jobs/${JOB_ID}`,
      ]);
    });

    it(`getJobOutput reads the job in ${phase}, its result not secret though the token is`, async () => {
      await useMocks(preview);
      const { value, secret } = await settle(getJobOutput({ jobId: pulumi.output(JOB_ID) }));
      expect(value?.job.result?.["snapshot_id"]).to.equal(SNAPSHOT_ID);
      expect(value?.state).to.equal("completed");
      expect(secret).to.equal(false);
      expect(JSON.stringify(value)).not.to.include(TOKEN);
      expect(sim.writes()).to.deep.equal([]);
    });
  }

  it("getJobOutput's result is secret when its jobId is", async () => {
    await useMocks(false);
    const { value, secret } = await settle(getJobOutput({ jobId: pulumi.secret(JOB_ID) }));
    expect(value?.jobId).to.equal(JOB_ID);
    expect(secret).to.equal(true);
  });

  it("getJobOutput waits for dependsOn: in preview, a resource still to be created leaves it unknown, unread", async () => {
    await useMocks(true);
    const resource = new Thing("thing");
    const { value } = await settle(getJobOutput({ jobId: JOB_ID }, { dependsOn: [resource] }));
    expect(value).to.equal(undefined);
    expect(sim.requests).to.have.length(0);
  });

  it("getJobOutput waits for dependsOn: in an update, it reads once the resource has its id", async () => {
    await useMocks(false);
    const resource = new Thing("thing");
    const result = getJobOutput({ jobId: JOB_ID }, { dependsOn: resource });
    const { value } = await settle(result);
    expect(value?.state).to.equal("completed");
    expect(
      await (result as unknown as { allResources(): Promise<Set<pulumi.Resource>> }).allResources(),
    ).to.include(resource);
  });

  it("falls back to NARRATIVE_API_TOKEN and NARRATIVE_API_URL, as JobRerun does", async () => {
    await useMocks(false);
    pulumi.runtime.setAllConfig({}, []);
    process.env["NARRATIVE_API_TOKEN"] = TOKEN;
    process.env["NARRATIVE_API_URL"] = sim.url;
    try {
      expect((await getJob({ jobId: JOB_ID })).state).to.equal("completed");
    } finally {
      delete process.env["NARRATIVE_API_TOKEN"];
      delete process.env["NARRATIVE_API_URL"];
    }
  });

  it("rejects a bad jobId naming jobId, and http:// narrative:apiUrl beyond loopback, sending nothing", async () => {
    await useMocks(true);
    const badId = await rejection(getJob({ jobId: "job-42" }));
    expect(badId).to.be.instanceOf(NarrativeConfigError).and.include({ property: "jobId" });
    // Its stack is its first line, which @pulumi/pulumi prints quickly (see withShortStack).
    expect((badId as Error).stack).to.equal(`NarrativeConfigError: ${(badId as Error).message}`);

    pulumi.runtime.setAllConfig({ "narrative:apiUrl": "http://api.narrative.io", "narrative:token": TOKEN }, [
      "narrative:token",
    ]);
    const badUrl = await rejection(getJob({ jobId: JOB_ID }));
    expect(badUrl).to.be.instanceOf(NarrativeConfigError).and.include({ property: "narrative:apiUrl" });
    expect((badUrl as Error).message).not.to.include(TOKEN);
    expect(sim.requests).to.have.length(0);
  });

  it("rejects as the client does: a 404 for a job that does not exist", async () => {
    await useMocks(false);
    const missing = "00000000-0000-4000-8000-000000000000";
    const error = await rejection(getJob({ jobId: missing }));
    expect(error).to.be.instanceOf(NarrativeApiError).and.include({ status: 404 });
  });
});
