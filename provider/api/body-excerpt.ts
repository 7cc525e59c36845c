/**
 * What a message may show of the text a server sent: an error body's detail and logId, or the first characters
 * of an answer that is not what was asked for. The text is untrusted (a gateway, a proxy or a hostile server may
 * have written it, and may echo the Authorization header), so it is redacted, decoded for reading (a JSON
 * string's escapes, HTML's markup and character references), redacted again, and only then cut to length.
 */
import { tryParseJson } from "../common/json";
import { decodeHtmlReferences, redact } from "../common/redact";

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
      summary.logId = shown(String(logId), secret);
    }
    summary.detail = shown(detail ?? text, secret);
    return summary;
  }
  const plain = shown(stripMarkup(text), secret);
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

/**
 * A redirect's Location as a message may show it: redacted, and without a user name or password, which are
 * where a credential would sit.
 */
export function shownLocation(location: string, secret: string | undefined): string {
  let shown = location;
  try {
    const url = new URL(location);
    if (url.username !== "" || url.password !== "") {
      url.username = "";
      url.password = "";
      shown = url.href.replace("//", "//…@");
    }
  } catch {
    // Not an absolute URL as a browser reads it: whatever sits before an "@" in its authority still goes.
    shown = location.replace(/^([a-z][a-z0-9+.-]*:)?\/\/[^/?#]*@/i, "$1//…@");
  }
  return shorten(redact(shown, secret));
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** Text decoded from the server's encoding, redacted again, then cut to length. */
function shown(decoded: string, secret: string | undefined): string {
  return shorten(redact(decoded, secret));
}

/** HTML as the text a browser would show: scripts, styles, comments and tags dropped, references decoded. */
function stripMarkup(html: string): string {
  return decodeHtmlReferences(
    html
      .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, " ")
      .replace(/<!--[\s\S]*?-->/g, " ")
      .replace(/<[^>]*>/g, " "),
  );
}

function shorten(text: string): string {
  const collapsed = text.replace(/\s+/g, " ").trim();
  return collapsed.length <= DETAIL_MAX_CHARS ? collapsed : `${collapsed.slice(0, DETAIL_MAX_CHARS)}…`;
}
