// A definition written inline (version keys typed as "1" by TypeScript) still yields typed clients;
// `pnpm exec tsc -p tsconfig.test.json` (run by CI) fails if `clients.kv` degrades to `never`.
import { create } from "@bufbuild/protobuf";
import { definePlugin, KnownHandshakes } from "@plugwire/plugin-sdk";
import { createTestHost } from "@plugwire/plugin-sdk/testing";
import { expect, it } from "vitest";
import { EmptySchema, GetResponseSchema, KV } from "../../../examples/go-plugin-kv/src/gen/kv/kv_pb.js";

it("createTestHost gives typed clients for an inline definition", async () => {
  const values = new Map<string, Uint8Array>();
  const plugin = definePlugin({
    handshake: KnownHandshakes.goPluginExample,
    versions: {
      1: {
        kv: {
          service: KV,
          impl: {
            get: (req) => create(GetResponseSchema, { value: values.get(req.key) ?? new Uint8Array() }),
            put: (req) => {
              values.set(req.key, req.value);
              return create(EmptySchema);
            },
          },
        },
      },
    },
  });
  await using host = await createTestHost(plugin, { version: 1 });
  await host.clients.kv.put({ key: "a", value: new Uint8Array([1, 2]) });
  expect((await host.clients.kv.get({ key: "a" })).value).toEqual(new Uint8Array([1, 2]));
});
