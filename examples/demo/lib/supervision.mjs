// A supervised plugin that crashes and is restarted: health probes, backoff, typed events.

import { KV } from "@plugwire/example-go-plugin-kv/gen";
import { createSupervisor, PluginHost, silentLogger } from "@plugwire/host";
import { line, section, until } from "./report.mjs";

export async function supervisionTour({ tsKvPlugin }) {
  section("Supervision: the plugin crashes, the supervisor restarts it, calls wait instead of failing");
  const host = new PluginHost({
    handshake: { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" },
    versions: { 1: { kv: KV } },
    logger: silentLogger,
  });
  try {
    await superviseOnce(host, tsKvPlugin);
  } finally {
    await host.close();
  }
}

async function superviseOnce(host, tsKvPlugin) {
  const supervisor = createSupervisor({
    host,
    launch: { name: "kv-supervised", command: tsKvPlugin },
    health: { intervalMs: 1000, timeoutMs: 1000 },
    backoff: { initialMs: 200, maxMs: 2000 },
  });
  const transitions = [];
  supervisor.on("*", (event) => {
    if (event.type === "state") transitions.push(event.to);
    else if (event.type === "restarting")
      transitions.push(`(restart in ${event.delayMs} ms: ${event.reason})`);
  });
  supervisor.start();
  const first = await supervisor.ready({ timeoutMs: 30_000 });
  line(`running as pid ${first.pid}; killing it with SIGKILL to simulate a crash…`);
  process.kill(first.pid, "SIGKILL");
  await until(
    () => supervisor.plugin && supervisor.plugin.pid !== first.pid && supervisor.state === "running",
    30_000,
  );
  const second = await supervisor.ready({ timeoutMs: 30_000 });
  await second.clients.kv.put({ key: "after-crash", value: new TextEncoder().encode("still here") });
  line(`restarted as pid ${second.pid}; a call on the new process answered`);
  line(`states: ${transitions.join(" → ")}`);
  const status = supervisor.status();
  line(`status(): state=${status.state} restarts=${status.restarts ?? "?"}`);
  await supervisor.stop();
}
