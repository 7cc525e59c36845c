/**
 * The one rule for an API base URL, whatever it came from (the `apiUrl` input, `narrative:apiUrl`,
 * `NARRATIVE_API_URL`, the command-line tool's `--api-url`): https only, with plain http for loopback hosts
 * (a local simulator), because the bearer token travels in every request. It is checked before any DNS
 * look-up or connection.
 */

const LOOPBACK_HOSTS = new Set(["localhost", "[::1]", "::1"]);

/** localhost, 127.x.x.x or ::1, as URL.hostname writes them. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Why `value` cannot be used as the API's base URL, or undefined when it can. Plain `http://` is accepted
 * only on loopback (a local simulator): anywhere else the bearer token would cross the network in clear text.
 */
export function apiUrlProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || value.trim() === "") {
    return "must be an absolute https:// URL such as https://api.narrative.io";
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an absolute https:// URL such as https://api.narrative.io; got ${shownUrl(value)}`;
  }
  if (url.username !== "" || url.password !== "") {
    // Credentials in the URL would be stored in the state in clear text; the token has its own setting.
    return "must not contain a user name or password: set the token with `pulumi config set --secret narrative:token`";
  }
  if (url.search !== "" || url.hash !== "") {
    return `must not have a query string or fragment; got ${shownUrl(value)}`;
  }
  if (url.protocol === "https:") {
    return undefined;
  }
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) {
    return undefined;
  }
  if (url.protocol === "http:") {
    return `must use https:// (http:// is accepted only for loopback hosts such as 127.0.0.1); got ${shownUrl(value)}`;
  }
  return `must be an https:// URL; got ${shownUrl(value)}`;
}

/**
 * Whether a URL carries a user name or password. A refusal of such a URL must not name the setting to the Pulumi
 * engine as a property: the engine prints a named property's value beside the reason, password and all.
 */
export function hasUserInfo(value: unknown): boolean {
  if (typeof value !== "string") {
    return false;
  }
  try {
    const url = new URL(value);
    return url.username !== "" || url.password !== "";
  } catch {
    return /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(value);
  }
}

/**
 * The refused URL as a message may show it. A user name, password, query string or fragment is where a
 * credential would sit, and a check failure is printed to CI logs, so those parts are never repeated.
 */
function shownUrl(value: string): string {
  // Up to the last "@", since a password may itself hold "@", "?" or "#".
  const withoutUserInfo = value.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[\s\S]*@/i, "$1…@");
  return JSON.stringify(withoutUserInfo.replace(/[?#][\s\S]*$/, "?…"));
}
