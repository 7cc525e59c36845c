/**
 * The plugin's gRPC service (provider/hosts/plugin/server.ts) in-process: each handler called as the gRPC server
 * calls it, with the protocol's own request classes, against the lifecycle and a simulator on loopback. The same
 * service runs as a process in hosts.test.ts and through the Pulumi CLI in the end-to-end suite; here every
 * translation is seen on its own: what each handler hands the lifecycle and what it answers the engine.
 */
import { expect } from "chai";
import type * as grpcTypes from "@grpc/grpc-js";
import { createJobRerunLifecycle, type JobRerunLifecycle } from "../../provider/jobrerun/lifecycle";
import { pluginService } from "../../provider/hosts/plugin/server";
import { any, grpc, provider as pb, status as statusPb } from "../../provider/hosts/plugin/proto";
import { fromStruct, toStruct } from "../../provider/hosts/plugin/property-values";
import { GET_JOB_TOKEN, JOB_RERUN_TOKEN } from "../../provider/hosts/plugin/schema";
import { SEEDED_JOB_IDS, startSimulator, type Simulator } from "../../provider/simulator";
import { pollUntil } from "../support/e2e";

const TOKEN = "tok-PLUGIN-SERVER-51b7";
const JOB_ID = SEEDED_JOB_IDS.completed;
const URN = `urn:pulumi:dev::project::${JOB_RERUN_TOKEN}::rerun`;
const BIG_SNAPSHOT_ID = "1724919539450264600";

/** A call's failure as the engine receives it: the status code, the message, and a partial failure's detail. */
interface CallFailure {
  code: number;
  details: string;
  partial?: { id: string; properties: Record<string, unknown>; reasons: string[] };
}

describe("the plugin's gRPC service, in-process", function () {
  let sim: Simulator;
  let lifecycle: JobRerunLifecycle;
  let cancel: AbortController;
  let service: grpcTypes.UntypedServiceImplementation;

  beforeEach(async () => {
    sim = await startSimulator({ frozen: true, token: TOKEN });
    cancel = new AbortController();
    lifecycle = createJobRerunLifecycle({
      env: {},
      reporter: { info: () => undefined, warn: () => undefined },
      cancellation: cancel.signal,
      pollOptions: { initialIntervalMs: 5, maxIntervalMs: 10, growth: 1, progressEveryMs: 60_000 },
    });
    service = pluginService({ lifecycle, cancel, schema: '{"name":"narrative"}', version: "9.9.9" });
    await call("configure", configureRequest({ token: TOKEN, apiUrl: sim.url }));
  });

  afterEach(async () => {
    lifecycle.dispose();
    await sim.close();
  });

  /** Calls a handler as the gRPC server does; resolves with its answer or rejects with its failure. */
  function call<Res>(method: string, request: unknown): Promise<Res> {
    const handler = service[method] as grpcTypes.handleUnaryCall<unknown, Res>;
    return new Promise((resolve, reject) => {
      handler({ request } as grpcTypes.ServerUnaryCall<unknown, Res>, (error, response) => {
        if (error === null || error === undefined) {
          resolve(response as Res);
        } else {
          reject(failureOf(error as Partial<grpcTypes.StatusObject>));
        }
      });
    });
  }

  async function failing(method: string, request: unknown): Promise<CallFailure> {
    return call(method, request).then(
      () => expect.fail(`${method} succeeded`),
      (failure: CallFailure) => failure,
    );
  }

  async function created(inputs: Record<string, unknown> = { jobId: JOB_ID, triggers: "v1" }) {
    const response = await call<InstanceType<typeof pb.CreateResponse>>(
      "create",
      new pb.CreateRequest().setUrn(URN).setProperties(toStruct(inputs)),
    );
    return { id: response.getId(), outputs: fromStruct(response.getProperties()) };
  }

  it("getPluginInfo and getSchema answer the version and schema they were given", async () => {
    const info = await call<{ getVersion(): string }>("getPluginInfo", {});
    expect(info.getVersion()).to.equal("9.9.9");
    const schema = await call<{ getSchema(): string }>("getSchema", new pb.GetSchemaRequest().setVersion(0));
    expect(schema.getSchema()).to.equal('{"name":"narrative"}');
    const newer = await failing("getSchema", new pb.GetSchemaRequest().setVersion(1));
    expect(newer.details).to.equal("unsupported schema version 1");
  });

  it("checkConfig marks the token secret, and refuses a URL with a password without naming it to the engine", async () => {
    const checked = await call<InstanceType<typeof pb.CheckResponse>>(
      "checkConfig",
      new pb.CheckRequest().setNews(toStruct({ token: TOKEN, apiUrl: sim.url })),
    );
    expect(checked.getFailuresList()).to.deep.equal([]);
    expect(fromStruct(checked.getInputs())["token"]).to.deep.include({ value: TOKEN });

    const refused = await call<InstanceType<typeof pb.CheckResponse>>(
      "checkConfig",
      new pb.CheckRequest().setNews(toStruct({ apiUrl: "https://alice:pw-93d1@api.narrative.io" })),
    );
    const failures = refused.getFailuresList().map((failure) => [failure.getProperty(), failure.getReason()]);
    expect(failures).to.have.length(1);
    expect(failures[0]?.[0]).to.equal("");
    expect(failures[0]?.[1]).to.include("narrative:apiUrl must not contain a user name or password");
    expect(JSON.stringify(failures)).not.to.include("pw-93d1");
  });

  it("check refuses another resource type, and names a bad jobId without sending anything", async () => {
    const other = await failing(
      "check",
      new pb.CheckRequest().setUrn("urn:pulumi:dev::project::narrative:index:Other::x").setNews(toStruct({})),
    );
    expect(other.details).to.equal(
      `unknown resource type narrative:index:Other: this plugin serves ${JOB_RERUN_TOKEN}`,
    );
    const checked = await call<InstanceType<typeof pb.CheckResponse>>(
      "check",
      new pb.CheckRequest().setUrn(URN).setNews(toStruct({ jobId: "job-42", triggers: 1 })),
    );
    expect(checked.getFailuresList().map((failure) => failure.getProperty())).to.deep.equal(["jobId"]);
    expect(sim.requests).to.deep.equal([]);
  });

  it("create reads the job and stores the outputs flat, the job's big integers exact", async () => {
    const { id, outputs } = await created();
    expect(id).to.equal(JOB_ID);
    expect(outputs).to.include({ jobId: JOB_ID, triggers: "v1", state: "completed", rescheduleCount: 0 });
    expect(outputs).not.to.have.property("status");
    expect((outputs["job"] as { result: Record<string, unknown> }).result["snapshot_id"]).to.equal(
      BIG_SNAPSHOT_ID,
    );
    expect(sim.requests.map((request) => `${request.method} ${request.path}`)).to.deep.equal([
      `GET /jobs/${JOB_ID}`,
    ]);
  });

  it("diff reads the flat state: new triggers are an update, another job a replacement", async () => {
    const { outputs } = await created();
    const diff = (news: Record<string, unknown>) =>
      call<InstanceType<typeof pb.DiffResponse>>(
        "diff",
        new pb.DiffRequest().setUrn(URN).setId(JOB_ID).setOlds(toStruct(outputs)).setNews(toStruct(news)),
      );
    expect((await diff({ jobId: JOB_ID, triggers: "v1" })).getChanges()).to.equal(
      pb.DiffResponse.DiffChanges.DIFF_NONE,
    );
    const rerun = await diff({ jobId: JOB_ID, triggers: "v2" });
    expect([rerun.getChanges(), rerun.getDiffsList(), rerun.getReplacesList()]).to.deep.equal([
      pb.DiffResponse.DiffChanges.DIFF_SOME,
      ["triggers"],
      [],
    ]);
    const other = await diff({ jobId: SEEDED_JOB_IDS.running, triggers: "v1" });
    expect(other.getReplacesList()).to.deep.equal(["jobId"]);
  });

  it('update sends exactly one POST {"force":true} and counts it', async () => {
    const { outputs } = await created();
    sim.reset();
    const response = await call<InstanceType<typeof pb.UpdateResponse>>(
      "update",
      new pb.UpdateRequest()
        .setUrn(URN)
        .setId(JOB_ID)
        .setOlds(toStruct(outputs))
        .setNews(toStruct({ jobId: JOB_ID, triggers: "v2" })),
    );
    expect(fromStruct(response.getProperties())).to.include({
      outcome: "rescheduled",
      rescheduleCount: 1,
      triggers: "v2",
    });
    expect(sim.writes().map((request) => [request.path, request.body])).to.deep.equal([
      [`/jobs/${JOB_ID}/reschedule`, '{"force":true}'],
    ]);
  });

  it("a wait that fails after the reschedule answers a partial failure carrying the flat outputs", async () => {
    const { outputs } = await created();
    sim.setJobOutcome(JOB_ID, { state: "failed", message: "the rerun failed" });
    const update = failing(
      "update",
      new pb.UpdateRequest()
        .setUrn(URN)
        .setId(JOB_ID)
        .setOlds(toStruct(outputs))
        .setNews(toStruct({ jobId: JOB_ID, triggers: "v2", waitFor: "terminal" })),
    );
    // The simulator's clock stands still: the run ends once it is moved past the run's length.
    await pollUntil(() => (sim.appliedReschedules(JOB_ID) > 0 ? true : undefined), {
      what: "the reschedule",
    });
    sim.advance(60 * 60_000);
    const failure = await update;
    expect(failure.code).to.equal(grpc.status.UNKNOWN);
    expect(failure.partial?.id).to.equal(JOB_ID);
    expect(failure.partial?.properties).to.include({
      rescheduleCount: 1,
      unfinishedRun: "rerun",
      triggers: "v2",
    });
    expect(failure.partial?.properties).not.to.have.property("__provider");
    expect(failure.partial?.reasons).to.deep.equal([failure.details]);
  });

  it("read refreshes the job, and answers an empty id once the job is gone", async () => {
    const { outputs } = await created();
    const read = (properties: Record<string, unknown>) =>
      call<InstanceType<typeof pb.ReadResponse>>(
        "read",
        new pb.ReadRequest()
          .setUrn(URN)
          .setId(JOB_ID)
          .setProperties(toStruct(properties))
          .setInputs(toStruct({ jobId: JOB_ID, triggers: "v1" })),
      );
    const refreshed = await read(outputs);
    expect([refreshed.getId(), fromStruct(refreshed.getInputs())]).to.deep.equal([
      JOB_ID,
      { jobId: JOB_ID, triggers: "v1" },
    ]);
    const gone = await read({ ...outputs, jobId: "9b0e7c1a-2f4d-4e8a-b6c3-d5e7f9a1b2c3" });
    expect(gone.getId()).to.equal("");
  });

  it("read with no state imports the job: read now, triggers null, nothing rescheduled", async () => {
    const imported = await call<InstanceType<typeof pb.ReadResponse>>(
      "read",
      new pb.ReadRequest().setUrn(URN).setId(JOB_ID),
    );
    expect(imported.getId()).to.equal(JOB_ID);
    expect(fromStruct(imported.getInputs())).to.deep.equal({ jobId: JOB_ID, triggers: null });
    expect(fromStruct(imported.getProperties())).to.include({ jobId: JOB_ID, rescheduleCount: 0 });
    expect(sim.writes()).to.deep.equal([]);
  });

  it("delete sends nothing, even for a state this release cannot read", async () => {
    await call(
      "delete",
      new pb.DeleteRequest()
        .setUrn(URN)
        .setId(JOB_ID)
        .setProperties(toStruct({ schemaVersion: 99 })),
    );
    expect(sim.requests).to.deep.equal([]);
  });

  it("invoke getJob reads the job; bad arguments come back as failures naming the field", async () => {
    const read = await call<InstanceType<typeof pb.InvokeResponse>>(
      "invoke",
      new pb.InvokeRequest().setTok(GET_JOB_TOKEN).setArgs(toStruct({ jobId: JOB_ID })),
    );
    expect(fromStruct(read.getReturn())).to.include({ jobId: JOB_ID, state: "completed" });
    const refused = await call<InstanceType<typeof pb.InvokeResponse>>(
      "invoke",
      new pb.InvokeRequest().setTok(GET_JOB_TOKEN).setArgs(toStruct({ jobId: TOKEN })),
    );
    const failures = refused.getFailuresList().map((failure) => [failure.getProperty(), failure.getReason()]);
    expect(failures).to.deep.equal([
      [
        "jobId",
        'jobId must be a Narrative job UUID such as 2a5b9ad7-dc8f-47bb-8e62-843a38f8054c; got "[REDACTED]"',
      ],
    ]);
    const unknown = await failing("invoke", new pb.InvokeRequest().setTok("narrative:index:other"));
    expect(unknown.details).to.equal(
      `unknown function narrative:index:other: this plugin serves ${GET_JOB_TOKEN}`,
    );
  });

  it("cancel aborts the lifecycle's waits", async () => {
    expect(cancel.signal.aborted).to.equal(false);
    await call("cancel", {});
    expect(cancel.signal.aborted).to.equal(true);
  });
});

function configureRequest(args: Record<string, string>) {
  return new pb.ConfigureRequest().setArgs(toStruct(args)).setAcceptsecrets(true);
}

/** The failure as the engine decodes it, the partial failure from the grpc-status-details-bin trailer. */
function failureOf(error: Partial<grpcTypes.StatusObject>): CallFailure {
  const failure: CallFailure = { code: error.code ?? -1, details: error.details ?? "" };
  const trailer = error.metadata?.get("grpc-status-details-bin")[0];
  if (trailer instanceof Buffer) {
    const packed = statusPb.Status.deserializeBinary(trailer).getDetailsList()[0] ?? new any.Any();
    const detail = pb.ErrorResourceInitFailed.deserializeBinary(packed.getValue_asU8());
    failure.partial = {
      id: detail.getId(),
      properties: fromStruct(detail.getProperties()),
      reasons: detail.getReasonsList(),
    };
  }
  return failure;
}
