/**
 * Helpers for the end-to-end cases that the harness (scripts/pulumi-harness.ts) leaves out because only tests
 * need them: reading stored figures, waiting on what a running command causes, and sequencing cases.
 */
import * as diagnosticsChannel from "node:diagnostics_channel";
import { existsSync, promises as fs } from "node:fs";
import type { IncomingMessage } from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { outputsFromState, type StoredOutputs } from "../../provider/jobrerun/decisions";
import {
  REPO_ROOT,
  runCommand,
  type PulumiWorkspace,
  type StateResource,
} from "../../scripts/pulumi-harness";

/** A JobRerun's outputs as the state stores them, read as flat figures (status merged in, job parsed). */
export function storedFigures(resource: StateResource | undefined): Record<string, unknown> {
  return outputsFromState((resource?.outputs ?? {}) as Partial<StoredOutputs>) as Record<string, unknown>;
}

/**
 * For a describe whose cases build on each other: once one fails, the rest are skipped, since they would only
 * report the same failure again. Call it inside the describe.
 */
export function skipTheRestAfterAFailure(): void {
  let failed = false;
  beforeEach(function () {
    if (failed) {
      this.skip();
    }
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      failed = true;
    }
  });
}

/** What a suite made, for its after hook to end; an entry still undefined (its before hook failed first) is passed over. */
export interface Leftovers {
  workspaces?: readonly (PulumiWorkspace | undefined)[];
  /** Simulators, release servers: anything that listens until closed. */
  servers?: readonly ({ close(): Promise<void> } | undefined)[];
  dirs?: readonly (string | undefined)[];
}

/**
 * Declares the describe's after hook that disposes the workspaces (their stacks and homes), then closes the
 * servers, then removes the directories. `leftovers` is read when the hook runs.
 */
export function cleanUpAfter(leftovers: () => Leftovers): void {
  after(async function () {
    this.timeout(60_000);
    const { workspaces = [], servers = [], dirs = [] } = leftovers();
    for (const workspace of workspaces) {
      await workspace?.dispose();
    }
    for (const server of servers) {
      await server?.close();
    }
    for (const dir of dirs) {
      if (dir !== undefined) {
        await fs.rm(dir, { recursive: true, force: true });
      }
    }
  });
}

/**
 * Resolves with `probe()`'s first value other than undefined, checking every `intervalMs`; rejects after
 * `timeoutMs` naming `what`. For waiting on something a running command causes, such as a request reaching
 * the simulator, while the event loop stays free to serve it.
 */
export async function pollUntil<T>(
  probe: () => T | undefined,
  options: { what: string; timeoutMs?: number; intervalMs?: number },
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() >= deadline) {
      throw new Error(`gave up after ${timeoutMs} ms waiting for ${options.what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A process as Linux's /proc shows it. */
export interface ProcessInfo {
  pid: number;
  cwd: string;
  /** The command line, its arguments joined by spaces. */
  command: string;
}

/**
 * The processes that run in `dir` or name it on their command line (Linux: read from /proc). The Pulumi CLI
 * starts its language host, the program and the dynamic provider host in the project directory, so after the
 * CLI is gone this lists whatever it left behind. Processes that end while being read are skipped.
 */
export async function processesIn(dir: string): Promise<ProcessInfo[]> {
  const found: ProcessInfo[] = [];
  for (const entry of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const [cwd, cmdline] = await Promise.all([
        fs.readlink(`/proc/${entry}/cwd`),
        fs.readFile(`/proc/${entry}/cmdline`, "utf8"),
      ]);
      const command = cmdline.split("\0").join(" ").trim();
      if (cwd === dir || cwd.startsWith(`${dir}/`) || command.includes(dir)) {
        found.push({ pid: Number(entry), cwd, command });
      }
    } catch {
      // Ended meanwhile, or not ours to read.
    }
  }
  return found;
}

/** A process that ended while `waitUntilNoProcessesIn` watched it. */
export interface EndedProcess extends ProcessInfo {
  /** How long after the wait began it was last seen gone. */
  endedAfterMs: number;
}

/**
 * Waits until no process runs in `dir` (see processesIn) or `timeoutMs` has passed. Says how long that took,
 * when each process seen ended, and what was still there at the end.
 */
export async function waitUntilNoProcessesIn(
  dir: string,
  timeoutMs: number,
): Promise<{ elapsedMs: number; ended: EndedProcess[]; remaining: ProcessInfo[] }> {
  const startedAt = Date.now();
  const seen = new Map<number, ProcessInfo>();
  const ended: EndedProcess[] = [];
  for (;;) {
    const remaining = await processesIn(dir);
    const elapsedMs = Date.now() - startedAt;
    for (const process of remaining) {
      seen.set(process.pid, process);
    }
    for (const [pid, process] of seen) {
      if (!remaining.some((running) => running.pid === pid)) {
        seen.delete(pid);
        ended.push({ ...process, endedAfterMs: elapsedMs });
      }
    }
    if (remaining.length === 0 || elapsedMs >= timeoutMs) {
      return { elapsedMs, ended, remaining };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** An API request as it reached the simulator, before any fault held it or the simulator answered it. */
export interface Arrival {
  method: string;
  /** The path without its query string. */
  path: string;
  /** Date.now() when it arrived. */
  at: number;
}

interface ArrivalWatcher {
  matches: (arrival: Arrival) => boolean;
  action: ((arrival: Arrival) => void) | undefined;
  resolve: (arrival: Arrival) => void;
}

const REQUEST_START_CHANNEL = "http.server.request.start";

/**
 * The requests reaching a simulator in this process, at the moment they arrive. The simulator records a
 * request only once it answers, but a test that acts while a request is held by a latency fault, or before it
 * is answered at all, needs the moment it arrived: Node's http diagnostics channel announces each request to
 * a server in this process before the server's handler sees it.
 */
export class RequestArrivals {
  readonly arrivals: Arrival[] = [];
  private readonly port: number;
  private readonly watchers = new Set<ArrivalWatcher>();
  private readonly listener = (message: unknown): void => {
    const request = (message as { request?: IncomingMessage }).request;
    if (request?.socket.localPort !== this.port) {
      return;
    }
    const arrival: Arrival = {
      method: request.method ?? "GET",
      path: new URL(request.url ?? "/", "http://simulator.invalid").pathname,
      at: Date.now(),
    };
    this.arrivals.push(arrival);
    // A copy: an action may watch for the next arrival, which must not be this one.
    for (const watcher of [...this.watchers]) {
      if (watcher.matches(arrival)) {
        this.watchers.delete(watcher);
        watcher.action?.(arrival);
        watcher.resolve(arrival);
      }
    }
  };

  /** Watches the server listening on `apiUrl`'s port. */
  constructor(apiUrl: string) {
    this.port = Number(new URL(apiUrl).port);
    diagnosticsChannel.subscribe(REQUEST_START_CHANNEL, this.listener);
  }

  /** How many requests with this method and path have arrived. */
  count(method: string, path: string): number {
    return this.arrivals.filter((arrival) => arrival.method === method && arrival.path === path).length;
  }

  /**
   * Resolves with the next request to arrive that `matches`, after running `action` on it synchronously: before
   * the simulator has read the request, let alone answered it.
   */
  next(matches: (arrival: Arrival) => boolean, action?: (arrival: Arrival) => void): Promise<Arrival> {
    return new Promise((resolve) => this.watchers.add({ matches, action, resolve }));
  }

  close(): void {
    diagnosticsChannel.unsubscribe(REQUEST_START_CHANNEL, this.listener);
    this.watchers.clear();
  }
}

/**
 * A copy of this checkout as a clone of its next commit would hold it: the tracked files and the new ones git
 * does not ignore (no lib/, no .cache/), with node_modules a link to this checkout's, as `npm ci` would make it.
 */
export async function copyOfThisCheckout(prefix: string): Promise<string> {
  const copy = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const listed = await runCommand("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPO_ROOT,
  });
  for (const file of listed.stdout.split("\0").filter((name) => name !== "")) {
    const from = path.join(REPO_ROOT, file);
    // A tracked file deleted in the working tree is not part of the next commit.
    if (existsSync(from)) {
      await fs.mkdir(path.dirname(path.join(copy, file)), { recursive: true });
      // copyFile keeps the mode: scripts/plugin-tarball stays executable.
      await fs.copyFile(from, path.join(copy, file));
    }
  }
  await fs.symlink(path.join(REPO_ROOT, "node_modules"), path.join(copy, "node_modules"), "dir");
  return copy;
}
