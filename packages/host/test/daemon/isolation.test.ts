import { fileURLToPath } from "node:url";
import { type BusEvent, ErrorCode, type Subscription } from "@plugwire/contract";
import { describe, expect, it } from "vitest";
import { type Isolation, type LoadTarget, PluginRuntime, PlugwireError } from "../../src/index.js";
import { captureLogger } from "../support/capture-logger.js";
import { tempRoot } from "../support/go-fixtures.js";
import { closeAfterEach } from "../support/leaks.js";

const relayModule = fileURLToPath(
  new URL("../../../../examples/event-relay/dist/plugin.js", import.meta.url),
);
const relayExecutable = fileURLToPath(
  new URL("../../../../examples/event-relay/bin/event-relay", import.meta.url),
);
const flakyModule = fileURLToPath(new URL("../fixtures/daemon-flaky.mjs", import.meta.url));
// The fixture lives outside any package that depends on the SDK: name the entry explicitly.
const sdkEntry = fileURLToPath(new URL("../../../plugin-sdk/dist/daemon/entry.js", import.meta.url));

const track = closeAfterEach(5000);

/** A runtime with a capturing logger and a private socket root; after the test: nothing left behind. */
function testRuntime(shutdownTimeoutMs?: number) {
  const root = tempRoot();
  const logger = captureLogger();
  const runtime = new PluginRuntime({
    logger,
    info: { name: "test-host", version: "1.2.3" },
    process: { socketRoot: root.path },
    ...(shutdownTimeoutMs ? { shutdownTimeoutMs } : {}),
  });
  track({
    close: () => runtime.close().catch(() => {}),
    check() {
      const entries = root.entries();
      root.remove();
      expect(entries, "socket root must be empty").toEqual([]);
      expect(runtime.events.subscriberCount).toBe(0);
    },
  });
  return { runtime, logger };
}

/** Reads `sub` into `into` until `stop` matches, each read bounded. */
async function readUntil(sub: Subscription, into: BusEvent[], stop: (e: BusEvent) => boolean) {
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      sub.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no event after ${into.map((e) => e.topic)}`)), 10_000);
      }),
    ]).finally(() => clearTimeout(timer));
    if (next.done) throw new Error("subscription ended");
    into.push(next.value);
    if (stop(next.value)) return;
  }
}

/** Everything the host can observe of one event-relay run. */
async function relayRun(target: LoadTarget, isolation: Isolation) {
  const { runtime, logger } = testRuntime();
  const seen = runtime.events.subscribe("**");
  const plugin = await runtime.load(target, { isolation, config: { listen: "orders.*", prefix: "relay" } });
  const events: BusEvent[] = [];
  runtime.events.publish("orders.created", { id: 1 });
  runtime.events.publish("payments.captured", { id: 1 });
  runtime.events.publish("orders.paid", { id: 1, total: 9.5 });
  await readUntil(seen, events, (e) => e.topic === "relay.paid");
  runtime.events.publish("relay.stats.request");
  await readUntil(seen, events, (e) => e.topic === "relay.stats");
  await plugin.unload();
  await readUntil(seen, events, (e) => e.topic === "relay.stopped");
  seen.unsubscribe();
  return {
    name: plugin.name,
    pid: plugin.process?.pid,
    events: events.map(({ topic, source, payload }) => ({ topic, source, payload })),
    // What the plugin logged through its Daemon (the process's own stderr lines carry `isolation`).
    logs: logger.entries
      .filter((e) => e.fields.plugin === "event-relay" && e.fields.isolation === undefined)
      .map(({ level, message, fields }) => ({ level, message, fields })),
  };
}

describe("one plugin, two isolation levels", () => {
  it("runs the same event-relay in-process and as a subprocess with identical observable behaviour", async () => {
    const inProcess = await relayRun(relayModule, "in-process");
    const subprocess = await relayRun(relayModule, "process");
    const executable = await relayRun({ command: relayExecutable }, "process");

    expect(inProcess.pid).toBeUndefined();
    expect(subprocess.pid).toBeGreaterThan(0);
    expect(subprocess.pid).not.toBe(process.pid);
    expect(inProcess.name).toBe("event-relay");
    expect(inProcess.events).toEqual([
      { topic: "orders.created", source: "host", payload: { id: 1 } },
      { topic: "payments.captured", source: "host", payload: { id: 1 } },
      { topic: "orders.paid", source: "host", payload: { id: 1, total: 9.5 } },
      {
        topic: "relay.created",
        source: "event-relay",
        payload: { from: "orders.created", by: "host", count: 1, payload: { id: 1 } },
      },
      {
        topic: "relay.paid",
        source: "event-relay",
        payload: { from: "orders.paid", by: "host", count: 2, payload: { id: 1, total: 9.5 } },
      },
      { topic: "relay.stats.request", source: "host", payload: null },
      { topic: "relay.stats", source: "event-relay", payload: { relayed: 2, requestedBy: "host" } },
      { topic: "relay.stopped", source: "event-relay", payload: { relayed: 2 } },
    ]);
    expect(inProcess.logs).toEqual([
      {
        level: "info",
        message: "relay starting",
        fields: { plugin: "event-relay", listen: "orders.*", host: "test-host" },
      },
      {
        level: "info",
        message: "relayed",
        fields: { plugin: "event-relay", topic: "orders.created", count: 1 },
      },
      {
        level: "info",
        message: "relayed",
        fields: { plugin: "event-relay", topic: "orders.paid", count: 2 },
      },
      { level: "info", message: "relay stopped", fields: { plugin: "event-relay", relayed: 2 } },
    ]);
    const observable = ({ name, events, logs }: typeof inProcess) => ({ name, events, logs });
    expect(observable(subprocess)).toEqual(observable(inProcess));
    expect(observable(executable)).toEqual(observable(inProcess));
  });

  it.each(["in-process", "process"] as const)(
    "%s: an init failure is INIT_FAILED and leaves nothing behind",
    async (isolation) => {
      const { runtime } = testRuntime();
      const seen = runtime.events.subscribe("flaky.*");
      for (const mode of ["throw", "reject"]) {
        const err = await runtime
          .load(flakyModule, { isolation, entry: sdkEntry, config: { init: mode } })
          .catch((e: unknown) => e);
        expect(PlugwireError.is(err, ErrorCode.InitFailed)).toBe(true);
        expect((err as PlugwireError).message).toBe(
          `plugin flaky: init failed: flaky init ${mode === "throw" ? "threw" : "rejected"}`,
        );
        // What it published before failing was delivered, like in-process.
        expect((await seen.next()).value?.payload).toEqual({ mode });
      }
      expect(runtime.loaded).toEqual([]);
      expect(runtime.events.subscriberCount).toBe(1);
      seen.unsubscribe();
    },
  );

  it.each(["in-process", "process"] as const)(
    "%s: a hanging shutdown is cut at the bound with SHUTDOWN_TIMEOUT",
    async (isolation) => {
      const { runtime } = testRuntime(300);
      const plugin = await runtime.load(flakyModule, { isolation, entry: sdkEntry });
      const err = await plugin.unload().catch((e: unknown) => e);
      expect(PlugwireError.is(err, ErrorCode.ShutdownTimeout)).toBe(true);
      expect((err as PlugwireError).message).toBe("plugin flaky: shutdown did not finish within 300 ms");
      if (plugin.process) expect(plugin.process.exit).toBeDefined();
      expect(runtime.loaded).toEqual([]);
    },
  );

  it("refuses a duplicate name, an unknown isolation and an executable in-process", async () => {
    const { runtime } = testRuntime();
    await runtime.load(relayModule);
    await expect(runtime.load(relayModule)).rejects.toThrow(
      "plugin event-relay: a plugin with this name is already loaded",
    );
    await expect(runtime.load(relayModule, { name: "r2", isolation: "thread" as never })).rejects.toThrow(
      'plugin r2: unknown isolation "thread"',
    );
    await expect(runtime.load({ command: relayExecutable })).rejects.toThrow(
      /can only be loaded with isolation: process/,
    );
    await expect(runtime.load("/nonexistent/plugin.js")).rejects.toThrow(
      expect.objectContaining({ code: ErrorCode.NotFound }),
    );
  });
});
