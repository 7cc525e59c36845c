/**
 * The simulator's HTTP server: it listens, reads each request's body, hands the request to the control routes
 * or the API's, and on close stops listening, wakes requests waiting out a fault and cuts open connections.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isAdminPath, serveAdminRequest } from "./admin-routes";
import { ApiRequestHandler } from "./api-requests";
import type { Fault, FaultRoute } from "./faults";
import type { JobOutcome, SimulatorJob } from "./jobs";
import { loadInitialJobs, resolveSettings, type SimulatorSettings } from "./options";
import { readBody } from "./request-body";
import { writeUnexpectedFailure } from "./responses";
import { SimulatorState } from "./state";
import type { RecordedRequest, Simulator, SimulatorOptions } from "./types";

/**
 * Starts a simulator listening on `options.host`:`options.port` (default 127.0.0.1 and a free port). Resolves
 * once it accepts connections; rejects on bad options, an unreadable seed file or a port in use.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const settings = resolveSettings(options);
  const initialJobs = await loadInitialJobs(options);
  const simulator = new LocalSimulator(settings, initialJobs);
  await simulator.listen();
  return simulator;
}

/** A timer a request waits on, and how to end its wait early when the simulator closes. */
interface Sleeper {
  timer: NodeJS.Timeout;
  wake: () => void;
}

class LocalSimulator implements Simulator {
  private readonly server: Server;
  private readonly state: SimulatorState;
  private readonly apiRequests: ApiRequestHandler;
  private readonly sleepers = new Set<Sleeper>();
  private closing: Promise<void> | undefined;
  private address = "";

  constructor(
    private readonly settings: SimulatorSettings,
    initialJobs: readonly SimulatorJob[],
  ) {
    this.state = new SimulatorState(settings, initialJobs);
    this.apiRequests = new ApiRequestHandler(this.state, settings.token, {
      sleep: (ms) => this.sleep(ms),
      isClosing: () => this.closing !== undefined,
    });
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => writeUnexpectedFailure(response, error));
    });
  }

  get url(): string {
    return this.address;
  }

  get token(): string {
    return this.settings.token;
  }

  get requests(): RecordedRequest[] {
    return this.state.requestLog.copies();
  }

  writes(): RecordedRequest[] {
    return this.requests.filter((request) => request.method !== "GET");
  }

  job(jobId: string): SimulatorJob | undefined {
    return this.state.store.get(jobId);
  }

  jobs(): SimulatorJob[] {
    return this.state.store.all();
  }

  appliedReschedules(jobId?: string): number {
    return this.state.store.appliedReschedules(jobId);
  }

  advance(ms: number): void {
    this.state.clock.advance(ms);
  }

  now(): number {
    return this.state.clock.now();
  }

  setJobOutcome(jobId: string, outcome: JobOutcome): void {
    this.state.store.setOutcome(jobId, outcome);
  }

  addJob(job: SimulatorJob): SimulatorJob {
    return this.state.store.add(job);
  }

  fault(route: FaultRoute, ...faults: Fault[]): void {
    this.state.faultQueues.add(route, faults);
  }

  clearFaults(): void {
    this.state.faultQueues.clear();
  }

  reset(): void {
    this.state.reset();
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.settings.port, this.settings.host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const { address, port } = this.server.address() as AddressInfo;
    this.address = `http://${address.includes(":") ? `[${address}]` : address}:${port}`;
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const sleeper of this.sleepers) {
        clearTimeout(sleeper.timer);
        sleeper.wake();
      }
      this.sleepers.clear();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://simulator.invalid");
    const body = await readBody(request);
    if (this.closing !== undefined) {
      request.socket.destroy();
      return;
    }
    if (isAdminPath(url.pathname)) {
      serveAdminRequest(this.state, request.method ?? "GET", url, body, response);
      return;
    }
    await this.apiRequests.serve(request, response, url, body);
  }

  /** Waits real time; resolves false when the simulator closed meanwhile (the connection is gone). */
  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve(this.closing === undefined);
        }, ms),
        wake: () => resolve(false),
      };
      this.sleepers.add(sleeper);
    });
  }
}
