/**
 * Everything `narrative-jobs` prints goes through here: results on stdout, progress and errors on stderr, and
 * the API token taken out of all of it, since a server or gateway may echo it back in a job or an error body.
 */
import { REDACTED, redact } from "../common/redact";

export interface Writable {
  write(text: string): unknown;
}

export const PROGRAM = "narrative-jobs";

export class Output {
  // An ES private field: util.inspect(output) does not show it.
  readonly #secrets = new Set<string>();

  constructor(
    private readonly stdout: Writable,
    private readonly stderr: Writable,
  ) {}

  /** From now on, `secret` is printed as [REDACTED] wherever it would appear. */
  hide(secret: string | undefined): void {
    if (secret !== undefined && secret !== "") {
      this.#secrets.add(secret);
    }
  }

  /** Human-readable result lines. */
  result(text: string): void {
    this.stdout.write(`${this.redacted(text)}\n`);
  }

  /**
   * API text, exactly as received but for the token: only its own forms are replaced, so that nothing else in
   * the API's text changes (redact() would also rewrite any "Bearer <word>" the data happens to contain).
   */
  json(text: string): void {
    let result = text;
    for (const secret of this.#secrets) {
      for (const form of secretForms(secret)) {
        result = result.split(form).join(REDACTED);
      }
    }
    this.stdout.write(`${result}\n`);
  }

  /** A progress line on stderr: retries, wait progress. */
  progress(text: string): void {
    this.stderr.write(`${PROGRAM}: ${this.redacted(text)}\n`);
  }

  warn(text: string): void {
    this.stderr.write(`${PROGRAM}: warning: ${this.redacted(text)}\n`);
  }

  error(text: string): void {
    this.stderr.write(`${PROGRAM}: error: ${this.redacted(text)}\n`);
  }

  /** Plain text on stderr, such as usage after an error. */
  note(text: string): void {
    this.stderr.write(`${this.redacted(text)}\n`);
  }

  private redacted(text: string): string {
    let result = text;
    for (const secret of this.#secrets) {
      result = redact(result, secret);
    }
    return redact(result, undefined);
  }
}

/** The forms an echoed token takes in JSON text, as errors.ts `redact` knows them. */
function secretForms(secret: string): Set<string> {
  return new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
}
