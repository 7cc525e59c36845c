/**
 * Knowing that the deployment was cancelled.
 *
 * When a person presses Ctrl+C (or a CI job is cancelled), the engine sends every provider the Cancel RPC and
 * then waits for the operations in flight to finish before it writes the state. Pulumi's dynamic provider host
 * answers that RPC without telling the provider, so a JobRerun waiting on a long job would hold the deployment
 * until its timeout, and a second Ctrl+C would end the process before the state recorded the reschedule it had
 * made; the next `pulumi up` would then reschedule the job a second time.
 *
 * So the provider watches the host's gRPC server for the Cancel call. This relies on an internal of
 * @grpc/grpc-js (Server.prototype._retrieveHandler, the per-call handler lookup) and is feature-detected: if that
 * shape is not there, nothing is patched and waits end at their timeout instead.
 *
 * A CLI that dies without a word (SIGKILL at a CI runner's time limit, an out-of-memory kill) sends no Cancel
 * and never stops its plugins, so the provider also watches the engine's address, which the host is started
 * with, and ends the process once nothing listens there: a provider left waiting on a 30-minute job would
 * otherwise run on, orphaned, polling the API.
 */
import * as path from "node:path";
import { exitWhenEngineGone } from "../../common/engine-watch";

const CANCEL_METHOD = "/pulumirpc.ResourceProvider/Cancel";

let controller: AbortController | undefined;

interface GrpcServerPrototype {
  _retrieveHandler?: (this: unknown, method: string) => unknown;
}

/** Aborted once the engine has asked this provider process to cancel. */
export function deploymentCancellation(): AbortSignal {
  if (controller === undefined) {
    controller = new AbortController();
    const abort = controller.abort.bind(controller);
    if (hostScript() !== undefined) {
      watchCancelCalls(abort);
      exitWhenEngineGone(process.argv[2]);
    }
  }
  return controller.signal;
}

/** The dynamic provider host's script when this process is that host, else undefined. */
function hostScript(): string | undefined {
  const host = require.main?.filename;
  return host !== undefined && /cmd[\\/]dynamic-provider[\\/]index\.js$/.test(host) ? host : undefined;
}

function watchCancelCalls(onCancel: () => void): boolean {
  // Only inside Pulumi's dynamic provider host; a program or a test process has no Cancel RPC to watch.
  const host = hostScript();
  if (host === undefined) {
    return false;
  }
  try {
    // The grpc-js instance the host itself loaded, resolved from the host's own location.
    const grpcPath = require.resolve("@grpc/grpc-js", { paths: [path.dirname(host)] });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known only at run time
    const prototype = (require(grpcPath) as { Server?: { prototype?: GrpcServerPrototype } }).Server
      ?.prototype;
    const original = prototype?._retrieveHandler;
    if (prototype === undefined || typeof original !== "function") {
      return false;
    }
    prototype._retrieveHandler = function (this: unknown, method: string) {
      if (method === CANCEL_METHOD) {
        onCancel();
      }
      return original.call(this, method);
    };
    return true;
  } catch {
    return false;
  }
}
