// go-plugin's examples/grpc KV plugin, in TypeScript: an in-memory `proto.KV` that Go hosts
// (go-plugin v1.0.1 … v1.8, plain or AutoMTLS) and plugwire hosts run as the `kv_grpc` plugin.
import { create } from "@bufbuild/protobuf";
import { definePlugin, getPluginContext, KnownHandshakes } from "@plugwire/plugin-sdk";
import { EmptySchema, GetResponseSchema, KV } from "./gen/kv/kv_pb.js";

/** Builds a fresh KV plugin definition with its own store (one per process, or per test host). */
export function createKvPlugin() {
  const store = new Map<string, Uint8Array>();
  return definePlugin({
    name: "kv",
    handshake: KnownHandshakes.goPluginExample,
    versions: {
      1: {
        kv_grpc: {
          service: KV,
          impl: {
            async put(req, ctx) {
              getPluginContext(ctx).logger.debug({ key: req.key, bytes: req.value.byteLength }, "put");
              store.set(req.key, req.value);
              return create(EmptySchema);
            },
            async get(req) {
              return create(GetResponseSchema, { value: store.get(req.key) ?? new Uint8Array() });
            },
          },
        },
      },
    },
  });
}
