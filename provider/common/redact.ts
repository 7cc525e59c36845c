/**
 * Keeping the API token out of text that came from a server or the network stack. A server, a gateway or a
 * proxy may echo the Authorization header back in an error page, and not always as is: JSON escapes `/` as `\/`
 * or `\u002F`, HTML writes it `&#x2F;` or `&sol;`, a URL writes `%2F`, a log line may hold the header's base64.
 * Every form is removed, and a text that a decoded reading shows still holding the token is withheld whole.
 */

export const REDACTED = "[REDACTED]";

/** What a message shows in place of a text that holds the token in a form that could not be cut out. */
export const WITHHELD = "[withheld: it repeats the API token in an encoded form]";

/**
 * Removes `secret` from `text` in every form an echo may give it: as is; each character possibly JSON-escaped
 * (`\/`, `\u002F`), an HTML character reference (`&#x2F;`, `&#47;`, `&sol;`) or URL-encoded (`%2F`, `%2f`), each
 * possibly escaped once more (`\\u002F`, `&amp;#47;`, `%252F`), in any mix; in base64 or base64url at any
 * alignment; and any `Bearer <credential>`. Then, if decoding what is left (JSON escapes, HTML references and
 * URL-encoding, layer after layer) still shows the secret, the whole text is withheld. Redact before cutting a
 * text to length: a cut could otherwise leave part of the token behind.
 */
export function redact(text: string, secret: string | undefined): string {
  let result = text;
  if (secret !== undefined && secret !== "") {
    const forms = secretForms(secret);
    result = result.replace(forms.pattern, REDACTED);
    for (const base64 of forms.base64) {
      result = result.split(base64).join(REDACTED);
    }
    if (decodedReadings(result).some((reading) => reading.includes(secret))) {
      return WITHHELD;
    }
  }
  return result.replace(/\b(Bearer)\s+(?!\[REDACTED\])[^\s"',;<>]+/gi, `$1 ${REDACTED}`);
}

/**
 * `text` with HTML character references decoded: numeric ones, and the named ones for ASCII punctuation (a
 * token's characters) and the few a gateway's error page uses.
 */
export function decodeHtmlReferences(text: string): string {
  return text
    .replace(/&#[xX]([0-9a-fA-F]{1,6});?/g, (match, digits: string) =>
      fromCodePoint(parseInt(digits, 16), match),
    )
    .replace(/&#([0-9]{1,7});?/g, (match, digits: string) => fromCodePoint(parseInt(digits, 10), match))
    .replace(/&([a-zA-Z]+);?/g, (match, name: string) => {
      const char = NAMED_CHARS.get(name);
      return char === undefined || (!match.endsWith(";") && !LEGACY_NAMES.has(name)) ? match : char;
    });
}

interface SecretForms {
  /** The secret with each character in any of its encoded forms. */
  pattern: RegExp;
  /** Its base64 and base64url, where a form is long enough to be the secret's alone. */
  base64: string[];
}

const formsBySecret = new Map<string, SecretForms>();

function secretForms(secret: string): SecretForms {
  let forms = formsBySecret.get(secret);
  if (forms === undefined) {
    forms = {
      pattern: new RegExp([...secret].map(charForms).join(""), "g"),
      base64: base64Forms(secret),
    };
    // A provider process uses one token, or a few: the cache stays small.
    if (formsBySecret.size >= 8) {
      formsBySecret.clear();
    }
    formsBySecret.set(secret, forms);
  }
  return forms;
}

/** A regular expression for one character of the secret in any of its encoded forms. */
function charForms(char: string): string {
  const codePoint = char.codePointAt(0) ?? 0;
  const forms = [escapeRegExp(char)];
  // JSON: \uXXXX per UTF-16 unit and the short escapes; more backslashes when the text was escaped again.
  forms.push(
    [...utf16Units(char)].map((unit) => `\\\\+u${caseless(unit.toString(16).padStart(4, "0"))}`).join(""),
  );
  if (char === "/" || char === '"' || char === "\\") {
    forms.push(`\\\\+${escapeRegExp(char)}`);
  }
  // URL: %XX per UTF-8 byte in either case, the % itself perhaps encoded again (%25).
  forms.push(
    [...Buffer.from(char, "utf8")]
      .map((byte) => `%(?:25)*${caseless(byte.toString(16).padStart(2, "0"))}`)
      .join(""),
  );
  // HTML: numeric references (leading zeros, the semicolon optional as browsers read them) and named ones, the
  // & perhaps escaped again (&amp;).
  const amp = "&(?:amp;)*";
  forms.push(`${amp}#[xX]0*${caseless(codePoint.toString(16))}(?:;|(?![0-9a-fA-F]))`);
  forms.push(`${amp}#0*${codePoint}(?:;|(?![0-9]))`);
  for (const [name, named] of NAMED_CHARS) {
    if (named === char) {
      forms.push(`${amp}${name}${LEGACY_NAMES.has(name) ? ";?" : ";"}`);
    }
  }
  return `(?:${forms.join("|")})`;
}

/**
 * The secret's base64 and base64url wherever it starts in a base64 group (after "Bearer ", say): the characters
 * that depend on the secret's bytes alone, when there are at least 8 of them.
 */
function base64Forms(secret: string): string[] {
  const forms: string[] = [];
  for (const pad of [0, 1, 2]) {
    const bytes = Buffer.concat([Buffer.alloc(pad), Buffer.from(secret, "utf8")]);
    const inner = bytes
      .toString("base64")
      .slice(Math.ceil((pad * 8) / 6), Math.floor((bytes.length * 8) / 6));
    if (inner.length >= 8) {
      forms.push(inner, inner.replace(/\+/g, "-").replace(/\//g, "_"));
    }
  }
  return forms;
}

/** The text decoded layer after layer (JSON escapes, HTML references, URL-encoding), until nothing changes. */
function decodedReadings(text: string): string[] {
  const readings = [text];
  let current = text;
  for (let layer = 0; layer < 4; layer++) {
    const decoded = decodeUrl(decodeHtmlReferences(unescapeJson(current)));
    if (decoded === current) {
      break;
    }
    readings.push(decoded);
    current = decoded;
  }
  return readings;
}

function unescapeJson(text: string): string {
  return text
    .replace(/\\+u([0-9a-fA-F]{4})/g, (_match, digits: string) => String.fromCharCode(parseInt(digits, 16)))
    .replace(/\\+([/"\\])/g, "$1");
}

function decodeUrl(text: string): string {
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/** Named references for ASCII punctuation (every character a token may hold) and what error pages use. */
const NAMED_CHARS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    excl: "!",
    quot: '"',
    QUOT: '"',
    num: "#",
    dollar: "$",
    percnt: "%",
    amp: "&",
    AMP: "&",
    apos: "'",
    lpar: "(",
    rpar: ")",
    ast: "*",
    midast: "*",
    plus: "+",
    comma: ",",
    period: ".",
    sol: "/",
    colon: ":",
    semi: ";",
    lt: "<",
    LT: "<",
    equals: "=",
    gt: ">",
    GT: ">",
    quest: "?",
    commat: "@",
    lsqb: "[",
    lbrack: "[",
    bsol: "\\",
    rsqb: "]",
    rbrack: "]",
    Hat: "^",
    lowbar: "_",
    UnderBar: "_",
    grave: "`",
    DiacriticalGrave: "`",
    lcub: "{",
    lbrace: "{",
    verbar: "|",
    vert: "|",
    VerticalLine: "|",
    rcub: "}",
    rbrace: "}",
    nbsp: "\u00a0",
  }),
);

/** References that HTML reads without their semicolon. */
const LEGACY_NAMES: ReadonlySet<string> = new Set([
  "quot",
  "QUOT",
  "amp",
  "AMP",
  "lt",
  "LT",
  "gt",
  "GT",
  "nbsp",
]);

function utf16Units(char: string): number[] {
  return Array.from({ length: char.length }, (_, index) => char.charCodeAt(index));
}

/** Hex digits matching either case: "2f" → "2[fF]". */
function caseless(hex: string): string {
  return hex.replace(/[a-f]/gi, (digit) => `[${digit.toLowerCase()}${digit.toUpperCase()}]`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function fromCodePoint(codePoint: number, otherwise: string): string {
  return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : otherwise;
}
