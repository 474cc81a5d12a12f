// Runner protocol resolution: explicit config wins; OCI annotation (injectable lookup, bounded); else 1.
import { describe, expect, test } from "vitest";
import {
  isOciSource,
  PROTOCOL_ANNOTATION,
  type ProtocolAnnotationLookup,
  resolveProtocol,
} from "../../src/index.js";
import { captureLogger } from "../support/capture-logger.js";

const oci = "ghcr.io/acme/runner:1.2.3";

function lookupOf(answer: () => Promise<string | undefined>) {
  const calls: string[] = [];
  const lookup: ProtocolAnnotationLookup = (source) => {
    calls.push(source);
    return answer();
  };
  return { lookup, calls };
}

describe("resolveProtocol", () => {
  test("an explicit protocol_version wins without asking the registry", async () => {
    const { lookup, calls } = lookupOf(async () => "1");
    const logger = captureLogger();
    for (const configured of [1, 2, "auto"] as const)
      expect(await resolveProtocol({ plugin: "p", source: oci, configured, lookup, logger })).toBe(
        configured,
      );
    expect(calls).toEqual([]);
  });

  test("local sources default to 1; OCI sources read the annotation", async () => {
    const logger = captureLogger();
    const two = lookupOf(async () => "2");
    expect(
      await resolveProtocol({
        plugin: "p",
        source: "./bin/p",
        configured: undefined,
        lookup: two.lookup,
        logger,
      }),
    ).toBe(1);
    expect(two.calls).toEqual([]);
    expect(
      await resolveProtocol({ plugin: "p", source: oci, configured: undefined, lookup: two.lookup, logger }),
    ).toBe(2);
    expect(two.calls).toEqual([oci]);
    const none = lookupOf(async () => undefined);
    expect(
      await resolveProtocol({ plugin: "p", source: oci, configured: undefined, lookup: none.lookup, logger }),
    ).toBe(1);
    expect(await resolveProtocol({ plugin: "p", source: oci, configured: undefined, logger })).toBe(1);
    expect(logger.entries.filter((e) => e.level === "warn")).toEqual([]);
  });

  test("an invalid, unreadable or late annotation is a warning and protocol 1", async () => {
    const cases: [string, ProtocolAnnotationLookup, string][] = [
      ["invalid", async () => "3", 'invalid runner protocol annotation (want "1" or "2"); using protocol 1'],
      [
        "unreadable",
        async () => Promise.reject(new Error("401 unauthorized")),
        "cannot read the runner protocol annotation; using protocol 1",
      ],
      [
        "late",
        () => new Promise<undefined>(() => {}),
        "cannot read the runner protocol annotation; using protocol 1",
      ],
    ];
    for (const [name, lookup, message] of cases) {
      const logger = captureLogger();
      const got = await resolveProtocol({
        plugin: "p",
        source: oci,
        configured: undefined,
        lookup,
        timeoutMs: 50,
        logger,
      });
      expect(got, name).toBe(1);
      expect(
        logger.entries.filter((e) => e.level === "warn").map((e) => [e.message, e.fields.annotation]),
      ).toEqual([[message, PROTOCOL_ANNOTATION]]);
    }
    const logger = captureLogger();
    await resolveProtocol({
      plugin: "p",
      source: oci,
      configured: undefined,
      lookup: () => new Promise(() => {}),
      timeoutMs: 50,
      logger,
    });
    expect(logger.entries[0]?.fields.error).toBe("no answer within 50 ms");
  });

  test("the caller's abort is not swallowed as a fallback", async () => {
    const controller = new AbortController();
    controller.abort(new Error("shutting down"));
    const result = resolveProtocol({
      plugin: "p",
      source: oci,
      configured: undefined,
      lookup: () => new Promise(() => {}),
      logger: captureLogger(),
      signal: controller.signal,
    });
    await expect(result).rejects.toThrow("shutting down");
  });

  test("isOciSource", () => {
    for (const s of [oci, "oci://x/y", "localhost:5000/a/b", "registry.example.com/a@sha256:abc"])
      expect(isOciSource(s), s).toBe(true);
    for (const s of ["./bin/p", "/opt/p", "../p", "bin/plugin", "plugin", "~/p"])
      expect(isOciSource(s), s).toBe(false);
  });
});
