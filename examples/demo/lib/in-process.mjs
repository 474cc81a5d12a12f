// One plugin definition, two isolation levels: the event-relay example in-process and as a subprocess.
import { createRequire } from "node:module";
import { PluginRuntime, silentLogger } from "@plugwire/host";
import { line, section } from "./report.mjs";

const require = createRequire(import.meta.url);

async function relay(isolation) {
  const runtime = new PluginRuntime({ logger: silentLogger, info: { name: "demo", version: "1.0.0" } });
  const seen = runtime.events.subscribe("relay.*");
  const plugin = await runtime.load(require.resolve("@plugwire/example-event-relay/plugin"), {
    isolation,
    config: { listen: "orders.*", prefix: "relay" },
  });
  const t0 = performance.now();
  runtime.events.publish("orders.created", { id: 1 });
  runtime.events.publish("payments.captured", { id: 1 });
  runtime.events.publish("orders.paid", { id: 1, total: 9.5 });
  const got = [];
  for await (const event of seen) {
    got.push(event.topic);
    if (got.length === 2) break;
  }
  const took = performance.now() - t0;
  await plugin.unload();
  await runtime.close();
  return { isolation, relayed: got.join(", "), "round trip": `${took.toFixed(1)} ms` };
}

export async function inProcessTour() {
  section("One plugin, two isolation levels: the same event-relay definition in-process and as a subprocess");
  const rows = [await relay("in-process"), await relay("process")];
  console.table(rows);
  line("Same events either way; the host chooses the isolation, not the plugin author.");
}
