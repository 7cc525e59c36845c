import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseLossless, stringifyLossless, type LosslessObject, type LosslessValue } from "../json";
import { isJobId, type JobOrder } from "../types";
import {
  answersWithoutApplying,
  describeFault,
  type Fault,
  type FaultRoute,
  type RouteMatch,
} from "./faults";
import { SIMULATOR_DEFAULTS } from "./defaults";
import type { RecordedRequest, Simulator, SimulatorOptions } from "./types";
import type { JobListQuery, JobOutcome, SimulatorJob } from "./jobs";
import { BODY_TOO_LARGE, readBody } from "./request-body";
import {
  jsonAnswer,
  olderErrorAnswer,
  problemAnswer,
  statusTitle,
  writeAnswer,
  writePaddedAnswer,
  writeUnexpectedFailure,
  type Answer,
} from "./responses";
import type { PendingRequest } from "./request-log";
import { SimulatorState } from "./state";
import { isAdminPath, serveAdminRequest } from "./admin-routes";
import { loadInitialJobs, resolveSettings, type SimulatorSettings } from "./options";

const JOB_ORDERS: readonly JobOrder[] = [
  "created_at_asc",
  "created_at_desc",
  "updated_at_asc",
  "updated_at_desc",
];

/** The API route a path names, before the method is checked. */
interface ApiRoute {
  shape: "list" | "job" | "reschedule";
  method: "GET" | "POST";
  /** The job id as it appeared in the path, decoded. */
  jobId?: string;
}

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

class LocalSimulator implements Simulator {
  private readonly server: Server;
  private readonly state: SimulatorState;
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private readonly tokenDigest: Buffer;
  private closing: Promise<void> | undefined;
  private address = "";

  constructor(
    private readonly settings: SimulatorSettings,
    initialJobs: readonly SimulatorJob[],
  ) {
    this.state = new SimulatorState(settings, initialJobs);
    this.tokenDigest = digest(settings.token);
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
    const method = request.method ?? "GET";
    const authorization = this.checkAuthorization(request.headers.authorization);
    const pending: PendingRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: body ?? "",
      authorized: authorization === undefined,
    };
    const finish = (answer: Answer): void => this.finish(request, response, url, pending, answer);

    if (authorization !== undefined) {
      finish(olderErrorAnswer(401, "unauthorized", authorization, { "WWW-Authenticate": "Bearer" }));
      return;
    }
    const route = matchApiRoute(url.pathname);
    if (route === undefined) {
      finish(problemAnswer(404, `No route for ${method} ${url.pathname}`, url.pathname));
      return;
    }
    if (method !== route.method) {
      finish({
        ...problemAnswer(
          405,
          `${method} is not allowed on ${url.pathname}; use ${route.method}`,
          url.pathname,
        ),
        headers: { Allow: route.method },
      });
      return;
    }
    if (body === undefined) {
      finish(problemAnswer(413, BODY_TOO_LARGE, url.pathname));
      return;
    }

    const fault = this.state.faultQueues.take(faultMatch(route));
    if (fault === undefined) {
      finish(this.apply(route, url, body));
      return;
    }
    pending.fault = describeFault(fault);
    if (fault.latencyMs !== undefined && !(await this.sleep(fault.latencyMs))) {
      return;
    }
    if (fault.drop === "before-apply") {
      this.drop(request, pending);
      return;
    }
    const retryAfter: Record<string, string> =
      fault.retryAfter === undefined ? {} : { "Retry-After": fault.retryAfter };
    if (answersWithoutApplying(fault)) {
      const answer = faultAnswer(fault, url.pathname);
      finish({ ...answer, headers: { ...answer.headers, ...retryAfter } });
      return;
    }
    const answer = this.apply(route, url, body);
    if (fault.drop === "after-apply") {
      this.drop(request, pending);
      return;
    }
    if (fault.slowAfterApplyMs !== undefined && !(await this.sleep(fault.slowAfterApplyMs))) {
      return;
    }
    const grownTo = fault.endless === true ? Infinity : fault.bodyBytes;
    if (grownTo !== undefined) {
      const grown = { ...answer, headers: { ...answer.headers, ...retryAfter } };
      this.finishPadded(request, response, url, pending, grown, grownTo);
      return;
    }
    const cutBody =
      fault.truncate === true ? answer.body.slice(0, Math.floor(answer.body.length / 2)) : answer.body;
    finish({ ...answer, body: cutBody, headers: { ...answer.headers, ...retryAfter } });
  }

  /** Serves an authorized API request for real. */
  private apply(route: ApiRoute, url: URL, body: string): Answer {
    const path = url.pathname;
    if (route.shape === "list") {
      return this.listJobs(url.searchParams, path);
    }
    const jobId = route.jobId ?? "";
    // Checked as an unknown value so that the refusal below can still quote the string.
    if (!isJobId(jobId as unknown)) {
      return problemAnswer(400, `job_id must be a UUID, got ${JSON.stringify(jobId.slice(0, 100))}`, path);
    }
    if (route.shape === "job") {
      const job = this.state.store.get(jobId);
      return job === undefined
        ? problemAnswer(404, `Job ${jobId} not found`, path)
        : jsonAnswer(200, stringifyLossless(job));
    }
    const force = readForce(body);
    if (typeof force === "string") {
      return problemAnswer(400, force, path);
    }
    const result = this.state.store.reschedule(jobId, force);
    if (result === undefined) {
      return problemAnswer(404, `Job ${jobId} not found`, path);
    }
    return {
      ...jsonAnswer(200, stringifyLossless({ outcome: result.outcome, job: result.job })),
      outcome: result.outcome,
    };
  }

  private listJobs(params: URLSearchParams, path: string): Answer {
    const read = (name: string): string | undefined => params.getAll(name).at(-1);
    const query: JobListQuery = { order_by: "created_at_desc" };
    const dataPlaneId = read("data_plane_id");
    if (dataPlaneId !== undefined) {
      if (!isJobId(dataPlaneId)) {
        return problemAnswer(400, "Query parameter data_plane_id must be a UUID", path);
      }
      query.data_plane_id = dataPlaneId;
    }
    const datasetId = read("dataset_id");
    if (datasetId !== undefined) {
      if (!/^-?\d{1,30}$/.test(datasetId)) {
        return problemAnswer(400, "Query parameter dataset_id must be an integer", path);
      }
      query.dataset_id = BigInt(datasetId).toString();
    }
    for (const name of ["state", "type"] as const) {
      const value = read(name);
      if (value !== undefined) {
        if (value === "") {
          return problemAnswer(400, `Query parameter ${name} must not be empty`, path);
        }
        query[name] = value;
      }
    }
    const orderBy = read("order_by");
    if (orderBy !== undefined) {
      if (!(JOB_ORDERS as readonly string[]).includes(orderBy)) {
        return problemAnswer(400, `Query parameter order_by must be one of ${JOB_ORDERS.join(", ")}`, path);
      }
      query.order_by = orderBy as JobOrder;
    }
    const perPage = readCount(read("per_page"), SIMULATOR_DEFAULTS.perPage);
    if (perPage === undefined || perPage < 1) {
      return problemAnswer(400, "Query parameter per_page must be an integer from 1 to 500", path);
    }
    if (perPage > SIMULATOR_DEFAULTS.maxPerPage) {
      return problemAnswer(400, `Query parameter per_page must be at most 500, got ${perPage}`, path);
    }
    const offset = readCount(read("offset"), 0);
    if (offset === undefined) {
      return problemAnswer(400, "Query parameter offset must be an integer >= 0", path);
    }
    const jobs = this.state.store.list(query);
    const page: LosslessObject = {
      current_page: Math.floor(offset / perPage) + 1,
      total_pages: Math.ceil(jobs.length / perPage),
      total_records: jobs.length,
      records: jobs.slice(offset, offset + perPage),
    };
    return jsonAnswer(200, stringifyLossless(page));
  }

  /** Undefined when the token is right; otherwise the error_description to send (never naming the token). */
  private checkAuthorization(header: string | undefined): string | undefined {
    if (header === undefined || header.trim() === "") {
      return "Missing Authorization header: send Authorization: Bearer <token>";
    }
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (match?.[1] === undefined) {
      return "Authorization header must have the form: Bearer <token>";
    }
    return timingSafeEqual(digest(match[1]), this.tokenDigest)
      ? undefined
      : "The API token is invalid or expired";
  }

  private finish(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    pending: PendingRequest,
    answer: Answer,
  ): void {
    // Recorded before it is written, so that a client that has its answer finds the record.
    this.state.requestLog.recordAnswer(url, pending, answer);
    if (request.socket.destroyed) {
      return;
    }
    writeAnswer(response, answer);
  }

  /**
   * Answers like `finish`, with the body's JSON object grown by a `padding` member of "x"s to `bytes` in all,
   * or without end when `bytes` is Infinity (then without Content-Length). Written chunk by chunk as the
   * client reads, so the size costs the simulator no memory.
   */
  private finishPadded(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    pending: PendingRequest,
    answer: Answer,
    bytes: number,
  ): void {
    // Recorded before it is written, so that a client that has its answer finds the record.
    this.state.requestLog.recordAnswer(url, pending, answer);
    if (request.socket.destroyed) {
      return;
    }
    writePaddedAnswer(response, answer, bytes, () => this.closing !== undefined);
  }

  private drop(request: IncomingMessage, pending: PendingRequest): void {
    this.state.requestLog.recordDrop(pending);
    request.socket.destroy();
  }

  /** Waits real time; resolves false when the simulator closed meanwhile (the connection is gone). */
  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const sleeper = {
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

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

function matchApiRoute(pathname: string): ApiRoute | undefined {
  const segments = pathname.split("/").slice(1);
  if (segments[0] !== "jobs") {
    return undefined;
  }
  if (segments.length === 1) {
    return { shape: "list", method: "GET" };
  }
  const rawId = segments[1] ?? "";
  let jobId: string;
  try {
    jobId = decodeURIComponent(rawId);
  } catch {
    jobId = rawId;
  }
  if (segments.length === 2) {
    return { shape: "job", method: "GET", jobId };
  }
  if (segments.length === 3 && segments[2] === "reschedule") {
    return { shape: "reschedule", method: "POST", jobId };
  }
  return undefined;
}

function faultMatch(route: ApiRoute): RouteMatch {
  switch (route.shape) {
    case "list":
      return { template: "GET /jobs" };
    case "job":
      return { template: "GET /jobs/{job_id}", jobId: (route.jobId ?? "").toLowerCase() };
    case "reschedule":
      return { template: "POST /jobs/{job_id}/reschedule", jobId: (route.jobId ?? "").toLowerCase() };
  }
}

/** `force` from a reschedule body, or the 400 detail explaining why the body is refused. */
function readForce(body: string): boolean | string {
  if (body.trim() === "") {
    return false;
  }
  let parsed: LosslessValue;
  try {
    parsed = parseLossless(body);
  } catch (error) {
    return `Request body is not valid JSON: ${(error as Error).message}`;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return 'Request body must be a JSON object such as {"force": true}';
  }
  const force = parsed.force;
  if (force !== undefined && typeof force !== "boolean") {
    return "force must be a boolean";
  }
  return force ?? false;
}

function readCount(text: string | undefined, fallback: number): number | undefined {
  if (text === undefined) {
    return fallback;
  }
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

function faultAnswer(fault: Fault, path: string): Answer {
  if (fault.html === true) {
    const status = fault.status ?? 502;
    const heading = `${status} ${statusTitle(status)}`;
    return {
      status,
      body:
        fault.body ??
        `<html>\r\n<head><title>${heading}</title></head>\r\n<body>\r\n<center><h1>${heading}</h1></center>\r\n` +
          `<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
      contentType: fault.contentType ?? "text/html",
    };
  }
  const status = fault.status ?? 200;
  if (fault.body !== undefined) {
    const looksLikeJson = /^\s*[[{]/.test(fault.body);
    const answer: Answer = { status, body: fault.body };
    const contentType =
      fault.contentType ??
      (looksLikeJson ? "application/json" : fault.body === "" ? undefined : "text/plain; charset=utf-8");
    if (contentType !== undefined) {
      answer.contentType = contentType;
    }
    return answer;
  }
  if (status === 204 || status === 304) {
    return { status, body: "" };
  }
  if (status === 401) {
    return olderErrorAnswer(401, "unauthorized", "The API token is invalid or expired", {
      "WWW-Authenticate": "Bearer",
    });
  }
  return problemAnswer(status, `${statusTitle(status)} (fault injected by the simulator)`, path);
}
