/**
 * The benchmark's figures as bench/results.json holds them, and the goals they are measured against; report.ts
 * renders both as bench/results.md.
 */
import type { ProviderTextGrowth, ResourceFootprint } from "./footprint";
import type { PluginStartResults } from "./plugin-start";
import type { Summary } from "./stats";

export const GOALS = {
  providerTextBytes: 2_048,
  previewRatio: 1.1,
  previewRequests: 0,
  upRatio: 1.25,
  /** getJob over node-fetch alone on the same agent: what the client adds to node-fetch. */
  clientOverNodeFetch: 1.1,
  clientConnections: 1,
  pollingRequests: 30,
  /** The YAML program through the plugin over the same JobReruns through the dynamic provider, by count. */
  pluginRatio: { 10: 1.5, 100: 1.2 } as Readonly<Record<number, number>>,
} as const;

export interface Machine {
  cores: number;
  cpu: string;
  memoryGb: number;
  os: string;
  node: string;
  pulumiCli: string;
  pulumiSdk: string;
  /** `pulumi up --parallel`'s default, as the CLI's help states it. */
  parallelDefault: number | undefined;
  date: string;
}

/** One figure measured on both sides, run by run. */
export interface SideBySide {
  jobRerun: { seconds: Summary; requests: Summary; writes: Summary; maxInFlight: Summary };
  floor: { seconds: Summary };
  /** JobRerun seconds over floor seconds, run by run. */
  ratio: Summary;
}

/** A diagnosis side: its time, and JobRerun's over it, run by run. */
export interface Versus {
  seconds: Summary;
  ratio: Summary;
}

/**
 * A comparison that may carry the diagnosis floors: no-op resources with about as many bytes of state as a
 * JobRerun (padded), and with a JobRerun's properties as well (shaped).
 */
export type Compared = SideBySide & {
  count: number;
  paddedFloor: Versus | undefined;
  shapedFloor: Versus | undefined;
};

/** Section 4: the client's own cost (bench/client.ts). */
export interface ClientResults {
  calls: number;
  runs: number;
  /** Calls per side in one turn of a run. */
  sliceCalls: number;
  getJob: Summary;
  raw: Summary;
  /** node-fetch on the same kind of agent: what node-fetch alone costs. */
  nodeFetch: Summary;
  /** The same with an AbortController and a timer per call, as the client's attempt timeout. */
  nodeFetchWithTimeout: Summary;
  /** getJob over node-fetch alone, run by run: the ask. */
  overNodeFetch: Summary;
  /** The same in CPU time of the process (the simulator's included), which another workload moves less. */
  cpuOverNodeFetch: Summary;
  /** getJob over raw http.request, run by run. */
  ratio: Summary;
  nodeFetchRatio: Summary;
  nodeFetchWithTimeoutRatio: Summary;
  connections: { getJob: Summary; raw: Summary };
  /** Set when this section was measured on its own (`--only client`), after the rest of the run. */
  measuredBy: MeasuredBy | undefined;
}

/** How a section measured on its own (`npm run bench -- --only …`) after the rest of the run was taken. */
export interface MeasuredBy {
  command: string;
  date: string;
  loadAverage: Summary | undefined;
}

/** One side of section 6: a command's time and the API requests it made. */
export interface PluginSide {
  seconds: Summary;
  requests: Summary;
  writes: Summary;
}

/** Section 6: a YAML program through the plugin against the same JobReruns through the dynamic provider. */
export interface PluginCompared {
  count: number;
  yaml: PluginSide;
  dynamic: PluginSide;
  /** YAML seconds over dynamic seconds, run by run. */
  ratio: Summary;
}

export interface PluginResults {
  counts: number[];
  runs: number;
  preview: PluginCompared[];
  up: PluginCompared[];
  start: PluginStartResults;
  /** "standalone" when the YAML programs ran the standalone plugin (BENCH_STANDALONE=1); else lib/hosts/plugin/main.js. */
  yamlPlugin?: "standalone" | undefined;
  /** Set when this section was measured on its own (`--only plugin`), after the rest of the run. */
  measuredBy: MeasuredBy | undefined;
}

export interface BenchResults {
  mode: "full" | "quick";
  command: string;
  /** Resource counts for preview and up. */
  counts: number[];
  runs: number;
  machine: Machine;
  totalSeconds: number;
  /** The 1-minute load average, sampled every 10 s through the run: a second workload would show in it. */
  loadAverage: Summary | undefined;
  /** The first `up` of each stack (one run, not a goal): creating N resources. */
  create: { count: number; jobRerun: number; floor: number }[];
  preview: Compared[];
  up: (Compared & { latencyMs: number })[];
  /** `up` again with PULUMI_SKIP_CHECKPOINTS=true on every side: how much of `up` is writing the state. */
  checkpoints: Compared | undefined;
  /** The same, with the simulated latency: how many requests the engine keeps in flight when nothing else waits. */
  checkpointsWithLatency: (Compared & { latencyMs: number }) | undefined;
  /** The padded floor's extra input, in characters. */
  paddingBytes: number | undefined;
  /** Bytes of `pulumi stack export` after the last up, per count. */
  exportBytes: {
    count: number;
    jobRerun: number;
    floor: number;
    paddedFloor: number | undefined;
    shapedFloor: number | undefined;
  }[];
  /** How often the API token appears in every export taken. */
  tokenInState: number;
  footprint: {
    count: number;
    jobRerun: ResourceFootprint | undefined;
    naive: ResourceFootprint | undefined;
    floor: ResourceFootprint | undefined;
    growth: Omit<ProviderTextGrowth, "shimText"> | undefined;
    storedEqualsInProcess: boolean | undefined;
  };
  client: ClientResults | undefined;
  /** Optional, so that a results.json without section 6 still renders. */
  plugin?: PluginResults | undefined;
  polling: PollingResults | undefined;
}

/** Section 5: requests while the provider's wait follows one job, in simulated time. */
export interface PollingResults {
  runs: number;
  pendingSeconds: number;
  runningMinutes: number;
  terminal: { requests: Summary; waitedMinutes: Summary };
  running: { requests: Summary; waitedMinutes: Summary };
}
