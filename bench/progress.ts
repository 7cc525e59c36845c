/** Progress goes to stderr, so that `--no-write` can print the results alone on stdout. */
export function progress(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}
