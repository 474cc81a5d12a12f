// serve({ readMaxBytes, writeMaxBytes }): an oversized request or response fails that call with
// RESOURCE_EXHAUSTED (as grpc-go's MaxRecvMsgSize / MaxSendMsgSize do) and the plugin keeps serving.
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { KnownHandshakes } from "@plugwire/plugin-sdk";
import { launchPluginProcess } from "@plugwire/plugin-sdk/testing";
import { expect, it } from "vitest";
import { KV } from "../../../examples/go-plugin-kv/src/gen/kv/kv_pb.js";

const limitedPlugin = join(import.meta.dirname, "fixtures/limited-kv-plugin.mjs");

it("a request over readMaxBytes and a response over writeMaxBytes end RESOURCE_EXHAUSTED; the plugin stays up", async () => {
  await using plugin = await launchPluginProcess({
    command: limitedPlugin,
    handshake: KnownHandshakes.goPluginExample,
    versions: [1],
  });
  const kv = plugin.client(KV);
  const bytes = (n: number) => new Uint8Array(n).fill(120);

  await expect(kv.put({ key: "big", value: bytes(2000) })).rejects.toMatchObject({
    code: Code.ResourceExhausted,
    rawMessage: expect.stringContaining("readMaxBytes 1024"),
  });
  // Under the read limit going in, over the write limit coming back.
  await kv.put({ key: "mid", value: bytes(900) });
  await expect(kv.get({ key: "mid" })).rejects.toMatchObject({
    code: Code.ResourceExhausted,
    rawMessage: expect.stringContaining("writeMaxBytes 512"),
  });
  await kv.put({ key: "small", value: bytes(10) });
  expect((await kv.get({ key: "small" })).value).toEqual(bytes(10));
});
