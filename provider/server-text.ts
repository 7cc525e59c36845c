/**
 * What a message may show of the text a server sent: an error body's detail and logId, or the first characters
 * of an answer that is not what was asked for. The text is untrusted (a gateway, a proxy or a hostile server may
 * have written it, and may echo the Authorization header), so it is redacted before it is cut to length.
 */
import { redact } from "./errors";
import { tryParseJson } from "./json";

/** Longest server text quoted in a message. */
export const DETAIL_MAX_CHARS = 200;

/** What an error body says, whichever of the API's shapes it has. */
export interface ErrorBodySummary {
  detail?: string;
  logId?: string;
}

/**
 * Reads an error body: the structured `{type, title, status, detail, instance, logId}` (detail, else title),
 * the older `{error, error_description}` (error_description, else error), or anything else (HTML from a gateway,
 * plain text) as its first characters with tags stripped and whitespace collapsed. An empty body says nothing.
 */
export function summarizeErrorBody(body: string | undefined, secret: string | undefined): ErrorBodySummary {
  if (body === undefined) {
    return {};
  }
  const text = redact(body, secret);
  if (text.trim() === "") {
    return {};
  }
  const summary: ErrorBodySummary = {};
  const parsed = tryParseJson(text);
  if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
    const fields = parsed as Record<string, unknown>;
    const detail =
      nonEmptyString(fields["detail"]) ??
      nonEmptyString(fields["title"]) ??
      nonEmptyString(fields["error_description"]) ??
      nonEmptyString(fields["error"]) ??
      nonEmptyString(fields["message"]);
    const logId = fields["logId"] ?? fields["log_id"];
    if (typeof logId === "string" || typeof logId === "number") {
      summary.logId = shorten(String(logId));
    }
    summary.detail = shorten(detail ?? text);
    return summary;
  }
  const plain = shorten(stripMarkup(text));
  if (plain !== "") {
    summary.detail = plain;
  }
  return summary;
}

/** The first characters of a body, for a message about a body that is not what was expected. */
export function bodyPreview(body: string | undefined, secret: string | undefined): string {
  if (body === undefined || body.trim() === "") {
    return "(empty body)";
  }
  return JSON.stringify(shorten(redact(body, secret)));
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

function stripMarkup(html: string): string {
  return html
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&nbsp;/gi, " ")
    .replace(/&lt;/gi, "<")
    .replace(/&gt;/gi, ">")
    .replace(/&quot;/gi, '"')
    .replace(/&#39;/gi, "'")
    .replace(/&amp;/gi, "&");
}

function shorten(text: string): string {
  const collapsed = text.replace(/\s+/g, " ").trim();
  return collapsed.length <= DETAIL_MAX_CHARS ? collapsed : `${collapsed.slice(0, DETAIL_MAX_CHARS)}…`;
}
