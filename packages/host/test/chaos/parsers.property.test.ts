import {
  ErrorCode as ContractErrorCode,
  formatHandshakeLine,
  parseHandshakeLine,
  parseHclogLine,
} from "@plugwire/contract";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { stringify } from "yaml";
import { PlugwireError, parseAgentConfig, parseReference } from "../../src/index.js";

// Arbitrary input to each parser yields a value or a typed PlugwireError — never another exception,
// never a hang (each property runs inside the test timeout; fast-check shrinks any counterexample).
const codes = new Set<string>(Object.values(ContractErrorCode));
const runs = { numRuns: 400 };

/** Calls `parse`; a throw must be a PlugwireError with a known code (and `plugin` when given). */
function valueOrTypedError<T>(parse: () => T, plugin?: string): T | PlugwireError {
  try {
    return parse();
  } catch (err) {
    expect(err).toBeInstanceOf(PlugwireError);
    expect(codes.has((err as PlugwireError).code)).toBe(true);
    if (plugin) expect((err as PlugwireError).plugin).toBe(plugin);
    return err as PlugwireError;
  }
}

const anyText = fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), fc.string({ maxLength: 300 }));
const field = fc.oneof(
  fc.constantFrom(
    "",
    "1",
    "2",
    "0",
    "-1",
    "01",
    "1.0",
    "unix",
    "tcp",
    "udp",
    "grpc",
    "netrpc",
    "true",
    "false",
  ),
  fc.string({ maxLength: 20 }),
);

describe("handshake line parser", () => {
  test("arbitrary text: a handshake or a typed error naming the plugin", () => {
    fc.assert(
      fc.property(anyText, (line) => {
        valueOrTypedError(() => parseHandshakeLine(line, { plugin: "p", offeredVersions: [1, 2] }), "p");
      }),
      runs,
    );
  });

  test("pipe-separated fields near the grammar", () => {
    fc.assert(
      fc.property(fc.array(field, { maxLength: 9 }), (fields) => {
        const line = fields.join("|");
        valueOrTypedError(() => parseHandshakeLine(line, { plugin: "p", offeredVersions: [1] }), "p");
      }),
      runs,
    );
  });

  test("what a plugin formats, the host parses back", () => {
    const address = fc.stringMatching(/^\/[a-z0-9/_.-]{1,80}$/);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        address,
        fc.option(fc.boolean(), { nil: undefined }),
        (v, a, mux) => {
          const line = formatHandshakeLine({ appVersion: v, network: "unix", address: a, multiplex: mux });
          const h = parseHandshakeLine(line.trimEnd(), { offeredVersions: [v] });
          expect(h).toMatchObject({ coreVersion: 1, appVersion: v, network: "unix", address: a, cert: "" });
        },
      ),
      runs,
    );
  });
});

describe("hclog line parser", () => {
  const levels = new Set(["trace", "debug", "info", "warn", "error"]);
  const jsonish = fc.oneof(
    anyText,
    fc.json(),
    fc
      .record(
        {
          "@level": fc.oneof(
            fc.constantFrom("trace", "debug", "info", "warn", "error", "TRACE"),
            fc.jsonValue(),
          ),
          "@message": fc.jsonValue(),
          "@timestamp": fc.oneof(fc.string(), fc.constant("2026-01-02T03:04:05.123456Z")),
          "@module": fc.jsonValue(),
        },
        { requiredKeys: [] },
      )
      .map((o) => JSON.stringify(o)),
  );

  test("never throws; always a level, a message and fields", () => {
    fc.assert(
      fc.property(jsonish, fc.boolean(), (line, withState) => {
        const entry = parseHclogLine(line, withState ? { crashed: false } : undefined);
        expect(levels.has(entry.level)).toBe(true);
        expect(typeof entry.message).toBe("string");
        expect(typeof entry.fields).toBe("object");
      }),
      runs,
    );
  });
});

describe("OCI reference parser", () => {
  const component = fc.stringMatching(/^[a-z0-9]{1,8}([._-][a-z0-9]{1,8}){0,2}$/);
  const near = fc
    .tuple(
      fc.option(fc.constantFrom("localhost:5000", "ghcr.io", "Reg.example", "[::1]:5000", "a..b", ":5000"), {
        nil: undefined,
      }),
      fc.array(fc.oneof(component, fc.string({ maxLength: 10 })), { minLength: 1, maxLength: 4 }),
      fc.option(fc.oneof(fc.stringMatching(/^[\w][\w.-]{0,20}$/), fc.string({ maxLength: 10 })), {
        nil: undefined,
      }),
      fc.option(fc.oneof(fc.stringMatching(/^sha256:[0-9a-f]{64}$/), fc.string({ maxLength: 20 })), {
        nil: undefined,
      }),
    )
    .map(
      ([reg, path, tag, digest]) =>
        `${reg ? `${reg}/` : ""}${path.join("/")}${tag !== undefined ? `:${tag}` : ""}${digest !== undefined ? `@${digest}` : ""}`,
    );

  test("arbitrary and near-miss references: a reference or CONFIG_INVALID", () => {
    fc.assert(
      fc.property(fc.oneof(anyText, near), (input) => {
        const out = valueOrTypedError(() => parseReference(input));
        if (out instanceof PlugwireError) expect(out.code).toBe(ContractErrorCode.ConfigInvalid);
        else expect(parseReference(out.toString()).toString()).toBe(out.toString());
      }),
      runs,
    );
  });
});

describe("agent config loader", () => {
  const value = fc.oneof(fc.jsonValue(), fc.constantFrom(null, 0, 2, "1", "x", [], {}));
  const plugin = fc.record(
    {
      source: fc.oneof(fc.constantFrom("./p", "oci://localhost:5000/a/b:1", "https://x/y"), fc.string()),
      protocol_version: value,
      config: fc.dictionary(fc.string({ maxLength: 6 }), value, { maxKeys: 3 }),
      policies: value,
      schedule: value,
    },
    { requiredKeys: [] },
  );
  const doc = fc
    .record(
      {
        plugins: fc.oneof(
          fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(plugin, value), { maxKeys: 3 }),
          value,
        ),
        daemon: value,
        api: value,
        verbosity: value,
      },
      { requiredKeys: [] },
    )
    .map((o) => stringify(o));

  test("arbitrary text and YAML shaped like a config: a config or CONFIG_INVALID", () => {
    fc.assert(
      fc.property(fc.oneof(anyText, doc), (text) => {
        const out = valueOrTypedError(() =>
          parseAgentConfig(text, { file: "/tmp/chaos-config.yaml", env: {} }),
        );
        if (out instanceof PlugwireError) expect(out.code).toBe(ContractErrorCode.ConfigInvalid);
      }),
      runs,
    );
  });
});
