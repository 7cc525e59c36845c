/**
 * How long a provider takes to start, the way the engine starts one: the process spawned with the engine's address
 * as its argument, until it prints the port it listens on; then its first gRPC answer (GetPluginInfo, which the
 * engine asks first) and, for the plugin, GetSchema (which the YAML language host needs before anything runs). The
 * `narrative` plugin (lib/hosts/plugin/main.js) against the dynamic provider host every Node.js program's dynamic
 * resources run in (@pulumi/pulumi/cmd/dynamic-provider/index.js), the two alternating; then the standalone
 * plugin (`npm run plugin-archives`, this machine's platform) against lib/hosts/plugin/main.js, and each archive's size.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { promises as fs } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as providerTypes from "@pulumi/pulumi/proto/provider_pb";
import { empty, grpc, provider as pb, providerService } from "../provider/hosts/plugin/proto";
import { REPO_ROOT, runCommand } from "../scripts/pulumi-harness";
import { buildArchives, cannotBuildHere } from "../scripts/standalone/build";
import { hostTarget, TARGETS, type Target } from "../scripts/standalone/targets";
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
  /** Absent from a results.json written before the standalone plugin was measured. */
  standalone?: StandaloneStartResults | undefined;
}

/** The standalone plugin (a Node.js single executable application) against lib/hosts/plugin/main.js. */
export interface StandaloneStartResults {
  /** This machine's platform, the executable measured (linux-amd64). */
  target: string;
  standalone: StartSide;
  /** Standalone over lib/hosts/plugin/main.js, run by run. */
  portRatio: Summary;
  firstAnswerRatio: Summary;
  /** Every archive this machine builds, with the executable in it. */
  archives: { target: string; archiveBytes: number; executableBytes: number }[];
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

/** `node <script>`, or an executable (the standalone plugin) when `script` is not JavaScript. */
function command(script: string): string[] {
  return script.endsWith(".js") ? [process.execPath, script] : [script];
}

/** One start of `script`, stopped once measured. */
async function startOnce(script: string, engineAddress: string, withSchema: boolean): Promise<OneStart> {
  const startedAt = performance.now();
  const [file = "", ...args] = command(script);
  const child = spawn(file, [...args, engineAddress], { stdio: ["ignore", "pipe", "pipe"] });
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

/** A loopback listener as the engine: the plugin checks that its engine is still there (cancellation.ts). */
async function withEngine<T>(measure: (engineAddress: string) => Promise<T>): Promise<T> {
  const engine = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => engine.listen(0, "127.0.0.1", resolve));
  const address = engine.address() as net.AddressInfo;
  try {
    return await measure(`127.0.0.1:${address.port}`);
  } finally {
    await new Promise((resolve) => engine.close(resolve));
  }
}

/** `runs` starts of `first` and `second`, alternating, after one unmeasured start of each. */
async function alternateStarts(
  runs: number,
  first: { script: string; schema: boolean },
  second: { script: string; schema: boolean },
): Promise<[OneStart[], OneStart[]]> {
  return withEngine(async (engineAddress) => {
    const a: OneStart[] = [];
    const b: OneStart[] = [];
    // One start of each first, unmeasured: the first start of a process reads its files from disk.
    await startOnce(first.script, engineAddress, first.schema);
    await startOnce(second.script, engineAddress, second.schema);
    for (let run = 0; run < runs; run++) {
      a.push(await startOnce(first.script, engineAddress, first.schema));
      b.push(await startOnce(second.script, engineAddress, second.schema));
    }
    return [a, b];
  });
}

function side(starts: readonly OneStart[]): StartSide {
  const schemas = starts.flatMap((start) => (start.schema === undefined ? [] : [start.schema]));
  return {
    port: summarize(starts.map((start) => start.port)),
    firstAnswer: summarize(starts.map((start) => start.firstAnswer)),
    schema: schemas.length === 0 ? undefined : summarize(schemas),
  };
}

/**
 * `runs` starts of each, alternating: the plugin against the dynamic host, then the standalone plugin against the
 * plugin (when this machine builds one for itself).
 */
export async function measurePluginStart(runs: number): Promise<PluginStartResults> {
  const [plugin, host] = await alternateStarts(
    runs,
    { script: PLUGIN_MAIN, schema: true },
    { script: DYNAMIC_HOST, schema: false },
  );
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
    standalone: await measureStandaloneStart(runs),
  };
}

let standalone:
  Promise<{ dir: string; archives: StandaloneStartResults["archives"] } | undefined> | undefined;

/**
 * The standalone plugin for this machine, unpacked into a directory (the one a YAML project names in
 * `plugins.providers`), with the sizes of every archive this machine builds; built once per bench run.
 * Undefined where this machine builds none for itself.
 */
export function standalonePlugin(): Promise<
  { dir: string; archives: StandaloneStartResults["archives"] } | undefined
> {
  standalone ??= (async () => {
    const host = hostTarget();
    if (host === undefined || (await cannotBuildHere(host)) !== undefined) {
      return undefined;
    }
    const targets: Target[] = [];
    for (const target of TARGETS) {
      if ((await cannotBuildHere(target)) === undefined) {
        targets.push(target);
      }
    }
    const outDir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-standalone-"));
    const built = await buildArchives({ targets, outDir, log: () => undefined });
    const archive = built.archives.find((entry) => entry.target.name === host.name)?.archive ?? "";
    await runCommand("tar", ["-xzf", archive, "-C", outDir]);
    return {
      dir: outDir,
      archives: built.archives.map((entry) => ({
        target: entry.target.name,
        archiveBytes: entry.archiveBytes,
        executableBytes: entry.executableBytes,
      })),
    };
  })();
  return standalone;
}

async function measureStandaloneStart(runs: number): Promise<StandaloneStartResults | undefined> {
  const built = await standalonePlugin();
  const host = hostTarget();
  if (built === undefined || host === undefined) {
    return undefined;
  }
  const [sea, plugin] = await alternateStarts(
    runs,
    { script: path.join(built.dir, host.executable), schema: true },
    { script: PLUGIN_MAIN, schema: true },
  );
  return {
    target: host.name,
    standalone: side(sea),
    portRatio: pairedRatios(
      sea.map((start) => start.port),
      plugin.map((start) => start.port),
    ),
    firstAnswerRatio: pairedRatios(
      sea.map((start) => start.firstAnswer),
      plugin.map((start) => start.firstAnswer),
    ),
    archives: built.archives,
  };
}
