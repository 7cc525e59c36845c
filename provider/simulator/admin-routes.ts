/**
 * The control routes under /_simulator: the Simulator handle's test hooks over HTTP, for a simulator in another
 * process (the command-line simulator). No auth, not recorded, not logged.
 */
import type { ServerResponse } from "node:http";
import { parseLossless, stringifyLossless, type LosslessObject } from "../common/json";
import { validateFault, type FaultQueues, type FaultRoute } from "./faults";
import { validateJob, type JobOutcome, type JobStore, type SimulatorClock } from "./jobs";
import { BODY_TOO_LARGE } from "./request-body";
import { jsonAnswer, problemAnswer, writeAnswer, type Answer } from "./responses";
import type { SimulatorState } from "./state";

const ADMIN_PREFIX = "/_simulator";

export function isAdminPath(pathname: string): boolean {
  return pathname === ADMIN_PREFIX || pathname.startsWith(`${ADMIN_PREFIX}/`);
}

/** Serves a control route; input it cannot use is answered 400 with the reason. */
export function serveAdminRequest(
  state: SimulatorState,
  method: string,
  url: URL,
  body: string | undefined,
  response: ServerResponse,
): void {
  let answer: Answer;
  try {
    answer = answerAdminRoute(state, method, url.pathname.slice(ADMIN_PREFIX.length), body);
  } catch (error) {
    answer = problemAnswer(400, error instanceof Error ? error.message : String(error), url.pathname);
  }
  writeAnswer(response, answer);
}

/** `path` is the part after /_simulator; throws a TypeError for a body the route cannot use. */
function answerAdminRoute(
  state: SimulatorState,
  method: string,
  path: string,
  body: string | undefined,
): Answer {
  const instance = `${ADMIN_PREFIX}${path}`;
  const route = `${method} ${path.replace(/^\/jobs\/[^/]+$/, "/jobs/{job_id}")}`;
  const input = (): LosslessObject => readAdminBody(body);
  switch (route) {
    case "GET /requests":
      return jsonAnswer(200, JSON.stringify({ requests: state.requestLog.copies() }));
    case "GET /jobs":
      return listJobsWithCounts(state.store);
    case "POST /jobs": {
      const job = state.store.add(validateJob(input(), "job"));
      return jsonAnswer(200, stringifyLossless({ job }));
    }
    case "GET /jobs/{job_id}":
      return showJob(state.store, decodeURIComponent(path.slice("/jobs/".length)), instance);
    case "POST /advance":
      return advanceClock(state.clock, input());
    case "POST /faults":
      return queueFaults(state.faultQueues, input());
    case "DELETE /faults":
      state.faultQueues.clear();
      return jsonAnswer(200, JSON.stringify({ queued: 0 }));
    case "POST /outcome":
      return setOutcome(state.store, input());
    case "POST /reset":
      state.reset();
      return jsonAnswer(200, JSON.stringify({ reset: true }));
    default:
      return problemAnswer(404, `No simulator control route ${method} ${instance}`, instance);
  }
}

function listJobsWithCounts(store: JobStore): Answer {
  return jsonAnswer(
    200,
    stringifyLossless({
      jobs: store.all().map((job) => ({
        job,
        applied_reschedules: store.appliedReschedules(job.job_id),
      })),
      applied_reschedules: store.appliedReschedules(),
    }),
  );
}

function showJob(store: JobStore, jobId: string, instance: string): Answer {
  const job = store.get(jobId);
  if (job === undefined) {
    return problemAnswer(404, `Job ${jobId} not found`, instance);
  }
  return jsonAnswer(200, stringifyLossless({ job, applied_reschedules: store.appliedReschedules(jobId) }));
}

function advanceClock(clock: SimulatorClock, input: LosslessObject): Answer {
  const { ms } = input;
  if (typeof ms !== "number") {
    throw new TypeError('advance needs {"ms": <milliseconds>}');
  }
  clock.advance(ms);
  return jsonAnswer(200, JSON.stringify({ now: clock.isoNow() }));
}

/** Takes `{"route", "faults": [...]}`, or `{"route", "fault": {...}}` for one. */
function queueFaults(faultQueues: FaultQueues, input: LosslessObject): Answer {
  const { route, faults, fault } = input;
  const list = faults ?? (fault === undefined ? undefined : [fault]);
  if (!Array.isArray(list)) {
    throw new TypeError('faults needs {"route": "...", "faults": [{...}, ...]}');
  }
  faultQueues.add(
    route as FaultRoute,
    list.map((item, index) => validateFault(item, `faults[${index}]`)),
  );
  return jsonAnswer(200, JSON.stringify({ queued: faultQueues.pending() }));
}

function setOutcome(store: JobStore, input: LosslessObject): Answer {
  const { job_id: jobId, ...outcome } = input;
  if (typeof jobId !== "string") {
    throw new TypeError(
      'outcome needs {"job_id": "...", "state": "completed" | "failed", "message"?: "..."}',
    );
  }
  store.setOutcome(jobId, outcome as unknown as JobOutcome);
  return jsonAnswer(200, JSON.stringify({ job_id: jobId, outcome }));
}

function readAdminBody(body: string | undefined): LosslessObject {
  if (body === undefined) {
    throw new TypeError(BODY_TOO_LARGE);
  }
  const parsed = body.trim() === "" ? {} : parseLossless(body);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new TypeError("Request body must be a JSON object");
  }
  return parsed;
}
