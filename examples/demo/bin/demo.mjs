#!/usr/bin/env node
// The README's first command ends here: a tour of what plugwire does, with real processes.
// Every number printed is measured now; nothing is canned.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brokerProto, controllerProto, health, results, runner, stdioProto } from "@plugwire/contract";
import { KV } from "@plugwire/example-go-plugin-kv/gen";
import { PluginHost, PlugwireError, silentLogger } from "@plugwire/host";
import { inProcessTour } from "../lib/in-process.mjs";
import { kvTour } from "../lib/kv.mjs";
import { bold, line, section } from "../lib/report.mjs";
import { runnerTour } from "../lib/runner.mjs";
import { supervisionTour } from "../lib/supervision.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const paths = {
  tsKvPlugin: join(root, "examples/go-plugin-kv/bin/kv-plugin"),
  goKvPlugin: join(root, "conformance/bin/kv-plugin"),
  runnerV2Plugin: join(root, "examples/runner-v2/bin/plugin"),
};

section("The contract: services plugwire speaks on the wire");
for (const svc of [
  health.Health,
  brokerProto.GRPCBroker,
  controllerProto.GRPCController,
  stdioProto.GRPCStdio,
  runner.Runner,
  results.ApiHelper,
]) {
  const methods = svc.methods.map((m) => `${m.name}${m.methodKind === "unary" ? "" : ` (${m.methodKind})`}`);
  line(`${svc.typeName.padEnd(24)} ${methods.join(", ")}`);
}

await kvTour(paths);
await runnerTour(paths);
await supervisionTour(paths);
await inProcessTour();

section("Errors name the plugin and the cause");
{
  const host = new PluginHost({
    handshake: { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" },
    versions: { 1: { kv: KV } },
    logger: silentLogger,
  });
  const junk = join(root, "examples/demo/bin/junk-plugin.sh");
  for (const [name, command] of [
    ["missing", join(root, "no/such/plugin")],
    ["noisy", junk],
  ]) {
    try {
      await host.launch({ name, command, startTimeoutMs: 5000 });
    } catch (err) {
      if (!(err instanceof PlugwireError)) throw err;
      line(`${err.code.padEnd(18)} ${err.message}`);
    }
  }
  await host.close();
}
console.log(
  `\n${bold("Done.")} Every plugin was shut down through GRPCController and reaped; nothing is left running.`,
);
