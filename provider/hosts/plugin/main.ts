#!/usr/bin/env node
/**
 * `pulumi-resource-narrative`: the `narrative` provider plugin the Pulumi engine starts for a YAML, Go or any
 * other program that declares `narrative:index:JobRerun`. The engine finds it on PATH or in a project's
 * `plugins.providers` directory, starts it with its own address as the last argument, and reads the port it
 * listens on from the first line of its output: nothing else may be written to stdout.
 */
import { exitWhenEngineGone } from "../../common/engine-watch";
import { createJobRerunLifecycle } from "../../jobrerun/lifecycle";
import { grpc, providerService } from "./proto";
import { pluginService } from "./server";
import { pluginVersion, schemaJson } from "./schema";

/** The engine's address: the last argument that looks like host:port (flags such as -v=9 may come before it). */
function engineAddress(args: readonly string[]): string | undefined {
  return [...args].reverse().find((arg) => /^[^-].*:\d+$/.test(arg));
}

function start(): void {
  const cancel = new AbortController();
  const lifecycle = createJobRerunLifecycle({ cancellation: cancel.signal });
  // Requests carry one resource each, but a state may hold large jobs: the engine's own limit, not gRPC's 4 MiB.
  const server = new grpc.Server({
    "grpc.max_receive_message_length": 400 * 1024 * 1024,
    "grpc.max_send_message_length": 400 * 1024 * 1024,
  });
  server.addService(
    providerService.ResourceProviderService,
    pluginService({ lifecycle, cancel, schema: schemaJson(), version: pluginVersion() }),
  );
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
    if (error !== null) {
      process.stderr.write(`pulumi-resource-narrative: cannot listen on loopback: ${error.message}\n`);
      process.exit(1);
    }
    process.stdout.write(`${port}\n`);
  });
  // A CLI killed without a word (SIGKILL at a CI runner's time limit) never stops its plugins.
  exitWhenEngineGone(engineAddress(process.argv.slice(2)));
}

start();
