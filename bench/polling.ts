/**
 * Section 5: how many requests the provider's wait makes while it follows a job, on the simulator's frozen clock,
 * which the wait's sleep advances instead of waiting.
 */
import { NarrativeJobsClient } from "../provider/api/client";
import { DEFAULT_WAIT_TIMEOUT_MS, type WaitFor } from "../provider/jobrerun/inputs";
import { startSimulator, SEEDED_JOB_IDS, type Simulator } from "../provider/simulator";
import { waitForJob } from "../provider/jobrerun/wait";
import type { PollingResults } from "./figures";
import { summarize } from "./stats";

const POLLING_RUNS = 25;
/** How long the polled job runs, in simulated time. */
const POLLED_JOB_RUNNING_MS = 10 * 60_000;
const POLLED_JOB_PENDING_MS = 2_000;

/** POLLING_RUNS reschedules of one job, each followed until the job is `waitFor`. */
async function follow(
  sim: Simulator,
  client: NarrativeJobsClient,
  waitFor: Exclude<WaitFor, "none">,
): Promise<PollingResults["terminal"]> {
  const jobId = SEEDED_JOB_IDS.completed;
  const requests: number[] = [];
  const waited: number[] = [];
  for (let run = 0; run < POLLING_RUNS; run++) {
    const rescheduled = await client.reschedule(jobId, { force: true });
    const before = sim.requests.length;
    const startedAt = sim.now();
    const result = await waitForJob(rescheduled, waitFor, DEFAULT_WAIT_TIMEOUT_MS, {
      getJob: (id) => client.getJob(id),
      report: () => undefined,
      sleep: async (ms) => sim.advance(ms),
      now: () => sim.now(),
      random: Math.random,
    });
    if (result.end !== "reached") {
      throw new Error(`waiting for job ${jobId} to be ${waitFor} ended ${result.end}`);
    }
    requests.push(sim.requests.length - before);
    waited.push((sim.now() - startedAt) / 60_000);
    // Let the run finish before the next reschedule, so every run follows a whole run of the job.
    sim.advance(POLLED_JOB_PENDING_MS + POLLED_JOB_RUNNING_MS);
  }
  return { requests: summarize(requests), waitedMinutes: summarize(waited) };
}

/**
 * The provider's wait (waitForJob with its default poll options and real jitter) following a job that runs 10
 * simulated minutes, against a simulator of its own.
 */
export async function measurePolling(token: string): Promise<PollingResults> {
  const sim = await startSimulator({
    frozen: true,
    token,
    durations: { pendingMs: POLLED_JOB_PENDING_MS, runningMs: POLLED_JOB_RUNNING_MS },
  });
  try {
    const client = new NarrativeJobsClient({ apiUrl: sim.url, token });
    try {
      return {
        runs: POLLING_RUNS,
        pendingSeconds: POLLED_JOB_PENDING_MS / 1_000,
        runningMinutes: POLLED_JOB_RUNNING_MS / 60_000,
        terminal: await follow(sim, client, "terminal"),
        running: await follow(sim, client, "running"),
      };
    } finally {
      client.close();
    }
  } finally {
    await sim.close();
  }
}
