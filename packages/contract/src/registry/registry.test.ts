import { afterEach, describe, expect, it, vi } from "vitest";
import type { Daemon } from "../daemon/daemon.js";
import { createServiceRegistry } from "../daemon/daemon.js";
import type { DaemonPlugin } from "../daemon/define-daemon-plugin.js";
import { ErrorCode, PlugwireError } from "../errors/plugwire-error.js";
import { createEventBus } from "../event-bus/event-bus.js";
import { silentLogger } from "../logging/hclog.js";
import {
  createRegistry,
  defaultRegistry,
  type LoadedPlugin,
  registered,
  registerPlugin,
  shutdownAll,
} from "./registry.js";

function daemonFor(plugin: string): Daemon {
  return {
    plugin,
    events: createEventBus().scope(plugin),
    logger: silentLogger,
    config: { plugin },
    info: { name: "test-host", version: "0.0.0" },
    services: createServiceRegistry(),
  };
}

/** A plugin that records init/shutdown into `log`, optionally failing one way or another. */
function recording(
  log: string[],
  name: string,
  behaviour: { init?: "throw" | "reject"; shutdown?: "throw" | "reject" | "hang" } = {},
): DaemonPlugin {
  return {
    init(daemon) {
      log.push(`init ${name} (${daemon.plugin})`);
      if (behaviour.init === "throw") throw new Error(`${name} init threw`);
      if (behaviour.init === "reject") return Promise.reject(new Error(`${name} init rejected`));
    },
    shutdown(signal) {
      log.push(`shutdown ${name}`);
      if (behaviour.shutdown === "throw") throw new Error(`${name} shutdown threw`);
      if (behaviour.shutdown === "reject") return Promise.reject(new Error(`${name} shutdown rejected`));
      if (behaviour.shutdown === "hang") {
        return new Promise<void>((_, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason)),
        );
      }
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("registry", () => {
  it("refuses an empty name, a missing factory and a duplicate, with CONFIG_INVALID", () => {
    const r = createRegistry();
    r.register("a", () => ({ init() {} }));
    const attempts: [string, unknown][] = [
      ["", () => ({ init() {} })],
      ["  ", () => ({ init() {} })],
      ["b", undefined],
      ["a", () => ({ init() {} })],
    ];
    for (const [name, factory] of attempts) {
      expect(() => r.register(name, factory as never)).toThrow(
        expect.objectContaining({ code: ErrorCode.ConfigInvalid }),
      );
    }
    expect(() => r.register("a", () => ({ init() {} }))).toThrow(
      "plugin a: registerPlugin: a plugin with this name",
    );
    expect(r.registered()).toEqual(["a"]);
  });

  it("lists names sorted and inits a fresh instance per load, in name order", async () => {
    const r = createRegistry();
    const log: string[] = [];
    const instances: DaemonPlugin[] = [];
    for (const name of ["charlie", "alpha", "bravo"]) {
      r.register(name, () => {
        const p = recording(log, name);
        instances.push(p);
        return p;
      });
    }
    expect(r.registered()).toEqual(["alpha", "bravo", "charlie"]);
    const first = await r.loadAll(daemonFor);
    expect(first.map((l) => l.name)).toEqual(["alpha", "bravo", "charlie"]);
    expect(log).toEqual(["init alpha (alpha)", "init bravo (bravo)", "init charlie (charlie)"]);
    const second = await r.loadAll(daemonFor("shared"));
    expect(instances).toHaveLength(6);
    expect(new Set(instances).size).toBe(6);
    expect(second[0]?.plugin).not.toBe(first[0]?.plugin);
    expect(log.slice(3)).toEqual(["init alpha (shared)", "init bravo (shared)", "init charlie (shared)"]);
  });

  it.each(["throw", "reject"] as const)(
    "stops at the first init failure (%s), rolls back the loaded ones in reverse and reports them",
    async (how) => {
      const r = createRegistry();
      const log: string[] = [];
      r.register("a", () => recording(log, "a"));
      r.register("b", () => recording(log, "b"));
      r.register("c", () => recording(log, "c", { init: how }));
      r.register("d", () => recording(log, "d"));
      const err = await r.loadAll(daemonFor).catch((e: unknown) => e);
      expect(PlugwireError.is(err, ErrorCode.InitFailed)).toBe(true);
      const e = err as PlugwireError;
      expect(e.plugin).toBe("c");
      expect(e.message).toBe(
        `plugin c: init failed: c init ${how === "throw" ? "threw" : "rejected"}; rolled back 2 loaded plugin(s)`,
      );
      expect(e.cause).toBeInstanceOf(Error);
      expect((e.cause as Error).message).toBe(`c init ${how === "throw" ? "threw" : "rejected"}`);
      expect(e.details).toEqual({ loaded: ["a", "b"], rollbackErrors: [] });
      expect(log).toEqual(["init a (a)", "init b (b)", "init c (c)", "shutdown b", "shutdown a"]);
    },
  );

  it("reports a throwing factory and rollback failures too", async () => {
    const r = createRegistry();
    const log: string[] = [];
    r.register("a", () => recording(log, "a", { shutdown: "reject" }));
    const boom = new Error("factory boom");
    r.register("b", () => {
      throw boom;
    });
    const err = (await r.loadAll(daemonFor).catch((e: unknown) => e)) as PlugwireError;
    expect(err.code).toBe(ErrorCode.InitFailed);
    expect(err.cause).toBe(boom);
    expect(err.details.loaded).toEqual(["a"]);
    expect((err.details.rollbackErrors as Error[]).map((x) => x.message)).toEqual(["a shutdown rejected"]);
  });

  it("shuts down in reverse order, continues past errors and aggregates the original errors", async () => {
    const log: string[] = [];
    const plugins: LoadedPlugin[] = [
      { name: "a", plugin: recording(log, "a", { shutdown: "reject" }) },
      { name: "b", plugin: recording(log, "b") },
      { name: "c", plugin: recording(log, "c", { shutdown: "throw" }) },
      { name: "d", plugin: { init() {} } }, // no shutdown at all
    ];
    const err = await shutdownAll(plugins).catch((e: unknown) => e);
    expect(log).toEqual(["shutdown c", "shutdown b", "shutdown a"]);
    expect(err).toBeInstanceOf(AggregateError);
    const agg = err as AggregateError;
    expect(agg.errors.map((e: Error) => e.message)).toEqual(["c shutdown threw", "a shutdown rejected"]);
    expect(agg.message).toBe("shutdown failed for c (c shutdown threw), a (a shutdown rejected)");
    await expect(shutdownAll(plugins.slice(1, 2))).resolves.toBeUndefined();
  });

  it("bounds each plugin's shutdown with perPluginTimeout, aborting its signal, then moves on", async () => {
    vi.useFakeTimers();
    const log: string[] = [];
    let seen: AbortSignal | undefined;
    const hanging: DaemonPlugin = {
      init() {},
      shutdown(signal) {
        seen = signal;
        return recording(log, "slow", { shutdown: "hang" }).shutdown?.(signal);
      },
    };
    const done = shutdownAll(
      [
        { name: "first", plugin: recording(log, "first") },
        { name: "slow", plugin: hanging },
      ],
      { perPluginTimeout: 1000 },
    ).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(999);
    expect(log).toEqual(["shutdown slow"]);
    await vi.advanceTimersByTimeAsync(1);
    const agg = (await done) as AggregateError;
    expect(log).toEqual(["shutdown slow", "shutdown first"]);
    expect(seen?.aborted).toBe(true);
    expect(agg.errors).toHaveLength(1);
    expect(PlugwireError.is(agg.errors[0], ErrorCode.ShutdownTimeout)).toBe(true);
    expect((agg.errors[0] as PlugwireError).message).toBe(
      "plugin slow: shutdown did not finish within 1000 ms",
    );
  });

  it("an aborted signal cuts waits short but still asks every plugin", async () => {
    const log: string[] = [];
    const abort = new AbortController();
    abort.abort(new Error("host exiting"));
    const err = (await shutdownAll(
      [
        { name: "quick", plugin: recording(log, "quick") },
        { name: "slow", plugin: recording(log, "slow", { shutdown: "hang" }) },
      ],
      { signal: abort.signal, perPluginTimeout: 0 },
    ).catch((e: unknown) => e)) as AggregateError;
    expect(log).toEqual(["shutdown slow", "shutdown quick"]);
    expect(err.errors).toHaveLength(1);
    expect(PlugwireError.is(err.errors[0], ErrorCode.Aborted) && err.errors[0].plugin).toBe("slow");
  });

  it("the module-level registry is one process-wide registry", async () => {
    const log: string[] = [];
    registerPlugin("registry-test-module-level", () => recording(log, "m"));
    expect(registered()).toContain("registry-test-module-level");
    expect(defaultRegistry.registered()).toEqual(registered());
    expect(() => registerPlugin("registry-test-module-level", () => ({ init() {} }))).toThrow(
      /already registered/,
    );
    expect(createRegistry().registered()).toEqual([]);
  });
});
