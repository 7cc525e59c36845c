/**
 * How long a provider takes to start, the way the engine starts one: the process spawned with the engine's address
 * as its argument, until it prints the port it listens on; then its first gRPC answer (GetPluginInfo, which the
 * engine asks first) and, for the plugin, GetSchema (which the YAML language host needs before anything runs). The
 * `narrative` plugin (lib/hosts/plugin/main.js) against the dynamic provider host every Node.js program's dynamic
 * resources run in (@pulumi/pulumi/cmd/dynamic-provider/index.js), the two alternating.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as providerTypes from "@pulumi/pulumi/proto/provider_pb";
import { empty, grpc, provider as pb, providerService } from "../provider/hosts/plugin/proto";
import { REPO_ROOT } from "../scripts/pulumi-harness";
import { pairedRatios, summarize, type Summary } from "./stats";

export interface StartSide {
  /** From spawning the process to its port line. */
  port: Summary;
  /** From spawning the process to its answer to GetPluginInfo. */
  firstAnswer: Summary;
  /** GetSchema's round trip once the port is known; undefined for the dynamic host, which does not serve it. */
  schema: Summary | undefined;
}

export interface PluginStartResults {
  runs: number;
  plugin: StartSide;
  dynamicHost: StartSide;
  /** Plugin over dynamic host, run by run: to the port line, and to the first answer. */
  portRatio: Summary;
  firstAnswerRatio: Summary;
}

const PLUGIN_MAIN = path.join(REPO_ROOT, "lib", "hosts", "plugin", "main.js");
const DYNAMIC_HOST = path.join(
  REPO_ROOT,
  "node_modules",
  "@pulumi",
  "pulumi",
  "cmd",
  "dynamic-provider",
  "index.js",
);
/** A process that printed nothing in this long is broken, not slow. */
const START_TIMEOUT_MS = 30_000;

interface OneStart {
  port: number;
  firstAnswer: number;
  schema: number | undefined;
}

type Client = InstanceType<typeof providerService.ResourceProviderClient>;

function call<Res>(
  start: (callback: (error: grpcTypes.ServiceError | null, response: Res) => void) => void,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    start((error, response) => (error === null ? resolve(response) : reject(error)));
  });
}

/** Milliseconds since `startedAt`. */
const since = (startedAt: number): number => performance.now() - startedAt;

/** The port line a provider prints first, or a failure with what it printed to stderr. */
function portLine(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(
      () => reject(new Error(`no port line in ${START_TIMEOUT_MS} ms:\n${stderr}`)),
      START_TIMEOUT_MS,
    );
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf("\n");
      if (newline >= 0) {
        clearTimeout(timer);
        const port = Number(stdout.slice(0, newline).trim());
        if (Number.isInteger(port) && port > 0) {
          resolve(port);
        } else {
          reject(new Error(`the first line is not a port: ${JSON.stringify(stdout.slice(0, newline))}`));
        }
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before its port line:\n${stderr}`));
    });
  });
}

/** One start of `script`, stopped once measured. */
async function startOnce(script: string, engineAddress: string, withSchema: boolean): Promise<OneStart> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [script, engineAddress], { stdio: ["ignore", "pipe", "pipe"] });
  let client: Client | undefined;
  try {
    const listening = await portLine(child);
    const port = since(startedAt);
    client = new providerService.ResourceProviderClient(
      `127.0.0.1:${listening}`,
      grpc.credentials.createInsecure(),
    );
    const connected = client;
    await call((callback) => connected.getPluginInfo(new empty.Empty(), callback));
    const firstAnswer = since(startedAt);
    let schema: number | undefined;
    if (withSchema) {
      const asked = performance.now();
      const response = await call<providerTypes.GetSchemaResponse>((callback) =>
        connected.getSchema(new pb.GetSchemaRequest(), callback),
      );
      schema = since(asked);
      if (!response.getSchema().includes('"narrative:index:JobRerun"')) {
        throw new Error("GetSchema's answer does not declare narrative:index:JobRerun");
      }
    }
    return { port, firstAnswer, schema };
  } finally {
    client?.close();
    const exited = new Promise((resolve) => child.once("exit", resolve));
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  }
}

/**
 * `runs` starts of each, alternating. The engine's address is a loopback listener of this process's: the plugin
 * checks that its engine is still there (cancellation.ts) and would end itself without one.
 */
export async function measurePluginStart(runs: number): Promise<PluginStartResults> {
  const engine = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => engine.listen(0, "127.0.0.1", resolve));
  const address = engine.address() as net.AddressInfo;
  const engineAddress = `127.0.0.1:${address.port}`;
  const plugin: OneStart[] = [];
  const host: OneStart[] = [];
  try {
    // One start of each first, unmeasured: the first start of a process reads its modules from disk.
    await startOnce(PLUGIN_MAIN, engineAddress, true);
    await startOnce(DYNAMIC_HOST, engineAddress, false);
    for (let run = 0; run < runs; run++) {
      plugin.push(await startOnce(PLUGIN_MAIN, engineAddress, true));
      host.push(await startOnce(DYNAMIC_HOST, engineAddress, false));
    }
  } finally {
    await new Promise((resolve) => engine.close(resolve));
  }
  const side = (starts: readonly OneStart[]): StartSide => {
    const schemas = starts.flatMap((start) => (start.schema === undefined ? [] : [start.schema]));
    return {
      port: summarize(starts.map((start) => start.port)),
      firstAnswer: summarize(starts.map((start) => start.firstAnswer)),
      schema: schemas.length === 0 ? undefined : summarize(schemas),
    };
  };
  return {
    runs,
    plugin: side(plugin),
    dynamicHost: side(host),
    portRatio: pairedRatios(
      plugin.map((start) => start.port),
      host.map((start) => start.port),
    ),
    firstAnswerRatio: pairedRatios(
      plugin.map((start) => start.firstAnswer),
      host.map((start) => start.firstAnswer),
    ),
  };
}
