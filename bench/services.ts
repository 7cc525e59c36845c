/**
 * What a bench run starts and must stop, whether it ends well or not: the in-process simulator (its clock frozen,
 * seeded with the jobs the programs name), the counting proxy in front of it, the load-average sampler, and the
 * stacks made against them. Any of them left running keeps Node.js alive after the run has failed.
 */
import * as os from "node:os";
import { startSimulator, SEEDED_JOB_IDS, type Simulator } from "../provider/simulator";
import { distinctiveToken } from "../scripts/pulumi-harness";
import { startApiProxy, type ApiProxy } from "./api-proxy";
import { benchJobId } from "./programs";
import { progress } from "./progress";
import { BenchStacks } from "./stacks";
import { summarize, type Summary } from "./stats";
import { CommandTimer } from "./timer";

export interface BenchServices {
  sim: Simulator;
  proxy: ApiProxy;
  /** The API token the stacks are configured with; it must never appear in their state. */
  token: string;
  stacks: BenchStacks;
  timer: CommandTimer;
  /** The 1-minute load average sampled so far; undefined before the first sample. */
  loadAverage(): Summary | undefined;
}

export interface ServiceSettings {
  /** Jobs seeded as benchJobId(0) .. benchJobId(jobs - 1). */
  jobs: number;
  /** How often the load average is sampled, and whether once at the start as well. */
  loadSampleMs: number;
  sampleLoadAtStart: boolean;
}

/** Seeds `count` jobs like the reschedule page's example job, each with a job id of the bench's. */
function seedJobs(sim: Simulator, count: number): void {
  const seedJob = sim.job(SEEDED_JOB_IDS.completed);
  if (seedJob === undefined) {
    throw new Error("the simulator no longer seeds the reschedule page's example job");
  }
  for (let index = 0; index < count; index++) {
    sim.addJob({ ...seedJob, job_id: benchJobId(index) });
  }
}

/** Runs each stop in turn, later-started first; one that fails is reported and does not keep the others. */
async function stopAll(stops: (() => Promise<void> | void)[]): Promise<void> {
  for (const stop of stops.reverse()) {
    try {
      await stop();
    } catch (error) {
      progress(`while stopping: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/**
 * Starts the services, hands them to `use`, and stops them all when `use` settles, also when it (or a later
 * start) throws: the error then propagates once everything is stopped.
 */
export async function withServices<T>(
  settings: ServiceSettings,
  use: (services: BenchServices) => Promise<T>,
): Promise<T> {
  const stops: (() => Promise<void> | void)[] = [];
  try {
    const token = distinctiveToken("bench");
    const sim = await startSimulator({ frozen: true, token });
    stops.push(() => sim.close());
    seedJobs(sim, settings.jobs);
    const proxy = await startApiProxy(sim.url);
    stops.push(() => proxy.close());
    // Another workload on the machine skews every timing: the load average, sampled through the run, shows one.
    const loadAverages: number[] = settings.sampleLoadAtStart ? [os.loadavg()[0] ?? 0] : [];
    const sampler = setInterval(() => loadAverages.push(os.loadavg()[0] ?? 0), settings.loadSampleMs);
    stops.push(() => clearInterval(sampler));
    const stacks = new BenchStacks(proxy.url, token);
    stops.push(() => stacks.disposeAll());
    return await use({
      sim,
      proxy,
      token,
      stacks,
      timer: new CommandTimer(sim, proxy),
      loadAverage: () => (loadAverages.length > 0 ? summarize(loadAverages) : undefined),
    });
  } finally {
    await stopAll(stops);
  }
}
