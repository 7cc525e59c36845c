/**
 * The Narrative Jobs API's routes as the simulator serves them: `GET /jobs`, `GET /jobs/{job_id}` and
 * `POST /jobs/{job_id}/reschedule`, answered from the job store with the API's bodies and refusals.
 */
import { parseLossless, stringifyLossless, type LosslessObject, type LosslessValue } from "../common/json";
import { isJobId, JOB_ORDERS, type JobOrder } from "../api/types";
import { SIMULATOR_DEFAULTS } from "./defaults";
import type { RouteMatch } from "./faults";
import type { JobListQuery, JobStore, SimulatorJob } from "./jobs";
import { jsonAnswer, problemAnswer, type Answer } from "./responses";

/** The API route a path names, before the method is checked. */
export interface ApiRoute {
  shape: "list" | "job" | "reschedule";
  method: "GET" | "POST";
  /** The job id as it appeared in the path, decoded. */
  jobId?: string;
}

export function matchApiRoute(pathname: string): ApiRoute | undefined {
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

/** The fault queues a request to this route takes from. */
export function faultQueueMatch(route: ApiRoute): RouteMatch {
  switch (route.shape) {
    case "list":
      return { template: "GET /jobs" };
    case "job":
      return { template: "GET /jobs/{job_id}", jobId: (route.jobId ?? "").toLowerCase() };
    case "reschedule":
      return { template: "POST /jobs/{job_id}/reschedule", jobId: (route.jobId ?? "").toLowerCase() };
  }
}

/** Serves an authorized API request for real: reads or changes the store and answers as the API does. */
export function serveApiRoute(store: JobStore, route: ApiRoute, url: URL, body: string): Answer {
  const path = url.pathname;
  if (route.shape === "list") {
    return listJobs(store, url.searchParams, path);
  }
  const jobId = route.jobId ?? "";
  // Checked as an unknown value so that the refusal below can still quote the string.
  if (!isJobId(jobId as unknown)) {
    return problemAnswer(400, `job_id must be a UUID, got ${JSON.stringify(jobId.slice(0, 100))}`, path);
  }
  if (route.shape === "job") {
    const job = store.get(jobId);
    return job === undefined
      ? problemAnswer(404, `Job ${jobId} not found`, path)
      : jsonAnswer(200, stringifyLossless(job));
  }
  const force = readForce(body);
  if (typeof force === "string") {
    return problemAnswer(400, force, path);
  }
  const result = store.reschedule(jobId, force);
  if (result === undefined) {
    return problemAnswer(404, `Job ${jobId} not found`, path);
  }
  return {
    ...jsonAnswer(200, stringifyLossless({ outcome: result.outcome, job: result.job })),
    outcome: result.outcome,
  };
}

/** `GET /jobs`: the filters and order of the query, then one page; a parameter it cannot use is a 400. */
function listJobs(store: JobStore, params: URLSearchParams, path: string): Answer {
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
    return problemAnswer(
      400,
      `Query parameter per_page must be an integer from 1 to ${SIMULATOR_DEFAULTS.maxPerPage}`,
      path,
    );
  }
  if (perPage > SIMULATOR_DEFAULTS.maxPerPage) {
    return problemAnswer(
      400,
      `Query parameter per_page must be at most ${SIMULATOR_DEFAULTS.maxPerPage}, got ${perPage}`,
      path,
    );
  }
  const offset = readCount(read("offset"), 0);
  if (offset === undefined) {
    return problemAnswer(400, "Query parameter offset must be an integer >= 0", path);
  }
  return jsonAnswer(200, stringifyLossless(jobsPage(store.list(query), perPage, offset)));
}

/** The page of `GET /jobs` that starts at `offset`. */
function jobsPage(jobs: readonly SimulatorJob[], perPage: number, offset: number): LosslessObject {
  return {
    current_page: Math.floor(offset / perPage) + 1,
    total_pages: Math.ceil(jobs.length / perPage),
    total_records: jobs.length,
    records: jobs.slice(offset, offset + perPage),
  };
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
