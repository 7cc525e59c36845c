/**
 * The gRPC runtime and Pulumi's generated protocol classes, loaded from the @pulumi/pulumi the plugin runs with.
 *
 * The generated `*_pb.js` files require `@grpc/grpc-js` and `google-protobuf` from @pulumi/pulumi's own
 * dependencies, and a message class only serializes messages built from the same copy of google-protobuf. So
 * every module here is resolved from @pulumi/pulumi's location rather than this package's: under pnpm or a
 * global install, a copy resolved from here could be another one, or none at all.
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

const fromPulumi = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const fromProtobuf = createRequire(fromPulumi.resolve("google-protobuf/package.json"));

export const grpc = fromPulumi("@grpc/grpc-js") as typeof grpcModule;
export const provider = fromPulumi("@pulumi/pulumi/proto/provider_pb") as typeof providerModule;
export const providerService = fromPulumi(
  "@pulumi/pulumi/proto/provider_grpc_pb",
) as typeof providerServiceModule;
export const plugin = fromPulumi("@pulumi/pulumi/proto/plugin_pb") as typeof pluginModule;
export const status = fromPulumi("@pulumi/pulumi/proto/status_pb") as typeof statusModule;
export const empty = fromProtobuf("./google/protobuf/empty_pb") as typeof emptyModule;
export const struct = fromProtobuf("./google/protobuf/struct_pb") as typeof structModule;
export const any = fromProtobuf("./google/protobuf/any_pb") as typeof anyModule;

export type Struct = structModule.Struct;
