/**
 * Ending a provider process whose engine is gone. A CLI that dies without a word (SIGKILL at a CI runner's time
 * limit, an out-of-memory kill) sends no Cancel and never stops its plugins; a provider left waiting on a long job
 * would otherwise run on, orphaned, polling the API. Both hosts watch the engine's address with this.
 */
import * as net from "node:net";

/** How often the engine's address is checked; an orphaned provider ends within about this long. */
const ENGINE_CHECK_INTERVAL_MS = 2_000;

/**
 * Ends this process once nothing listens at the engine's address any more (the CLI was killed). The engine gives
 * a plugin its address on the command line.
 */
export function exitWhenEngineGone(engineAddress: string | undefined): void {
  const match = /^(.+):(\d+)$/.exec(engineAddress ?? "");
  if (match?.[1] === undefined || match[2] === undefined) {
    return;
  }
  const [host, port] = [match[1], Number(match[2])];
  const timer = setInterval(() => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => socket.destroy());
    socket.once("error", (error: NodeJS.ErrnoException) => {
      socket.destroy();
      if (error.code === "ECONNREFUSED") {
        process.stderr.write("narrative: the Pulumi engine is gone; the provider process exits\n");
        process.exit(1);
      }
    });
  }, ENGINE_CHECK_INTERVAL_MS);
  // The host's gRPC server keeps the process alive while the engine needs it; this check must not.
  timer.unref();
}
