import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../errors/plugwire-error.js";
import { EventSchema, LogLevel } from "../gen/plugwire/daemon/v1/daemon_pb.js";
import { createServiceRegistry } from "./daemon.js";
import {
  eventFromProto,
  eventToProto,
  fieldsToJson,
  logLevelFromProto,
  logLevelToProto,
} from "./daemon-codec.js";
import { defineDaemonPlugin, isDaemonPluginDefinition } from "./define-daemon-plugin.js";

describe("defineDaemonPlugin", () => {
  it("builds a fresh instance with fresh state per create()", async () => {
    const def = defineDaemonPlugin({
      name: "counter",
      module: new URL("file:///x/counter.js"),
      state: () => ({ inits: 0 }),
      init(_daemon, state) {
        state.inits++;
        if (state.inits > 1) throw new Error("state shared between instances");
      },
      shutdown() {},
    });
    expect(isDaemonPluginDefinition(def)).toBe(true);
    expect(isDaemonPluginDefinition({ name: "x", create() {} })).toBe(false);
    expect(def.module).toBe("file:///x/counter.js");
    const daemon = {} as never;
    await def.create().init(daemon);
    await def.create().init(daemon);
    expect(typeof def.create().shutdown).toBe("function");
  });

  it("rejects a definition without a name or init", () => {
    expect(() => defineDaemonPlugin({ name: "", init() {} })).toThrow(
      expect.objectContaining({ code: ErrorCode.ConfigInvalid }),
    );
    expect(() => defineDaemonPlugin({ name: "x" } as never)).toThrow(
      "plugin x: invalid daemon plugin: init must be a function",
    );
  });
});

describe("service registry", () => {
  it("registers, looks up, refuses duplicates and releases a scope's services", () => {
    const registry = createServiceRegistry();
    registry.register("clock", { now: () => 1 });
    const scope = registry.scope("relay");
    const off = scope.register("relay.stats", { count: 3 });
    scope.register("relay.other", 1);
    expect(registry.names()).toEqual(["clock", "relay.other", "relay.stats"]);
    expect(scope.lookup<{ now(): number }>("clock")?.now()).toBe(1);
    expect(() => scope.register("clock", {})).toThrow('plugin relay: service "clock" is already registered');
    expect(() => registry.register("", {})).toThrow(/non-empty/);
    off();
    expect(registry.lookup("relay.stats")).toBeUndefined();
    scope.release();
    expect(registry.names()).toEqual(["clock"]);
  });
});

describe("daemon codec", () => {
  it("round-trips an event through the wire bytes", () => {
    const event = {
      topic: "a.b",
      time: new Date(1_700_000_000_123),
      source: "relay",
      payload: { n: [1, "x", null, true] },
    };
    const bytes = toBinary(EventSchema, eventToProto(event));
    expect(eventFromProto(fromBinary(EventSchema, bytes))).toEqual(event);
    expect(eventFromProto(create(EventSchema, { topic: "t" })).payload).toBeNull();
  });

  it("maps log levels both ways and makes fields JSON", () => {
    for (const level of ["trace", "debug", "info", "warn", "error"] as const) {
      expect(logLevelFromProto(logLevelToProto(level))).toBe(level);
    }
    expect(logLevelFromProto(LogLevel.UNSPECIFIED)).toBe("info");
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(fieldsToJson({ err: new Error("boom"), fn: () => 1, cyclic, big: 2n })).toEqual({
      err: "boom",
      cyclic: { a: 1, self: "[Circular]" },
      big: 2,
    });
  });
});
