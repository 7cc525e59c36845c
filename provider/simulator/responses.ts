/**
 * What the simulator answers and how it is written: JSON bodies, the API's two error body shapes, and
 * answers grown by padding for clients that must stop reading at a cap.
 */
import { randomUUID } from "node:crypto";
import { STATUS_CODES, type ServerResponse } from "node:http";

/** An answer not yet written. */
export interface Answer {
  status: number;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** For a reschedule served normally: what it did, for the request log. */
  outcome?: "rescheduled" | "skipped_terminal";
}

/** How much padding a grown or endless answer writes at a time. */
const PADDING_CHUNK_BYTES = 64 * 1024;

export function jsonAnswer(status: number, body: string): Answer {
  return { status, body, contentType: "application/json" };
}

/** The status's reason phrase ("Service Unavailable"), as error bodies and gateway pages title themselves. */
export function statusTitle(status: number): string {
  return STATUS_CODES[status] ?? "Error";
}

/** The API's structured error body: `{type, title, status, detail, instance, logId}`. */
export function problemAnswer(status: number, detail: string, instance: string): Answer {
  const body = {
    type: statusTitle(status)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "_"),
    title: statusTitle(status),
    status,
    detail,
    instance,
    logId: randomUUID(),
  };
  return jsonAnswer(status, JSON.stringify(body));
}

/** The API's older error body: `{error, error_description}`. */
export function olderErrorAnswer(
  status: number,
  error: string,
  description: string,
  headers: Record<string, string>,
): Answer {
  return { ...jsonAnswer(status, JSON.stringify({ error, error_description: description })), headers };
}

/** Writes the answer whole, with a Content-Length; a Content-Type only when there is a body or a type. */
export function writeAnswer(response: ServerResponse, answer: Answer): void {
  const headers: Record<string, string | number> = { ...answer.headers };
  if (answer.body !== "" || answer.contentType !== undefined) {
    headers["Content-Type"] = answer.contentType ?? "application/json";
  }
  headers["Content-Length"] = Buffer.byteLength(answer.body);
  response.writeHead(answer.status, headers);
  response.end(answer.body);
}

/**
 * Writes the answer with its JSON object grown by a `padding` member of "x"s to `bytes` in all, or without end
 * when `bytes` is Infinity (then without Content-Length). Written chunk by chunk as the client reads, so the
 * size costs the simulator no memory; stops when the client goes away or `isClosing` says the simulator is.
 */
export function writePaddedAnswer(
  response: ServerResponse,
  answer: Answer,
  bytes: number,
  isClosing: () => boolean,
): void {
  const { head, tail } = paddingFrame(answer.body);
  const fixed = Buffer.byteLength(head) + Buffer.byteLength(tail);
  const padding = Math.max(0, bytes - fixed);
  const headers: Record<string, string | number> = {
    ...answer.headers,
    "Content-Type": answer.contentType ?? "application/json",
  };
  if (Number.isFinite(padding)) {
    headers["Content-Length"] = fixed + padding;
  }
  response.writeHead(answer.status, headers);
  const open = (): boolean => !response.destroyed && !isClosing();
  writePadding(response, head, padding, tail, open).catch(() => response.destroy());
}

/** Answers 500 for a request whose handling threw, or cuts the connection when the answer has begun. */
export function writeUnexpectedFailure(response: ServerResponse, error: unknown): void {
  if (response.headersSent || response.destroyed) {
    response.destroy();
    return;
  }
  const detail = `Simulator error: ${error instanceof Error ? error.message : String(error)}`;
  const answer = problemAnswer(500, detail, "");
  response.writeHead(500, { "Content-Type": "application/json" });
  response.end(answer.body);
}

/** What a padded answer sends around its padding: the JSON object opened up to a `padding` string, and its end. */
function paddingFrame(body: string): { head: string; tail: string } {
  const object = body.trim();
  if (!object.startsWith("{") || !object.endsWith("}")) {
    throw new Error("only a JSON object answer can be padded");
  }
  const open = object.slice(0, -1);
  return { head: `${open}${open.trim() === "{" ? "" : ","}"padding":"`, tail: '"}' };
}

async function writePadding(
  response: ServerResponse,
  head: string,
  padding: number,
  tail: string,
  open: () => boolean,
): Promise<void> {
  const chunk = Buffer.alloc(PADDING_CHUNK_BYTES, "x");
  response.write(head);
  let left = padding;
  while (left > 0 && open()) {
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    left -= piece.length;
    if (!response.write(piece)) {
      await drainedOrClosed(response);
    }
  }
  if (open()) {
    response.end(tail);
  }
}

function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off("drain", done);
      response.off("close", done);
      resolve();
    };
    response.on("drain", done);
    response.on("close", done);
  });
}
