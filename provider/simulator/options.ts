import { readFile } from "node:fs/promises";
import { parseLossless, type LosslessValue } from "../common/json";
import { SIMULATOR_DEFAULTS } from "./defaults";
import { validateJob, type RunDurations, type SimulatorJob } from "./jobs";
import { SEED_JOBS_JSON } from "./seed";
import type { SimulatorOptions } from "./types";

/** SimulatorOptions checked, with every default filled in. */
export interface SimulatorSettings {
  host: string;
  port: number;
  token: string;
  frozen: boolean;
  durations: RunDurations;
  log: ((line: string) => void) | undefined;
}

/** Checks the options (naming the one that is wrong) and fills in the defaults. */
export function resolveSettings(options: SimulatorOptions): SimulatorSettings {
  if (options === null || typeof options !== "object") {
    throw new TypeError("startSimulator: options must be an object");
  }
  const host = options.host ?? SIMULATOR_DEFAULTS.host;
  if (typeof host !== "string" || host === "") {
    throw new TypeError("startSimulator: options.host must be a non-empty string");
  }
  const port = options.port ?? SIMULATOR_DEFAULTS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError(
      `startSimulator: options.port must be an integer from 0 to 65535, got ${String(port)}`,
    );
  }
  const token = options.token ?? SIMULATOR_DEFAULTS.token;
  if (typeof token !== "string" || !/^\S+$/.test(token)) {
    // The value is not echoed: it is a secret even when it is wrong.
    throw new TypeError("startSimulator: options.token must be a non-empty string without whitespace");
  }
  const durations: RunDurations = {
    pendingMs: options.durations?.pendingMs ?? SIMULATOR_DEFAULTS.durations.pendingMs,
    runningMs: options.durations?.runningMs ?? SIMULATOR_DEFAULTS.durations.runningMs,
  };
  for (const [name, ms] of Object.entries(durations)) {
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
      throw new TypeError(`startSimulator: options.durations.${name} must be a number of milliseconds >= 0`);
    }
  }
  if (options.log !== undefined && typeof options.log !== "function") {
    throw new TypeError("startSimulator: options.log must be a function");
  }
  return { host, port, token, frozen: options.frozen === true, durations, log: options.log };
}

/** The jobs to start with: the seed file's then `options.jobs`, or the built-in seed when neither is given. */
export async function loadInitialJobs(options: SimulatorOptions): Promise<SimulatorJob[]> {
  if (options.jobs === undefined && options.seedFile === undefined) {
    return jobsFromSeedText(SEED_JOBS_JSON, "the built-in seed");
  }
  const jobs: SimulatorJob[] = [];
  if (options.seedFile !== undefined) {
    let text: string;
    try {
      text = await readFile(options.seedFile, "utf8");
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new Error(`startSimulator: cannot read options.seedFile ${options.seedFile} (${reason})`);
    }
    jobs.push(...jobsFromSeedText(text, options.seedFile));
  }
  if (options.jobs !== undefined) {
    if (!Array.isArray(options.jobs)) {
      throw new TypeError("startSimulator: options.jobs must be an array of jobs");
    }
    options.jobs.forEach((job, index) => jobs.push(validateJob(job, `options.jobs[${index}]`)));
  }
  return jobs;
}

/**
 * Jobs from seed text: an array of jobs, a `GET /jobs` page (`records`), `{jobs: [...]}`, a reschedule
 * response (`{job}`) or one job.
 */
export function jobsFromSeedText(text: string, source: string): SimulatorJob[] {
  let parsed: LosslessValue;
  try {
    parsed = parseLossless(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new SyntaxError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  let items: LosslessValue[];
  if (Array.isArray(parsed)) {
    items = parsed;
  } else if (parsed !== null && typeof parsed === "object") {
    const list = parsed.records ?? parsed.jobs;
    if (Array.isArray(list)) {
      items = list;
    } else if (parsed.job !== undefined && parsed.job_id === undefined) {
      items = [parsed.job];
    } else {
      items = [parsed];
    }
  } else {
    throw new TypeError(`${source} must hold a job, an array of jobs, or an object with "records" or "jobs"`);
  }
  return items.map((item, index) => validateJob(item, `${source}[${index}]`));
}
