/**
 * The gRPC runtime and Pulumi's generated protocol classes, loaded from the @pulumi/pulumi the plugin runs with.
 *
 * The generated `*_pb.js` files require `@grpc/grpc-js` and `google-protobuf` from @pulumi/pulumi's own
 * dependencies, and a message class only serializes messages built from the same copy of google-protobuf. So
 * every module here is resolved from @pulumi/pulumi's location rather than this package's: under pnpm or a
 * global install, a copy resolved from here could be another one, or none at all.
 *
 * The standalone plugin (scripts/standalone) is one bundled file with no node_modules beside it: there the
 * modules are plain `require`s that the bundler resolves, from @pulumi/pulumi's location too, at build time.
 */
import { createRequire } from "node:module";
import type * as grpcModule from "@grpc/grpc-js";
import type * as emptyModule from "google-protobuf/google/protobuf/empty_pb";
import type * as structModule from "google-protobuf/google/protobuf/struct_pb";
import type * as anyModule from "google-protobuf/google/protobuf/any_pb";
import type * as providerModule from "@pulumi/pulumi/proto/provider_pb";
import type * as providerServiceModule from "@pulumi/pulumi/proto/provider_grpc_pb";
import type * as pluginModule from "@pulumi/pulumi/proto/plugin_pb";
import type * as statusModule from "@pulumi/pulumi/proto/status_pb";

interface Modules {
  grpc: typeof grpcModule;
  provider: typeof providerModule;
  providerService: typeof providerServiceModule;
  plugin: typeof pluginModule;
  status: typeof statusModule;
  empty: typeof emptyModule;
  struct: typeof structModule;
  any: typeof anyModule;
}

/** Set to true by the standalone build (an esbuild `define`); undeclared everywhere else. */
declare const NARRATIVE_STANDALONE: boolean | undefined;

function fromInstalledPulumi(): Modules {
  const fromPulumi = createRequire(require.resolve("@pulumi/pulumi/package.json"));
  const fromProtobuf = createRequire(fromPulumi.resolve("google-protobuf/package.json"));
  return {
    grpc: fromPulumi("@grpc/grpc-js") as Modules["grpc"],
    provider: fromPulumi("@pulumi/pulumi/proto/provider_pb") as Modules["provider"],
    providerService: fromPulumi("@pulumi/pulumi/proto/provider_grpc_pb") as Modules["providerService"],
    plugin: fromPulumi("@pulumi/pulumi/proto/plugin_pb") as Modules["plugin"],
    status: fromPulumi("@pulumi/pulumi/proto/status_pb") as Modules["status"],
    empty: fromProtobuf("./google/protobuf/empty_pb") as Modules["empty"],
    struct: fromProtobuf("./google/protobuf/struct_pb") as Modules["struct"],
    any: fromProtobuf("./google/protobuf/any_pb") as Modules["any"],
  };
}

/* eslint-disable @typescript-eslint/no-require-imports -- literal requires are what a bundler can follow */
function bundled(): Modules {
  return {
    grpc: require("@grpc/grpc-js") as Modules["grpc"],
    provider: require("@pulumi/pulumi/proto/provider_pb") as Modules["provider"],
    providerService: require("@pulumi/pulumi/proto/provider_grpc_pb") as Modules["providerService"],
    plugin: require("@pulumi/pulumi/proto/plugin_pb") as Modules["plugin"],
    status: require("@pulumi/pulumi/proto/status_pb") as Modules["status"],
    empty: require("google-protobuf/google/protobuf/empty_pb") as Modules["empty"],
    struct: require("google-protobuf/google/protobuf/struct_pb") as Modules["struct"],
    any: require("google-protobuf/google/protobuf/any_pb") as Modules["any"],
  };
}
/* eslint-enable @typescript-eslint/no-require-imports */

const modules =
  typeof NARRATIVE_STANDALONE === "boolean" && NARRATIVE_STANDALONE ? bundled() : fromInstalledPulumi();

export const { grpc, provider, providerService, plugin, status, empty, struct, any } = modules;

export type Struct = structModule.Struct;
