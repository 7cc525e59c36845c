import type { IncomingMessage } from "node:http";

/** Request bodies larger than this are refused with 413; the API's bodies are a few bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Why a body that readBody gave up on is refused. */
export const BODY_TOO_LARGE = `Request body is larger than ${MAX_BODY_BYTES} bytes`;

/** The whole body as text, or undefined when it is larger than MAX_BODY_BYTES (the rest is drained). */
export async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of request) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(buffer);
      }
    }
  } catch {
    // The client went away mid-body; what arrived is recorded, the answer will go nowhere.
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString("utf8");
}
