// PluginHost → KV plugins (TypeScript via the SDK, Go via go-plugin), plain and AutoMTLS.
import { existsSync } from "node:fs";
import { KV } from "@plugwire/example-go-plugin-kv/gen";
import { PluginHost, silentLogger } from "@plugwire/host";
import { section } from "./report.mjs";

const enc = new TextEncoder();
const dec = new TextDecoder();

export async function kvTour({ tsKvPlugin, goKvPlugin }) {
  const rows = [];
  const host = new PluginHost({
    handshake: { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" },
    versions: { 1: { kv: KV } },
    logger: silentLogger,
  });
  const tour = async (label, command, autoMtls) => {
    const t0 = performance.now();
    const plugin = await host.launch({ name: label, command, autoMtls });
    const started = performance.now() - t0;
    const kv = plugin.clients.kv;
    await kv.put({ key: "greeting", value: enc.encode(`hello from ${label}`) });
    const value = dec.decode((await kv.get({ key: "greeting" })).value);
    const t1 = performance.now();
    const n = 500;
    for (let i = 0; i < n; i++) await kv.get({ key: "greeting" });
    const perCall = (performance.now() - t1) / n;
    const exit = await plugin.close();
    rows.push({
      plugin: label,
      tls: autoMtls ? "AutoMTLS" : "plain",
      start: `${started.toFixed(0)} ms`,
      "call p̄": `${(perCall * 1000).toFixed(0)} µs`,
      value,
      exit: exit.forced ? "SIGKILL" : `code ${exit.code}, graceful`,
    });
  };
  section("PluginHost → KV plugins: TypeScript (plugin-sdk) and Go (HashiCorp go-plugin v1.8)");
  try {
    await tour("ts-kv", tsKvPlugin, false);
    await tour("ts-kv", tsKvPlugin, true);
    if (existsSync(goKvPlugin)) {
      await tour("go-kv", goKvPlugin, false);
      await tour("go-kv", goKvPlugin, true);
    }
  } finally {
    await host.close();
  }
  console.table(rows);
  if (!existsSync(goKvPlugin))
    console.log("  (Go plugins skipped: run `npm test` once with Go installed to build conformance/bin)");
}
