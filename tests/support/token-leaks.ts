/**
 * Finding a token in text that may hold it encoded, written independently of the package's redaction so that a
 * test does not grade the redaction by its own rules.
 */
import { expect } from "chai";
import { promises as fs } from "node:fs";
import type { PulumiWorkspace } from "../../scripts/pulumi-harness";

/** The token with some or all of its characters encoded the ways a server may echo them. */
export const TOKEN_ENCODINGS: readonly [string, (token: string) => string][] = [
  ["JSON \\/", (token) => token.replace(/\//g, "\\/")],
  [
    "JSON \\u002F (upper and lower case)",
    (token) => token.replace(/\//g, "\\u002F").replace(/=/g, "\\u003d"),
  ],
  ["JSON \\u of every character", (token) => [...token].map((char) => `\\u${hex(char, 4)}`).join("")],
  ["JSON escaped twice", (token) => token.replace(/\//g, "\\\\u002F")],
  [
    "HTML &#x2F; &#x3D; &#x2B;",
    (token) => token.replace(/[/=+]/g, (char) => `&#x${hex(char, 2).toUpperCase()};`),
  ],
  ["HTML &#47; &#61; &#43;", (token) => token.replace(/[/=+]/g, (char) => `&#${char.charCodeAt(0)};`)],
  ["HTML &sol; &equals; &plus;", (token) => token.replace(/[/=+]/g, (char) => `&${NAMED[char]};`)],
  [
    "HTML &#0047 without semicolons",
    (token) => token.replace(/[/=+]/g, (char) => `&#00${char.charCodeAt(0)}`),
  ],
  ["HTML entity of every character", (token) => [...token].map((char) => `&#x${hex(char, 1)};`).join("")],
  ["HTML escaped twice", (token) => token.replace(/[/=+]/g, (char) => `&amp;#${char.charCodeAt(0)};`)],
  ["URL-encoded", (token) => encodeURIComponent(token)],
  [
    "URL-encoded, lower-case hex",
    (token) => encodeURIComponent(token).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
  ],
  ["URL-encoded twice", (token) => encodeURIComponent(encodeURIComponent(token))],
  ["URL-encoded, every character", (token) => [...token].map((char) => `%${hex(char, 2)}`).join("")],
  ["base64", (token) => Buffer.from(token).toString("base64")],
  ["base64 of the header", (token) => Buffer.from(`Authorization: Bearer ${token}`).toString("base64")],
  ["base64url of the header value", (token) => Buffer.from(`Bearer ${token}`).toString("base64url")],
];

/** The token in the encoding of TOKEN_ENCODINGS named `name`. */
export function encodeToken(name: string, token: string): string {
  const encode = TOKEN_ENCODINGS.find(([encoding]) => encoding === name)?.[1];
  if (encode === undefined) {
    throw new Error(`no token encoding ${JSON.stringify(name)}`);
  }
  return encode(token);
}

const NAMED: Record<string, string> = { "/": "sol", "=": "equals", "+": "plus" };

function hex(char: string, width: number): string {
  return char.charCodeAt(0).toString(16).padStart(width, "0");
}

/**
 * The forms of `token` found in `text`: any 8 characters of it in the text or in the text decoded (JSON escapes,
 * HTML character references, URL-encoding, in any order, up to four layers deep), or the base64 of it.
 */
export function tokenLeaks(text: string, token: string): string[] {
  const found = new Set<string>();
  const windows = Array.from({ length: Math.max(1, token.length - 7) }, (_, index) =>
    token.slice(index, index + 8),
  );
  let readings = [text];
  const seen = new Set(readings);
  for (let depth = 0; depth <= 4 && readings.length > 0; depth++) {
    for (const reading of readings) {
      for (const window of windows) {
        if (reading.includes(window)) {
          found.add(`"${window}" after ${depth} decoding(s)`);
        }
      }
    }
    const next: string[] = [];
    for (const reading of readings) {
      for (const decoded of [jsonUnescape(reading), htmlDecode(reading), urlDecode(reading)]) {
        if (!seen.has(decoded)) {
          seen.add(decoded);
          next.push(decoded);
        }
      }
    }
    readings = next;
  }
  for (const form of base64Forms(token)) {
    if (text.includes(form)) {
      found.add(`base64 "${form}"`);
    }
  }
  return [...found];
}

function jsonUnescape(text: string): string {
  return text
    .replace(/\\u([0-9a-fA-F]{4})/g, (_, code: string) => String.fromCharCode(parseInt(code, 16)))
    .replace(/\\([/"\\])/g, "$1");
}

function htmlDecode(text: string): string {
  return text
    .replace(/&#[xX]([0-9a-fA-F]+);?/g, (_, code: string) => String.fromCodePoint(parseInt(code, 16)))
    .replace(/&#([0-9]+);?/g, (_, code: string) => String.fromCodePoint(parseInt(code, 10)))
    .replace(/&(sol|equals|plus|amp);/g, (_, name: string) =>
      name === "amp" ? "&" : (Object.keys(NAMED).find((char) => NAMED[char] === name) ?? ""),
    );
}

function urlDecode(text: string): string {
  return text.replace(/(%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/** The base64 (standard and URL-safe) of the token wherever it starts in a base64 group, 8 characters or more. */
function base64Forms(token: string): string[] {
  const forms: string[] = [];
  for (const pad of [0, 1, 2]) {
    const bytes = Buffer.concat([Buffer.alloc(pad), Buffer.from(token)]);
    const encoded = bytes.toString("base64");
    const inner = encoded.slice(Math.ceil((pad * 8) / 6), Math.floor((bytes.length * 8) / 6));
    for (let start = 0; start + 8 <= inner.length; start++) {
      forms.push(
        inner.slice(start, start + 8),
        inner
          .slice(start, start + 8)
          .replace(/\+/g, "-")
          .replace(/\//g, "_"),
      );
    }
  }
  return forms;
}

/** No form of any of `tokens` in the stack's backend files (state, backups, history), which must hold its state. */
export async function expectInNoStateFile(workspace: PulumiWorkspace, ...tokens: string[]): Promise<void> {
  const stateFiles = await workspace.backendFiles();
  expect(
    stateFiles.some((file) => file.endsWith(".json")),
    "the backend holds the stack's state",
  ).to.equal(true);
  for (const file of stateFiles) {
    const text = await fs.readFile(file, "utf8");
    for (const token of tokens) {
      expect(tokenLeaks(text, token), file).to.deep.equal([]);
    }
  }
}

/** No form of any of `tokens` in what any command the workspace ran printed. */
export function expectInNoOutput(workspace: PulumiWorkspace, ...tokens: string[]): void {
  for (const command of workspace.transcript) {
    for (const token of tokens) {
      expect(tokenLeaks(command.output, token), command.command).to.deep.equal([]);
    }
  }
}
