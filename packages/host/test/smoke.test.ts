import { expect, test } from "vitest";
import { PluginHost } from "../src/index.js";
import { KV } from "../../../examples/go-plugin-kv/src/gen/kv/kv_pb.js";

test("smoke", async () => {
  const host = new PluginHost({ handshake: { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" }, versions: { 1: { kv: KV } } });
  for (const autoMtls of [false, true]) {
    const p = await host.launch({ name: "kv", command: "/work/main/conformance/bin/kv-plugin", autoMtls });
    const kv = p.clientsFor(1)!.kv;
    await kv.put({ key: "a", value: new TextEncoder().encode("hello") });
    const r = await kv.get({ key: "a" });
    expect(new TextDecoder().decode(r.value)).toBe("hello");
    const t0 = Date.now();
    const exit = await p.close();
    console.log(exit, Date.now() - t0);
  }
});
