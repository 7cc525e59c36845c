/**
 * The two hosts of the JobRerun lifecycle as real processes, driven over gRPC the way the engine drives them:
 * Pulumi's dynamic provider host loading the stored provider text, and this package's `narrative` provider
 * plugin. The same cases run against both (tests/integration/hosts.test.ts); what differs between them is the
 * resource's type, the provider text the dynamic host needs, the shape of the stored outputs and how settings
 * arrive, and this file hides exactly that.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as providerTypes from "@pulumi/pulumi/proto/provider_pb";
import { outputsFromState, type StoredOutputs } from "../../provider/jobrerun/decisions";
import {
  empty,
  grpc,
  provider as pb,
  providerService,
  status as statusPb,
} from "../../provider/hosts/plugin/proto";
import { JOB_RERUN_TOKEN } from "../../provider/hosts/plugin/schema";
import { fromStruct, toStruct } from "../../provider/hosts/plugin/property-values";
import { JOB_RERUN_TYPE, PROVIDER_TEXT } from "../../provider/hosts/dynamic/provider-text";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

export type HostKind = "dynamic" | "plugin";

/** A failed call as the engine sees it: the message, and a partial failure's recorded outputs when there is one. */
export class HostError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly partial?: { id: string; outputs: Record<string, unknown>; reasons: string[] },
  ) {
    super(message);
  }
}

type Call<Req, Res> = (
  request: Req,
  callback: (error: grpcTypes.ServiceError | null, response: Res) => void,
) => unknown;

export class ProviderHost {
  /** What the host printed on stderr: the lifecycle's progress lines and warnings. */
  readonly stderr: string[] = [];

  private constructor(
    readonly kind: HostKind,
    private readonly child: ChildProcess,
    private readonly client: InstanceType<typeof providerService.ResourceProviderClient>,
    private readonly engine: net.Server,
  ) {
    child.stderr?.on("data", (chunk: Buffer) => this.stderr.push(chunk.toString()));
  }

  /** Starts the host with a stand-in engine address (a listener, so the host's engine watch keeps it alive). */
  static async start(kind: HostKind, env: NodeJS.ProcessEnv = {}): Promise<ProviderHost> {
    const engine = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => engine.listen(0, "127.0.0.1", resolve));
    const address = `127.0.0.1:${(engine.address() as net.AddressInfo).port}`;
    const script =
      kind === "plugin"
        ? path.join(REPO_ROOT, "lib", "hosts", "plugin", "main.js")
        : require.resolve("@pulumi/pulumi/cmd/dynamic-provider/index.js");
    const child = spawn(process.execPath, [script, address], {
      cwd: REPO_ROOT,
      env: { PATH: process.env["PATH"], HOME: process.env["HOME"], ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split("\n")[0];
        if (out.includes("\n") && line !== undefined) {
          resolve(line.trim());
        }
      });
      child.once("exit", (code) =>
        reject(new Error(`${kind} host exited with ${code} before printing its port`)),
      );
    });
    const client = new providerService.ResourceProviderClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    );
    return new ProviderHost(kind, child, client, engine);
  }

  get type(): string {
    return this.kind === "plugin" ? JOB_RERUN_TOKEN : JOB_RERUN_TYPE;
  }

  urn(name = "rerun"): string {
    return `urn:pulumi:test::hosts::${this.type}::${name}`;
  }

  private call<Req, Res>(method: Call<Req, Res>, request: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      method.call(this.client, request, (error, response) => {
        if (error === null) {
          resolve(response);
        } else {
          reject(hostError(error));
        }
      });
    });
  }

  /** Configure as the engine sends it: the plugin gets bare keys, the dynamic host `namespace:key` ones. */
  async configure(settings: Record<string, string>): Promise<void> {
    const args =
      this.kind === "plugin"
        ? Object.fromEntries(
            Object.entries(settings).map(([key, value]) => [key.replace(/^narrative:/, ""), value]),
          )
        : settings;
    const request = new pb.ConfigureRequest().setArgs(toStruct(args)).setAcceptsecrets(true);
    for (const [key, value] of Object.entries(settings)) {
      request.getVariablesMap().set(key.replace(/^narrative:/, "narrative:config:"), value);
    }
    await this.call(this.client.configure, request);
  }

  /** The inputs as the program registers them: the dynamic resource adds the provider text. */
  inputs(given: Record<string, unknown>): Record<string, unknown> {
    return this.kind === "plugin" ? given : { ...given, __provider: PROVIDER_TEXT };
  }

  async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
    const request = new pb.CheckRequest()
      .setUrn(this.urn())
      .setOlds(toStruct(olds))
      .setNews(toStruct(this.inputs(news)));
    const response = await this.call<providerTypes.CheckRequest, providerTypes.CheckResponse>(
      this.client.check,
      request,
    );
    return {
      inputs: fromStruct(response.getInputs()),
      failures: response.getFailuresList().map((failure) => ({
        property: failure.getProperty(),
        reason: failure.getReason(),
      })),
    };
  }

  async diff(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const request = new pb.DiffRequest()
      .setId(id)
      .setUrn(this.urn())
      .setOlds(toStruct(olds))
      .setNews(toStruct(this.inputs(news)));
    const response = await this.call<providerTypes.DiffRequest, providerTypes.DiffResponse>(
      this.client.diff,
      request,
    );
    return {
      changes: response.getChanges() === pb.DiffResponse.DiffChanges.DIFF_SOME,
      replaces: response.getReplacesList(),
    };
  }

  async create(inputs: Record<string, unknown>): Promise<{ id: string; outputs: Record<string, unknown> }> {
    const request = new pb.CreateRequest().setUrn(this.urn()).setProperties(toStruct(this.inputs(inputs)));
    const response = await this.call<providerTypes.CreateRequest, providerTypes.CreateResponse>(
      this.client.create,
      request,
    );
    return { id: response.getId(), outputs: fromStruct(response.getProperties()) };
  }

  async update(
    id: string,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const request = new pb.UpdateRequest()
      .setId(id)
      .setUrn(this.urn())
      .setOlds(toStruct(olds))
      .setNews(toStruct(this.inputs(news)));
    const response = await this.call<providerTypes.UpdateRequest, providerTypes.UpdateResponse>(
      this.client.update,
      request,
    );
    return fromStruct(response.getProperties());
  }

  async read(
    id: string,
    olds: Record<string, unknown>,
  ): Promise<{ id: string; outputs: Record<string, unknown> }> {
    const request = new pb.ReadRequest().setId(id).setUrn(this.urn()).setProperties(toStruct(olds));
    const response = await this.call<providerTypes.ReadRequest, providerTypes.ReadResponse>(
      this.client.read,
      request,
    );
    return { id: response.getId(), outputs: fromStruct(response.getProperties()) };
  }

  async delete(id: string, olds: Record<string, unknown>): Promise<void> {
    const request = new pb.DeleteRequest().setId(id).setUrn(this.urn()).setProperties(toStruct(olds));
    await this.call(this.client.delete, request);
  }

  async cancel(): Promise<void> {
    await this.call(this.client.cancel, new empty.Empty());
  }

  /** Outputs as flat figures (status merged in, job parsed), whichever shape the host stores. */
  figures(outputs: Record<string, unknown>): Record<string, unknown> {
    const flat = this.kind === "plugin" ? outputs : outputsFromState(outputs as Partial<StoredOutputs>);
    const { job: _job, __provider: _text, ...rest } = flat as Record<string, unknown>;
    return rest;
  }

  async close(): Promise<void> {
    this.client.close();
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      this.child.kill("SIGTERM");
      await exited;
    }
    await new Promise((resolve) => this.engine.close(resolve));
  }
}

function hostError(error: grpcTypes.ServiceError): HostError {
  const trailer = error.metadata?.get("grpc-status-details-bin")[0];
  if (trailer === undefined) {
    return new HostError(error.details, error.code);
  }
  const details = statusPb.Status.deserializeBinary(new Uint8Array(trailer as Buffer));
  for (const detail of details.getDetailsList()) {
    if (detail.getTypeName() === "pulumirpc.ErrorResourceInitFailed") {
      const failed = pb.ErrorResourceInitFailed.deserializeBinary(detail.getValue_asU8());
      return new HostError(error.details, error.code, {
        id: failed.getId(),
        outputs: fromStruct(failed.getProperties()),
        reasons: failed.getReasonsList(),
      });
    }
  }
  return new HostError(error.details, error.code);
}
