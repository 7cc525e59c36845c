/**
 * The `narrative` provider plugin's gRPC service: the engine's ResourceProvider protocol in front of the JobRerun
 * lifecycle (jobrerun/lifecycle.ts) that the dynamic provider host drives too. Each method translates the request,
 * calls the lifecycle, and translates the answer into protocol structs; what to check, compare, send and store is
 * decided there. The plugin stores outputs flat, as the schema declares them (`outcome`, `job`, `state`...): a
 * YAML or Go program reads outputs by name and pays nothing per output.
 *
 * Why not `@pulumi/pulumi/provider`'s `main()`: its Configure drops the request's variables and arguments, so an
 * explicit provider (`pulumi:providers:narrative` with a `token`) could not work; its Cancel and errors print
 * stacks; and it loads the whole SDK, which costs every plugin start.
 */
import type * as grpcTypes from "@grpc/grpc-js";
import type * as providerTypes from "@pulumi/pulumi/proto/provider_pb";
import { NarrativeConfigError } from "../../api/errors";
import { flatOutputs, outputsFromFlatState, type JobRerunOutputs } from "../../jobrerun/decisions";
import { JobRerunIncompleteError } from "../../jobrerun/incomplete";
import { checkedInputs } from "../../jobrerun/inputs";
import type { JobRerunLifecycle } from "../../jobrerun/lifecycle";
import { configFailures, configSource } from "./config";
import { any, empty, grpc, plugin, provider as pb, status, type Struct } from "./proto";
import { fromStruct, secret, toStruct } from "./property-values";
import { GET_JOB_TOKEN, JOB_RERUN_TOKEN } from "./schema";

export interface PluginOptions {
  lifecycle: JobRerunLifecycle;
  /** Aborted by the engine's Cancel call: waits and retries in flight end early. */
  cancel: AbortController;
  schema: string;
  version: string;
}

type Handler<Req, Res> = (request: Req) => Promise<Res>;

/**
 * The service's methods; those left out (DiffConfig, Construct, Call...) answer UNIMPLEMENTED, which the engine
 * tolerates: a changed setting updates the provider in place and never replaces the resources it manages.
 */
export function pluginService(options: PluginOptions): grpcTypes.UntypedServiceImplementation {
  return Object.fromEntries(
    Object.entries(pluginHandlers(options)).map(([name, handler]) => [
      name,
      unary(handler as Handler<unknown, unknown>),
    ]),
  );
}

/** The handlers by method name, as the service calls them; the tests call them in-process too. */
export function pluginHandlers(options: PluginOptions) {
  return { ...pluginMethods(options), ...resourceMethods(options.lifecycle) };
}

/** The plugin's own methods: what it is, its schema, its configuration, Cancel, and the getJob function. */
function pluginMethods(options: PluginOptions) {
  const { lifecycle } = options;
  return {
    getPluginInfo: async () => new plugin.PluginInfo().setVersion(options.version),
    getSchema: async (request: providerTypes.GetSchemaRequest) => {
      if (request.getVersion() !== 0) {
        throw new Error(`unsupported schema version ${request.getVersion()}`);
      }
      return new pb.GetSchemaResponse().setSchema(options.schema);
    },
    cancel: async () => {
      options.cancel.abort();
      return new empty.Empty();
    },
    checkConfig: async (request: providerTypes.CheckRequest) => {
      const news = fromStruct(request.getNews());
      const response = new pb.CheckResponse();
      // The token is marked secret here, so that the engine encrypts it in the state even when a program gives
      // it as plain text (a YAML literal, an unmarked Go string).
      const token = news["token"];
      response.setInputs(toStruct(typeof token === "string" ? { ...news, token: secret(token) } : news));
      return response.setFailuresList(configFailures(news).map((failure) => checkFailure(failure)));
    },
    configure: async (request: providerTypes.ConfigureRequest) => {
      lifecycle.configure(configSource(request));
      // Secrets are taken off inputs before they reach this plugin and put back on the outputs of the same
      // name by the engine, as for the dynamic provider; no preview of create or update: nothing runs in preview.
      return new pb.ConfigureResponse()
        .setAcceptsecrets(false)
        .setAcceptresources(false)
        .setSupportspreview(false);
    },
    invoke: async (request: providerTypes.InvokeRequest) => {
      if (request.getTok() !== GET_JOB_TOKEN) {
        throw new Error(`unknown function ${request.getTok()}: this plugin serves ${GET_JOB_TOKEN}`);
      }
      const answer = await lifecycle.getJob(fromStruct(request.getArgs()));
      const response = new pb.InvokeResponse();
      if ("failures" in answer) {
        return response.setFailuresList(answer.failures.map((failure) => checkFailure(failure)));
      }
      return response.setReturn(toStruct({ ...answer.job }));
    },
  } satisfies Record<string, Handler<never, unknown>>;
}

/** A JobRerun's lifecycle, each method a translation around the shared one. */
function resourceMethods(lifecycle: JobRerunLifecycle) {
  return {
    check: async (request: providerTypes.CheckRequest) => {
      expectJobRerun(request.getUrn());
      const result = lifecycle.check(fromStruct(request.getNews()));
      return new pb.CheckResponse()
        .setInputs(toStruct(result.inputs))
        .setFailuresList(result.failures.map((failure) => checkFailure(failure)));
    },
    diff: async (request: providerTypes.DiffRequest) => {
      expectJobRerun(request.getUrn());
      const result = lifecycle.diff(
        outputsFromFlatState(fromStruct(request.getOlds())),
        fromStruct(request.getNews()),
      );
      const response = new pb.DiffResponse()
        .setChanges(
          result.changes ? pb.DiffResponse.DiffChanges.DIFF_SOME : pb.DiffResponse.DiffChanges.DIFF_NONE,
        )
        .setReplacesList(result.replaces)
        .setDiffsList(result.changed)
        .setDeletebeforereplace(false)
        .setHasdetaileddiff(true);
      for (const name of result.changed) {
        const kind = result.replaces.includes(name)
          ? pb.PropertyDiff.Kind.UPDATE_REPLACE
          : pb.PropertyDiff.Kind.UPDATE;
        response.getDetaileddiffMap().set(name, new pb.PropertyDiff().setKind(kind).setInputdiff(true));
      }
      return response;
    },
    create: async (request: providerTypes.CreateRequest) => {
      expectJobRerun(request.getUrn());
      const inputs = fromStruct(request.getProperties());
      const { id, outputs } = await recorded(inputs, () => lifecycle.create(checkedInputs(inputs)));
      return new pb.CreateResponse().setId(id).setProperties(toStruct({ ...flatOutputs(outputs) }));
    },
    update: async (request: providerTypes.UpdateRequest) => {
      expectJobRerun(request.getUrn());
      const inputs = fromStruct(request.getNews());
      const olds = stateOf(request.getOlds());
      const outputs = await recorded(inputs, () => lifecycle.update(olds, checkedInputs(inputs)));
      return new pb.UpdateResponse().setProperties(toStruct({ ...flatOutputs(outputs) }));
    },
    read: async (request: providerTypes.ReadRequest) => {
      expectJobRerun(request.getUrn());
      if (Object.keys(fromStruct(request.getProperties())).length === 0) {
        // `pulumi import narrative:index:JobRerun <name> <jobId>`: no state yet; the lifecycle decides what it holds.
        const imported = await lifecycle.import(request.getId());
        return new pb.ReadResponse()
          .setId(imported.id)
          .setProperties(toStruct({ ...flatOutputs(imported.outputs) }))
          .setInputs(toStruct(imported.inputs));
      }
      const refreshed = await lifecycle.read(stateOf(request.getProperties()));
      // The job is gone: an empty id tells the engine to drop the resource from the state.
      return refreshed === undefined
        ? new pb.ReadResponse().setId("")
        : new pb.ReadResponse()
            .setId(request.getId())
            .setProperties(toStruct({ ...flatOutputs(refreshed) }))
            .setInputs(request.getInputs() ?? toStruct({}));
    },
    delete: async (request: providerTypes.DeleteRequest) => {
      expectJobRerun(request.getUrn());
      await lifecycle.delete(request.getId());
      return new empty.Empty();
    },
  } satisfies Record<string, Handler<never, unknown>>;
}

/** A JobRerun's state as the plugin stored it (flat), read by the lifecycle's state rules. */
function stateOf(properties: Struct | undefined): JobRerunOutputs {
  return outputsFromFlatState(fromStruct(properties)) as JobRerunOutputs;
}

/** One unary method: its answer, or its failure as the engine reads failures. */
function unary<Req, Res>(handler: Handler<Req, Res>): grpcTypes.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    handler(call.request).then(
      (response) => callback(null, response),
      (error: unknown) => callback(serviceError(error)),
    );
  };
}

function expectJobRerun(urn: string): void {
  const type = urn.split("::")[2];
  if (type !== undefined && type !== JOB_RERUN_TOKEN) {
    throw new Error(`unknown resource type ${type}: this plugin serves ${JOB_RERUN_TOKEN}`);
  }
}

function checkFailure(failure: { property: string; reason: string }): providerTypes.CheckFailure {
  return new pb.CheckFailure().setProperty(failure.property).setReason(failure.reason);
}

/**
 * Runs a create or update; a JobRerunIncompleteError (the reschedule was applied, the rest failed) becomes the
 * engine's partial failure, so that what was done is recorded, flat as the plugin stores its outputs.
 */
async function recorded<T>(inputs: Record<string, unknown>, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw error instanceof JobRerunIncompleteError ? new IncompleteStep(error, inputs) : error;
  }
}

class IncompleteStep extends Error {
  constructor(
    override readonly cause: JobRerunIncompleteError,
    readonly inputs: Record<string, unknown>,
  ) {
    super(cause.message);
  }
}

/**
 * The failure the engine shows: the message alone, no stack (the messages name the job, the setting and what to
 * do, and are already free of the token); a partial failure carries what the state must record.
 */
function serviceError(error: unknown): Partial<grpcTypes.StatusObject> {
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof IncompleteStep)) {
    const code = error instanceof NarrativeConfigError ? grpc.status.INVALID_ARGUMENT : grpc.status.UNKNOWN;
    return { code, details: message };
  }
  const detail = new pb.ErrorResourceInitFailed()
    .setId(error.cause.id)
    .setProperties(toStruct({ ...flatOutputs(error.cause.outputs) }))
    .setInputs(toStruct(error.inputs))
    .setReasonsList(error.cause.reasons);
  const packed = new any.Any();
  packed.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
  const details = new status.Status().setCode(grpc.status.UNKNOWN).setMessage(message);
  details.addDetails(packed);
  const metadata = new grpc.Metadata();
  // The engine reads a partial failure from this binary trailer, as every Pulumi provider sends it.
  metadata.add("grpc-status-details-bin", Buffer.from(details.serializeBinary()));
  return { code: grpc.status.UNKNOWN, details: message, metadata };
}
