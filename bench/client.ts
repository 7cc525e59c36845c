/**
 * The client's own cost: 1,000 sequential `getJob` calls against the simulator, beside the same reads done by
 * node-fetch alone on the same kind of keep-alive agent (the ask: at most 1.10 times) and by raw `http.request`.
 * `npm run bench -- --only client` runs this part alone.
 */
import * as http from "node:http";
import fetch from "node-fetch";
import { NarrativeJobsClient } from "../provider/api/client";
import type { ApiProxy } from "./api-proxy";
import { benchJobId } from "./programs";
import type { ClientResults } from "./figures";
import { pairedRatios, summarize } from "./stats";

export const CLIENT_CALLS = 1_000;
/** Cheap, so more than the CLI figures' runs: the client ratio is a fraction of a second per side. */
export const CLIENT_RUNS = 15;
/** Calls per side before anything is timed (JIT, the simulator's own code). */
const WARM_UP_CALLS = 200;
/** Calls per side in one turn of a run. */
const SLICE_CALLS = 100;

/** A GET over a plain keep-alive agent: the least a client can do (send, read the body, parse it). */
function rawGetJob(agent: http.Agent, url: string, token: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { agent, headers: { Authorization: `Bearer ${token}`, Accept: "application/json" } },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () => {
          try {
            resolve(JSON.parse(body));
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end();
  });
}

/** node-fetch as the client uses it (same agent, text, JSON.parse), optionally with its per-attempt timeout. */
async function nodeFetchGetJob(
  agent: http.Agent,
  url: string,
  token: string,
  withTimeout: boolean,
): Promise<unknown> {
  const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
  if (!withTimeout) {
    const response = await fetch(url, { headers, agent, redirect: "manual" });
    return JSON.parse(await response.text());
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 30_000);
  try {
    const response = await fetch(url, {
      headers,
      agent,
      redirect: "manual",
      signal: controller.signal as unknown as NonNullable<Parameters<typeof fetch>[1]>["signal"],
    });
    return JSON.parse(await response.text());
  } finally {
    clearTimeout(timer);
  }
}

type ClientSide = "getJob" | "raw" | "nodeFetch" | "nodeFetchWithTimeout";
const CLIENT_SIDES: readonly ClientSide[] = ["getJob", "raw", "nodeFetch", "nodeFetchWithTimeout"];

/** What one side's calls cost: seconds on the clock, and seconds of this process's CPU (user and system). */
interface ReadCost {
  seconds: number;
  cpuSeconds: number;
}

/** One side's reader for one run: a client or an agent of its own, kept across the run's slices. */
interface Reader {
  read: () => Promise<unknown>;
  close: () => void;
}

function reader(side: ClientSide, apiUrl: string, token: string): Reader {
  const jobId = benchJobId(0);
  if (side === "getJob") {
    const client = new NarrativeJobsClient({ apiUrl, token });
    return { read: () => client.getJob(jobId), close: () => client.close() };
  }
  const url = `${apiUrl}/jobs/${jobId}`;
  // The client's agent options (keep-alive, 30 s idle timeout), for the sides without the client.
  const agent = new http.Agent({ keepAlive: true, timeout: 30_000 });
  return {
    read: () =>
      side === "raw"
        ? rawGetJob(agent, url, token)
        : nodeFetchGetJob(agent, url, token, side === "nodeFetchWithTimeout"),
    close: () => agent.destroy(),
  };
}

/**
 * `calls` sequential reads of one job by every side, each with a new client or agent, in slices of SLICE_CALLS
 * that take turns (the order reversed every other slice): another workload on a shared machine comes and goes
 * within a second, and slices spread it over every side instead of the one that happened to be running. CPU time
 * is the whole process's, the in-process simulator included: it moves less than the clock does when another
 * workload takes the cores.
 */
async function readJobs(
  sides: readonly ClientSide[],
  apiUrl: string,
  token: string,
  calls: number,
): Promise<Record<ClientSide, ReadCost>> {
  const readers = new Map(sides.map((side) => [side, reader(side, apiUrl, token)]));
  const costs = Object.fromEntries(sides.map((side) => [side, { seconds: 0, cpuSeconds: 0 }])) as Record<
    ClientSide,
    ReadCost
  >;
  try {
    for (let done = 0, slice = 0; done < calls; done += SLICE_CALLS, slice++) {
      const count = Math.min(SLICE_CALLS, calls - done);
      for (const side of slice % 2 === 0 ? sides : [...sides].reverse()) {
        const { read } = readers.get(side) as Reader;
        const cpuBefore = process.cpuUsage();
        const startedAt = performance.now();
        for (let call = 0; call < count; call++) {
          await read();
        }
        const cpu = process.cpuUsage(cpuBefore);
        costs[side].seconds += (performance.now() - startedAt) / 1_000;
        costs[side].cpuSeconds += (cpu.user + cpu.system) / 1e6;
      }
    }
    return costs;
  } finally {
    for (const { close } of readers.values()) {
      close();
    }
  }
}

/**
 * CLIENT_RUNS runs of every side against the simulator at `apiUrl`, their slices taking turns; then getJob and
 * raw once more per run through the counting proxy, untimed, for the TCP connections each opens. Every ratio is
 * taken run by run.
 */
export async function measureClient(
  apiUrl: string,
  proxy: ApiProxy,
  token: string,
  progress: (line: string) => void,
): Promise<ClientResults> {
  await readJobs(CLIENT_SIDES, apiUrl, token, WARM_UP_CALLS);
  const costs: Record<ClientSide, ReadCost[]> = {
    getJob: [],
    raw: [],
    nodeFetch: [],
    nodeFetchWithTimeout: [],
  };
  const connections: Record<"getJob" | "raw", number[]> = { getJob: [], raw: [] };
  for (let run = 0; run < CLIENT_RUNS; run++) {
    // Timed straight against the simulator: the proxy would add the same hop to every side.
    const timed = await readJobs(CLIENT_SIDES, apiUrl, token, CLIENT_CALLS);
    for (const side of CLIENT_SIDES) {
      costs[side].push(timed[side]);
    }
    for (const side of ["getJob", "raw"] as const) {
      proxy.resetCounters();
      await readJobs([side], proxy.url, token, CLIENT_CALLS);
      connections[side].push(proxy.connections);
    }
    progress(
      `client run ${run + 1}/${CLIENT_RUNS}: ` +
        CLIENT_SIDES.map((side) => `${side} ${timed[side].seconds.toFixed(3)} s`).join(", "),
    );
  }
  const seconds = (side: ClientSide): number[] => costs[side].map((cost) => cost.seconds);
  const cpuSeconds = (side: ClientSide): number[] => costs[side].map((cost) => cost.cpuSeconds);
  return {
    calls: CLIENT_CALLS,
    runs: CLIENT_RUNS,
    sliceCalls: SLICE_CALLS,
    getJob: summarize(seconds("getJob")),
    raw: summarize(seconds("raw")),
    nodeFetch: summarize(seconds("nodeFetch")),
    nodeFetchWithTimeout: summarize(seconds("nodeFetchWithTimeout")),
    overNodeFetch: pairedRatios(seconds("getJob"), seconds("nodeFetch")),
    cpuOverNodeFetch: pairedRatios(cpuSeconds("getJob"), cpuSeconds("nodeFetch")),
    ratio: pairedRatios(seconds("getJob"), seconds("raw")),
    nodeFetchRatio: pairedRatios(seconds("nodeFetch"), seconds("raw")),
    nodeFetchWithTimeoutRatio: pairedRatios(seconds("nodeFetchWithTimeout"), seconds("raw")),
    connections: { getJob: summarize(connections.getJob), raw: summarize(connections.raw) },
    measuredBy: undefined,
  };
}
