// hclog wire format (go-plugin-wire.md §4): parsing plugin stderr as go-plugin hosts do, and writing
// lines exactly as hclog's JSON format does.
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createConsoleLogger,
  createHclogLogger,
  createHclogParseState,
  formatHclogLine,
  formatHclogTimestamp,
  parseHclogLine,
  parseHclogTimestamp,
  silentLogger,
} from "./hclog.js";

// Lines as Go's hclog (JSONFormat: true, IncludeLocation: true) prints them: encoding/json sorts the map
// keys, escapes <>& and stamps local time with 6 fractional digits.
const GO_LINES = {
  plain: `{"@level":"debug","@message":"plugin address","@module":"kv","@timestamp":"2024-03-05T10:20:30.123456Z","address":"/tmp/plugin1234","network":"unix"}`,
  caller: `{"@caller":"/home/u/kv/main.go:42","@level":"info","@message":"message from plugin","@module":"kv.storage","@timestamp":"2024-03-05T11:20:30.000001+01:00","foo":"bar","n":3}`,
  nested: `{"@level":"warn","@message":"a \\u003cb\\u003e \\u0026 c","@timestamp":"2024-03-05T04:20:30.500000-06:00","cfg":{"list":[1,2.5,"x",null],"ok":true},"error":"open /x: no such file or directory"}`,
  noModule: `{"@level":"error","@message":"boom","@timestamp":"2024-03-05T10:20:30.000000Z"}`,
};

describe("parseHclogLine: hclog JSON lines", () => {
  it("decodes level, message, module, time and fields", () => {
    const e = parseHclogLine(GO_LINES.plain);
    expect(e).toEqual({
      level: "debug",
      message: "plugin address",
      module: "kv",
      time: new Date("2024-03-05T10:20:30.123Z"),
      fields: { address: "/tmp/plugin1234", network: "unix" },
      raw: false,
    });
  });

  it("keeps @caller and nested values as fields, honours numeric offsets", () => {
    const e = parseHclogLine(GO_LINES.caller);
    expect(e.level).toBe("info");
    expect(e.module).toBe("kv.storage");
    expect(e.time?.toISOString()).toBe("2024-03-05T10:20:30.000Z");
    expect(e.fields).toEqual({ "@caller": "/home/u/kv/main.go:42", foo: "bar", n: 3 });

    const n = parseHclogLine(GO_LINES.nested);
    expect(n.level).toBe("warn");
    expect(n.message).toBe("a <b> & c");
    expect(n.time?.toISOString()).toBe("2024-03-05T10:20:30.500Z");
    expect(n.fields).toEqual({
      cfg: { list: [1, 2.5, "x", null], ok: true },
      error: "open /x: no such file or directory",
    });
    expect(parseHclogLine(GO_LINES.noModule)).toMatchObject({ level: "error", message: "boom", raw: false });
    expect(parseHclogLine(GO_LINES.noModule).module).toBeUndefined();
  });

  it("follows go-plugin for odd JSON: unknown or missing @level is error, CRLF and case tolerated", () => {
    expect(parseHclogLine(`{"@message":"hi"}`).level).toBe("error");
    expect(parseHclogLine(`{"@level":"fatal","@message":"x"}`).level).toBe("error");
    expect(parseHclogLine(`{"@level":"INFO","@message":"x"}\r\n`)).toMatchObject({
      level: "info",
      raw: false,
    });
    // A bad timestamp does not lose the entry; it stays visible as a field.
    expect(parseHclogLine(`{"@level":"info","@message":"x","@timestamp":"yesterday"}`).fields).toEqual({
      "@timestamp": "yesterday",
    });
  });

  it("treats JSON that is not an hclog object as raw text", () => {
    for (const line of [`{"level":30,"msg":"pino"}`, "[1,2]", `"str"`, "{not json}", "{"]) {
      expect(parseHclogLine(line)).toEqual({ level: "debug", message: line, fields: {}, raw: true });
    }
  });

  it("keeps a __proto__ key as a plain field", () => {
    const e = parseHclogLine(`{"@level":"info","@message":"x","__proto__":{"polluted":1}}`);
    expect(Object.getPrototypeOf(e.fields)).toBe(Object.prototype);
    expect(Object.hasOwn(e.fields, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("parseHclogLine: raw lines", () => {
  it("maps [LEVEL] prefixes, also after an hclog text timestamp, and defaults to debug", () => {
    expect(parseHclogLine("[TRACE] x")).toMatchObject({ level: "trace", message: "x", raw: true });
    expect(parseHclogLine("[DEBUG] x").level).toBe("debug");
    expect(parseHclogLine("[INFO]  serving").message).toBe("serving");
    expect(parseHclogLine("[WARN]  x").level).toBe("warn");
    expect(parseHclogLine("[ERROR] x").level).toBe("error");
    const t = parseHclogLine("2024-01-01T00:00:00.000Z [INFO]  kv: message: k=v");
    expect(t).toMatchObject({ level: "info", message: "kv: message: k=v", raw: true });
    expect(t.time?.toISOString()).toBe("2024-01-01T00:00:00.000Z");
    expect(parseHclogLine("2024-01-01T02:00:00.250+0200 [WARN]  x").time?.toISOString()).toBe(
      "2024-01-01T00:00:00.250Z",
    );
    expect(parseHclogLine("2024/01/01 00:00:00 [ERROR] std log").level).toBe("error");
    expect(parseHclogLine("hello world")).toEqual({
      level: "debug",
      message: "hello world",
      fields: {},
      raw: true,
    });
    expect(parseHclogLine("x [ERROR] not a prefix").level).toBe("debug");
    expect(parseHclogLine("[info] lower case is not a tag").level).toBe("debug");
  });

  it("switches to error for the rest of a Go crash dump", () => {
    const state = createHclogParseState();
    expect(parseHclogLine("[INFO]  before", state).level).toBe("info");
    expect(parseHclogLine("panic: runtime error: index out of range", state).level).toBe("error");
    expect(parseHclogLine("", state).level).toBe("error");
    expect(parseHclogLine("goroutine 1 [running]:", state).level).toBe("error");
    expect(parseHclogLine("[DEBUG] main.main()", state).level).toBe("error");
    // Structured lines still carry their own level.
    expect(parseHclogLine(GO_LINES.plain, state).level).toBe("debug");
    expect(state.crashed).toBe(true);

    const fatal = createHclogParseState();
    expect(parseHclogLine("fatal error: all goroutines are asleep - deadlock!", fatal).level).toBe("error");
    expect(parseHclogLine("\tmain.go:12 +0x1d", fatal).level).toBe("error");
    // Without state only the line itself is an error.
    expect(parseHclogLine("panic: x").level).toBe("error");
    expect(parseHclogLine("goroutine 1 [running]:").level).toBe("debug");
  });

  it("stays fast on megabyte lines", () => {
    const started = performance.now();
    for (const line of [
      "[".repeat(2_000_000),
      `{${" ".repeat(2_000_000)}`,
      `${"2024-01-01T00:00:00".repeat(100_000)} [INFO] x`,
      `{"@level":"info","@message":"${"x".repeat(2_000_000)}"}`,
      `${"0".repeat(4)}-${"1".repeat(1_000_000)}`,
    ]) {
      parseHclogLine(line, createHclogParseState());
    }
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("never throws, whatever the input", () => {
    const state = createHclogParseState();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary" }),
          fc.json(),
          fc.string().map((s) => `[INFO] ${s}`),
          fc.dictionary(fc.string(), fc.jsonValue()).map((d) => JSON.stringify({ "@level": "info", ...d })),
          fc
            .record({ "@level": fc.jsonValue(), "@message": fc.jsonValue(), "@timestamp": fc.jsonValue() })
            .map((r) => JSON.stringify(r)),
        ),
        (line) => {
          const e = parseHclogLine(line, state);
          expect(["trace", "debug", "info", "warn", "error"]).toContain(e.level);
          expect(typeof e.message).toBe("string");
        },
      ),
      { numRuns: 2_000 },
    );
    expect(() => parseHclogLine(undefined as unknown as string)).not.toThrow();
  });
});

describe("formatHclogLine", () => {
  const time = new Date("2024-03-05T10:20:30.123Z");

  it("writes hclog's JSON exactly: sorted keys, 6 fractional digits, Go escaping", () => {
    const line = formatHclogLine(
      {
        level: "info",
        message: "a <b> & c",
        module: "kv",
        time,
        fields: { network: "unix", Z: 1, "!": true },
      },
      0,
    );
    expect(line).toBe(
      `{"!":true,"@level":"info","@message":"a \\u003cb\\u003e \\u0026 c","@module":"kv","@timestamp":"2024-03-05T10:20:30.123000Z","Z":1,"network":"unix"}`,
    );
    expect(line).not.toContain("\n");
    // A line Go wrote comes back out byte for byte.
    const e = parseHclogLine(GO_LINES.noModule);
    expect(formatHclogLine({ ...e, time: e.time }, 0)).toBe(GO_LINES.noModule);
  });

  it("formats Go's Z07:00 offsets", () => {
    expect(formatHclogTimestamp(time, 0)).toBe("2024-03-05T10:20:30.123000Z");
    expect(formatHclogTimestamp(time, 60)).toBe("2024-03-05T11:20:30.123000+01:00");
    expect(formatHclogTimestamp(time, -330)).toBe("2024-03-05T04:50:30.123000-05:30");
    expect(formatHclogTimestamp(new Date(Number.NaN))).toBe("0001-01-01T00:00:00.000000Z");
    expect(formatHclogTimestamp(time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/);
  });

  it("round-trips through parseHclogLine, at any offset", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("trace", "debug", "info", "warn", "error" as const),
        fc.string({ unit: "binary" }),
        fc.date({ min: new Date("1970-01-01"), max: new Date("2999-12-31"), noInvalidDate: true }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        fc.dictionary(
          fc.string().filter((k) => !k.startsWith("@")),
          fc.jsonValue(),
        ),
        (level, message, when, offset, fields) => {
          const line = formatHclogLine({ level, message, module: "m.n", time: when, fields }, offset);
          const e = parseHclogLine(line);
          expect(e.raw).toBe(false);
          expect(e.level).toBe(level);
          expect(e.message).toBe(message);
          expect(e.module).toBe("m.n");
          expect(e.time?.getTime()).toBe(when.getTime());
          expect(e.fields).toEqual(JSON.parse(JSON.stringify(fields)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("turns errors into their message and survives values JSON cannot hold", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const line = formatHclogLine(
      {
        level: "error",
        message: "m",
        time,
        fields: { error: new Error("disk full"), big: 10n, cyclic, fn: () => 1 },
      },
      0,
    );
    expect(JSON.parse(line)).toEqual({
      "@level": "error",
      "@message": "m",
      "@timestamp": "2024-03-05T10:20:30.123000Z",
      big: 10,
      cyclic: { a: 1, self: "[Circular]" },
      error: "disk full",
    });
    expect(parseHclogTimestamp("2024-03-05T10:20:30.123456789Z")?.toISOString()).toBe(
      "2024-03-05T10:20:30.123Z",
    );
  });
});

describe("createHclogLogger", () => {
  const setup = (options: Parameters<typeof createHclogLogger>[0] = {}) => {
    const lines: string[] = [];
    const log = createHclogLogger({
      write: (l) => lines.push(l),
      now: () => new Date("2024-03-05T10:20:30.123Z"),
      utcOffsetMinutes: 0,
      ...options,
    });
    return { log, lines, parsed: () => lines.map((l) => parseHclogLine(l)) };
  };

  it("accepts pino's call shapes", () => {
    const { log, parsed, lines } = setup();
    log.info("just a message");
    log.info({ k: 1 }, "with fields");
    log.warn({ msg: "message in object", k: 2 });
    log.error(new Error("bad") as unknown as Record<string, unknown>);
    log.debug({ err: new Error("inner") }, "error field");
    expect(parsed().map((e) => [e.level, e.message, e.fields])).toEqual([
      ["info", "just a message", {}],
      ["info", "with fields", { k: 1 }],
      ["warn", "message in object", { k: 2 }],
      ["error", "bad", { error: "bad" }],
      ["debug", "error field", { err: "inner" }],
    ]);
    expect(lines[0]).toBe(
      `{"@level":"info","@message":"just a message","@timestamp":"2024-03-05T10:20:30.123000Z"}`,
    );
  });

  it("child() merges bindings and names modules like hclog's Named()", () => {
    const { log, parsed } = setup({ module: "kv" });
    const storage = log.child({ "@module": "storage", a: 1 });
    storage.info({ b: 2 }, "x");
    storage.child({ module: "disk", a: 3 }).info("y");
    log.child({ c: 4 }).info("z");
    createHclogLogger({ write: () => {} }).child({ module: "root" });
    expect(parsed().map((e) => [e.module, e.fields])).toEqual([
      ["kv.storage", { a: 1, b: 2 }],
      ["kv.storage.disk", { a: 3 }],
      ["kv", { c: 4 }],
    ]);
    const { log: unnamed, parsed: p2 } = setup();
    unnamed.child({ module: "first" }).info("n");
    expect(p2()[0]?.module).toBe("first");
  });

  it("filters by level and never throws from a failing writer", () => {
    const { log, lines } = setup({ level: "warn" });
    log.info("dropped");
    log.warn("kept");
    expect(lines).toHaveLength(1);
    const broken = createHclogLogger({
      write: () => {
        throw new Error("EPIPE");
      },
    });
    expect(() => broken.error("x")).not.toThrow();
  });
});

describe("createConsoleLogger and silentLogger", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const now = () => new Date("2026-01-02T03:04:05.123Z");

  it("writes one compact line per entry", () => {
    const lines: string[] = [];
    const log = createConsoleLogger({ write: (l) => lines.push(l), now, level: "trace" });
    log.child({ plugin: "kv" }).info({ k: "v", n: 1, s: "two words" }, "message");
    log.warn("plain");
    log.error({ err: new Error("boom") }, "multi\nline");
    expect(lines).toEqual([
      `2026-01-02T03:04:05.123Z INFO  [plugin=kv] message k=v n=1 s="two words"`,
      "2026-01-02T03:04:05.123Z WARN  plain",
      `2026-01-02T03:04:05.123Z ERROR multi\\nline err=boom`,
    ]);
  });

  it("defaults to info, PLUGWIRE_LOG_LEVEL overrides the default, an explicit level wins", () => {
    const lines: string[] = [];
    const write = (l: string) => lines.push(l);
    createConsoleLogger({ write, now }).debug("hidden");
    vi.stubEnv("PLUGWIRE_LOG_LEVEL", "debug");
    createConsoleLogger({ write, now }).debug("shown");
    createConsoleLogger({ write, now, level: "error" }).warn("hidden");
    expect(lines).toEqual(["2026-01-02T03:04:05.123Z DEBUG shown"]);
  });

  it("colours the level when pretty", () => {
    const lines: string[] = [];
    createConsoleLogger({ write: (l) => lines.push(l), now, pretty: true }).error("x");
    expect(lines[0]).toContain("\x1b[31mERROR\x1b[0m");
  });

  it("silentLogger drops everything", () => {
    expect(() => silentLogger.child({ a: 1 }).error("x")).not.toThrow();
    expect(silentLogger.child({})).toBe(silentLogger);
  });
});
