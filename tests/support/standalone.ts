/**
 * Helpers for the tests of the standalone plugin (standalone.test.ts, plugin-acquisition.test.ts): its release
 * archives built by the npm script a release runs, a PATH that holds no `node`, the plugin's first gRPC answers,
 * and a release server on loopback.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, promises as fs, readFileSync } from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import { empty, grpc, provider as pb, providerService } from "../../provider/hosts/plugin/proto";
import { ensurePulumiCli, REPO_ROOT, runCommand } from "../../scripts/pulumi-harness";

export const VERSION = (
  JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }
).version;

export interface Archives {
  dir: string;
  /** By target name (linux-amd64, ...). */
  archives: Record<string, string>;
  checksums: string;
}

/** `npm run plugin-archives -- <targets> --out <a new directory>`, as a release runs it. */
export async function buildArchives(targets: readonly string[]): Promise<Archives> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-dist-"));
  const result = await runCommand(
    "npm",
    ["run", "--silent", "plugin-archives", "--", ...targets, "--out", dir],
    {
      cwd: REPO_ROOT,
      timeoutMs: 600_000,
    },
  );
  const lines = result.stdout.trim().split("\n");
  const archives: Record<string, string> = {};
  for (const target of targets) {
    const archive = lines.find((line) => line.endsWith(`-${target}.tar.gz`));
    if (archive === undefined) {
      throw new Error(`npm run plugin-archives printed no archive for ${target}:\n${result.output}`);
    }
    archives[target] = archive;
  }
  return { dir, archives, checksums: lines.find((line) => line.endsWith("-checksums.txt")) ?? "" };
}

/** Unpacks an archive into a new directory; returns it. */
export async function unpack(archive: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-unpacked-"));
  await runCommand("tar", ["-xzf", archive, "-C", dir]);
  return dir;
}

export async function sha256(file: string): Promise<string> {
  return createHash("sha256")
    .update(await fs.readFile(file))
    .digest("hex");
}

/** Every directory of `pathValue` that holds a `node`. */
export function nodesOn(pathValue: string): string[] {
  return pathValue
    .split(path.delimiter)
    .filter(
      (dir) => dir !== "" && (existsSync(path.join(dir, "node")) || existsSync(path.join(dir, "node.exe"))),
    );
}

/**
 * A PATH of one new directory holding links to `pulumi` and Pulumi's YAML host from scripts/ensure-pulumi, and to
 * `extra` (name to target): nothing else, so no `node`. The CLI's own directory is not on it, as it holds the
 * dynamic provider's launcher, a script that runs `node`.
 */
export async function nodelessPath(extra: Record<string, string> = {}): Promise<string> {
  const cli = await ensurePulumiCli();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-nodeless-bin-"));
  const links: Record<string, string> = {
    pulumi: path.join(cli, "pulumi"),
    "pulumi-language-yaml": path.join(cli, "pulumi-language-yaml"),
    ...extra,
  };
  for (const [name, target] of Object.entries(links)) {
    await fs.symlink(await fs.realpath(target), path.join(dir, name));
  }
  if (nodesOn(dir).length > 0) {
    throw new Error(`${dir} holds a node`);
  }
  return dir;
}

export interface PluginAnswers {
  version: string;
  schema: string;
}

type Client = InstanceType<typeof providerService.ResourceProviderClient>;

function call<Res>(
  start: (callback: (error: grpcTypes.ServiceError | null, response: Res) => void) => void,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    start((error, response) => (error === null ? resolve(response) : reject(error)));
  });
}

export interface AskOptions {
  timeoutMs?: number;
  /**
   * The plugin's output to files instead of pipes: under Wine, Node.js cannot open a Linux pipe as its stderr
   * (EBADF), though Windows gives a child pipes as Linux does.
   */
  outputToFiles?: boolean;
}

/** The port line `child` prints first, read from its pipes or, with `files`, from the files it writes. */
function portLine(
  child: ChildProcess,
  timeoutMs: number,
  files: { out: string; err: string } | undefined,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    const errors = (): string => (files === undefined ? stderr : readIfThere(files.err));
    const found = (): boolean => {
      const line = /^(\d+)\r?\n/.exec(files === undefined ? stdout : readIfThere(files.out));
      if (line?.[1] !== undefined) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve(Number(line[1]));
      }
      return line !== null;
    };
    const timer = setTimeout(
      () => reject(new Error(`no port line in ${timeoutMs} ms:\n${errors()}`)),
      timeoutMs,
    );
    const poll = setInterval(() => files !== undefined && found(), 100);
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      found();
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      clearInterval(poll);
      if (!found()) {
        reject(new Error(`exited with ${code} before its port line:\n${errors()}`));
      }
    });
  });
}

function readIfThere(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

/**
 * Starts a plugin as the engine does (`command args... <engine address>`) with exactly `env`, waits for its port
 * line, asks GetPluginInfo and GetSchema, and stops it. The engine address is a listener of this process: the
 * plugin ends itself when its engine is gone.
 */
export async function askPlugin(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: AskOptions = {},
): Promise<PluginAnswers> {
  const engine = http.createServer();
  await new Promise<void>((resolve) => engine.listen(0, "127.0.0.1", resolve));
  const enginePort = (engine.address() as { port: number }).port;
  const outputDir =
    options.outputToFiles === true ? await fs.mkdtemp(path.join(os.tmpdir(), "narrative-ask-")) : "";
  const files =
    outputDir === "" ? undefined : { out: path.join(outputDir, "out"), err: path.join(outputDir, "err") };
  const fds = files === undefined ? undefined : [openSync(files.out, "w"), openSync(files.err, "w")];
  const child = spawn(command, [...args, `127.0.0.1:${enginePort}`], {
    env,
    stdio: ["ignore", fds?.[0] ?? "pipe", fds?.[1] ?? "pipe"],
  });
  fds?.forEach((fd) => closeSync(fd));
  let client: Client | undefined;
  try {
    const port = await portLine(child, options.timeoutMs ?? 60_000, files);
    const connected = new providerService.ResourceProviderClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    );
    client = connected;
    const info = await call<{ getVersion(): string }>((callback) =>
      connected.getPluginInfo(new empty.Empty(), callback),
    );
    const schema = await call<{ getSchema(): string }>((callback) =>
      connected.getSchema(new pb.GetSchemaRequest(), callback),
    );
    return { version: info.getVersion(), schema: schema.getSchema() };
  } finally {
    client?.close();
    child.kill("SIGKILL");
    engine.close();
    if (outputDir !== "") {
      await fs.rm(outputDir, { recursive: true, force: true });
    }
  }
}

export interface ReleaseServer {
  url: string;
  /** The paths asked for, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Serves the files of `dir` by name over http on loopback, as a release's download URL serves its assets. */
export async function startReleaseServer(dir: string): Promise<ReleaseServer> {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    const name = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname).replace(
      /^\/+/,
      "",
    );
    requests.push(`/${name}`);
    const file = path.join(dir, name);
    if (name === "" || name.includes("/") || !existsSync(file)) {
      response.writeHead(404).end("not found\n");
      return;
    }
    // With its length, as a release's asset is served: the CLI checks that it got as many bytes as announced.
    fs.readFile(file).then(
      (bytes) =>
        response
          .writeHead(200, { "content-type": "application/gzip", "content-length": bytes.length })
          .end(bytes),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
