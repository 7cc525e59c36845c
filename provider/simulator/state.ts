import { FaultQueues } from "./faults";
import { JobStore, SimulatorClock, type SimulatorJob } from "./jobs";
import type { SimulatorSettings } from "./options";
import { RequestLog } from "./request-log";

/** What a simulator holds besides its HTTP server: the clock, the jobs, the queued faults, the requests. */
export class SimulatorState {
  readonly clock: SimulatorClock;
  readonly store: JobStore;
  readonly faultQueues = new FaultQueues();
  readonly requestLog: RequestLog;

  constructor(settings: SimulatorSettings, initialJobs: readonly SimulatorJob[]) {
    this.clock = new SimulatorClock(settings.frozen);
    this.store = new JobStore(this.clock, settings.durations, initialJobs);
    this.requestLog = new RequestLog(this.clock, settings.log);
  }

  /** Back to the start: seed jobs, no faults, no requests, clock offset zero. */
  reset(): void {
    this.store.reset();
    this.faultQueues.clear();
    this.requestLog.clear();
    this.clock.reset();
  }
}
