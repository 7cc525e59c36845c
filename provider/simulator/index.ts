/**
 * A local stand-in for the Narrative Jobs API, served over real HTTP on loopback, for testing programs that
 * talk to the API (this package's own tests, and users' programs): `GET /jobs`, `GET /jobs/{job_id}` and
 * `POST /jobs/{job_id}/reschedule` with bearer auth, a job clock that moves rescheduled jobs through
 * pending → running → completed/failed, injectable faults, and a log of every request it received.
 *
 * ```ts
 * import { startSimulator } from "pulumi-narrative-jobs/simulator";
 * const simulator = await startSimulator({ frozen: true });
 * // ... point a client at simulator.url with simulator.token ...
 * await simulator.close();
 * ```
 *
 * Uses Node built-ins only. Public surface: this file.
 */
export { startSimulator } from "./server";
export { SEEDED_JOB_IDS, SEED_JOBS_JSON } from "./seed";
export { SIMULATOR_DEFAULTS } from "./defaults";
export type { Fault, FaultRoute } from "./faults";
export type { JobOutcome, SimulatorJob } from "./jobs";
export type { LosslessValue, LosslessObject } from "../common/json";

export type { RecordedRequest, Simulator, SimulatorOptions } from "./types";
