#!/usr/bin/env node
// The README's first command ends here: a tour of what plugwire does today, with real processes.
// Every number printed is measured now; nothing is canned.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brokerProto, controllerProto, health, results, runner, stdioProto } from "@plugwire/contract";
import { PluginHost, PlugwireError, silentLogger } from "@plugwire/host";
import { KV } from "@plugwire/example-go-plugin-kv/gen";

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const tsKvPlugin = join(root, "examples/go-plugin-kv/bin/kv-plugin");
const goKvPlugin = join(root, "conformance/bin/kv-plugin");
const enc = new TextEncoder();
const dec = new TextDecoder();
const rows = [];

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const section = (title) => console.log(`\n${bold(`▸ ${title}`)}`);

section("The contract: services plugwire speaks on the wire");
for (const svc of [health.Health, brokerProto.GRPCBroker, controllerProto.GRPCController, stdioProto.GRPCStdio, runner.Runner, results.ApiHelper]) {
  const methods = svc.methods.map((m) => `${m.name}${m.methodKind === "unary" ? "" : ` (${m.methodKind})`}`);
  console.log(`  ${svc.typeName.padEnd(24)} ${methods.join(", ")}`);
}

const host = new PluginHost({
  handshake: { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" },
  versions: { 1: { kv: KV } },
  logger: silentLogger,
});

async function tour(label, command, autoMtls) {
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
  rows.push({ plugin: label, tls: autoMtls ? "AutoMTLS" : "plain", version: plugin.negotiatedVersion, start: `${started.toFixed(0)} ms`, call: `${(perCall * 1000).toFixed(0)} µs`, value, exit: exit.forced ? "SIGKILL" : `code ${exit.code}, graceful` });
}

section("PluginHost → TypeScript plugin (written with @plugwire/plugin-sdk)");
await tour("ts-kv", tsKvPlugin, false);
await tour("ts-kv", tsKvPlugin, true);

if (existsSync(goKvPlugin)) {
  section("PluginHost → Go plugin (built with HashiCorp go-plugin v1.8)");
  await tour("go-kv", goKvPlugin, false);
  await tour("go-kv", goKvPlugin, true);
} else {
  section("Go plugins skipped: run `npm test` once with Go installed to build conformance/bin");
}
console.table(rows);

section("Errors name the plugin and the cause");
const junk = join(root, "examples/demo/bin/junk-plugin.sh");
for (const [name, command] of [["missing", join(root, "no/such/plugin")], ["noisy", junk]]) {
  try {
    await host.launch({ name, command, startTimeoutMs: 5000 });
  } catch (err) {
    if (!(err instanceof PlugwireError)) throw err;
    console.log(`  ${err.code.padEnd(18)} ${err.message}`);
  }
}
await host.close();
console.log(`\n${bold("Done.")} No plugin process is left running: each was shut down through GRPCController, then reaped.`);
