/** The JobRerun provider object wired to a simulator on loopback, as the provider-level tests use it. */
import { expect } from "chai";
import { inspect } from "node:util";
import {
  outputsFromState,
  type JobRerunOutputs,
  type ResolvedInputs,
  type StoredOutputs,
} from "../../provider/jobrerun/decisions";
import { JobRerunProvider, type ProviderOptions, type Reporter } from "../../provider/hosts/dynamic/provider";
import {
  SEEDED_JOB_IDS,
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from "../../provider/simulator";

export const TOKEN = "tok-SECRET-7f3a9c";
export const COMPLETED_JOB = SEEDED_JOB_IDS.completed;

export interface Harness {
  sim: Simulator;
  provider: JobRerunProvider;
  /** What the provider reported, as `info: …` and `warn: …`. */
  lines: string[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  config?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  simulator?: SimulatorOptions;
  provider?: Omit<ProviderOptions, "env" | "reporter">;
}

export async function providerHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sim = await startSimulator({ frozen: true, token: TOKEN, ...options.simulator });
  const lines: string[] = [];
  const reporter: Reporter = {
    info: (message) => lines.push(`info: ${message}`),
    warn: (message) => lines.push(`warn: ${message}`),
  };
  const provider = new JobRerunProvider({
    env: options.env ?? {},
    reporter,
    // Real timeouts, but short, and retries that do not wait, so a failing API fails the test quickly.
    clientOptions: { attemptTimeoutMs: 500, totalTimeoutMs: 3_000, baseDelayMs: 1, maxDelayMs: 5 },
    ...options.provider,
  });
  const values: Record<string, string> = {
    "narrative:apiUrl": sim.url,
    "narrative:token": TOKEN,
    ...options.config,
  };
  await provider.configure({ config: { get: (key) => values[key] } });
  return {
    sim,
    provider,
    lines,
    close: async () => {
      provider.dispose();
      await sim.close();
    },
  };
}

export function rerunInputs(overrides: Partial<ResolvedInputs> = {}): ResolvedInputs {
  return {
    jobId: COMPLETED_JOB,
    triggers: { sql: "abc123" },
    force: true,
    runOnCreate: false,
    waitFor: "none",
    onUnrecordedRun: "follow",
    ...overrides,
  };
}

/** Everything an error could leak through: its message, properties, cause chain, and how it prints. */
export function expectNoToken(...things: unknown[]): void {
  for (const thing of things) {
    const text = `${inspect(thing, { depth: 10 })} ${JSON.stringify(thing) ?? ""}`;
    expect(text).not.to.include(TOKEN);
  }
}

/** Stored outputs (what the provider returns and the engine keeps), read as the flat figures the tests check. */
export function figures(stored: StoredOutputs | undefined): JobRerunOutputs {
  expect(stored, "the provider returned outputs").not.to.equal(undefined);
  return outputsFromState(stored ?? {}) as JobRerunOutputs;
}

/**
 * A reschedule of the job that this stack's provider did not send: another stack's, a person's, or one from a
 * deployment that was killed before it recorded it.
 */
export async function rescheduleElsewhere(sim: Simulator, jobId = COMPLETED_JOB): Promise<void> {
  const response = await fetch(`${sim.url}/jobs/${jobId}/reschedule`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
    body: '{"force":true}',
  });
  expect(response.status).to.equal(200);
}
