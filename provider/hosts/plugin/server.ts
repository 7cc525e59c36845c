/**
 * The `narrative` provider plugin's gRPC service: the engine's ResourceProvider protocol in front of the same
 * JobRerun lifecycle (provider.ts) that the dynamic provider host drives. Each method translates the request,
 * calls the lifecycle, and translates the answer; what to check, compare, send and store is decided there.
 *
 * Why not `@pulumi/pulumi/provider`'s `main()`: its Configure drops the request's variables and arguments, so an
 * explicit provider (`pulumi:providers:narrative` with a `token`) could not work; its Cancel and errors print
 * stacks; and it loads the whole SDK, which costs every plugin start.
 */
import type * as grpcTypes from "@grpc/grpc-js";
import type * as providerTypes from "@pulumi/pulumi/proto/provider_pb";
import type { StoredOutputs } from "../../jobrerun/decisions";
import type { JobRerunProvider } from "../dynamic/provider";
import { JobRerunIncompleteError } from "../../jobrerun/incomplete";
import { NarrativeConfigError } from "../../api/errors";
import { configFailures, configSource } from "./config";
import { any, empty, grpc, plugin, provider as pb, status } from "./proto";
import { fromStored, fromStruct, secret, toStored, toStruct } from "./property-values";
import { importJob, invokeGetJob } from "./reads";
import { GET_JOB_TOKEN, JOB_RERUN_TOKEN } from "./schema";

export interface PluginOptions {
  lifecycle: JobRerunProvider;
  /** Aborted by the engine's Cancel call: waits and retries in flight end early (provider.ts). */
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
  const methods = { ...pluginMethods(options), ...resourceMethods(options.lifecycle) };
  return Object.fromEntries(
    Object.entries(methods).map(([name, handler]) => [name, unary(handler as Handler<unknown, unknown>)]),
  );
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
      response.setFailuresList(configFailures(news).map((failure) => checkFailure(failure)));
      return response;
    },
    configure: async (request: providerTypes.ConfigureRequest) => {
      await lifecycle.configure({ config: configSource(request) });
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
      const result = await invokeGetJob(lifecycle, fromStruct(request.getArgs()));
      const response = new pb.InvokeResponse();
      if ("failures" in result) {
        return response.setFailuresList(result.failures.map((failure) => checkFailure(failure)));
      }
      return response.setReturn(toStruct({ ...result.job }));
    },
  } satisfies Record<string, Handler<never, unknown>>;
}

/** A JobRerun's lifecycle, each method a translation around the shared one. */
function resourceMethods(lifecycle: JobRerunProvider) {
  return {
    check: async (request: providerTypes.CheckRequest) => {
      expectJobRerun(request.getUrn());
      const result = await lifecycle.check(fromStruct(request.getOlds()), fromStruct(request.getNews()));
      return new pb.CheckResponse()
        .setInputs(toStruct(result.inputs as Record<string, unknown>))
        .setFailuresList((result.failures ?? []).map((failure) => checkFailure(failure)));
    },
    diff: async (request: providerTypes.DiffRequest) => {
      const olds = toStored(fromStruct(request.getOlds())) ?? {};
      const result = await lifecycle.diff(request.getId(), olds, fromStruct(request.getNews()));
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
      const inputs = fromStruct(request.getProperties());
      const { id, outs } = await partial(inputs, () => lifecycle.create(inputs as never));
      return new pb.CreateResponse().setId(id).setProperties(toStruct(fromStored(outs as StoredOutputs)));
    },
    update: async (request: providerTypes.UpdateRequest) => {
      const inputs = fromStruct(request.getNews());
      const stored = toStored(fromStruct(request.getOlds()));
      const { outs } = await partial(inputs, () =>
        lifecycle.update(request.getId(), stored as never, inputs as never),
      );
      return new pb.UpdateResponse().setProperties(toStruct(fromStored(outs as never)));
    },
    read: async (request: providerTypes.ReadRequest) => {
      const stored = toStored(fromStruct(request.getProperties()));
      const inputs = fromStruct(request.getInputs());
      if (stored === undefined) {
        // `pulumi import narrative:index:JobRerun <name> <jobId>`: the job read now, with triggers still to set.
        const imported = await importJob(lifecycle, request.getId());
        return new pb.ReadResponse()
          .setId(imported.id)
          .setProperties(toStruct(fromStored(imported.outs)))
          .setInputs(toStruct(imported.inputs));
      }
      const result = await lifecycle.read(request.getId(), stored);
      const response = new pb.ReadResponse();
      if (result.id === undefined || result.props === undefined) {
        // The job is gone: an empty id tells the engine to drop the resource from the state.
        return response.setId("");
      }
      return response
        .setId(result.id)
        .setProperties(toStruct(fromStored(result.props)))
        .setInputs(toStruct(inputs));
    },
    delete: async () => {
      // A job cannot be deleted and a rerun cannot be undone: the resource only leaves the state.
      await lifecycle.delete();
      return new empty.Empty();
    },
  } satisfies Record<string, Handler<never, unknown>>;
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
 * engine's partial failure, so that what was done is recorded, in the plugin's shape and without the provider
 * text the dynamic host needs.
 */
async function partial<T>(inputs: Record<string, unknown>, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof JobRerunIncompleteError) {
      const { __provider: _text, ...stored } = error.properties;
      throw new IncompleteStep(error, fromStored(stored), inputs);
    }
    throw error;
  }
}

class IncompleteStep extends Error {
  constructor(
    override readonly cause: JobRerunIncompleteError,
    readonly outputs: Record<string, unknown>,
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
    .setProperties(toStruct(error.outputs))
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
