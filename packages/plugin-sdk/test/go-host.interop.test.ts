// Interop: plugins built with this SDK, run by REAL go-plugin hosts (conformance/, go-plugin v1.8 and
// v1.0.1). Each host run gets PLUGIN_UNIX_SOCKET_DIR / TMPDIR in a fresh temp dir that must be empty
// afterwards (the plugin removed its socket on a graceful Kill).
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { conformanceBin, inCI, prepareConformance, repoRoot } from "./support/conformance.js";
import { reapAll, run } from "./support/processes.js";

const kvPlugin = join(repoRoot, "examples/go-plugin-kv/bin/kv-plugin");
const noisyPlugin = join(import.meta.dirname, "fixtures/noisy-kv-plugin.mjs");
const counterPlugin = join(import.meta.dirname, "fixtures/counter-plugin.mjs");

interface HostResult {
  ok: boolean;
  value?: string | number;
  killMs?: number;
  forcedKill?: boolean;
  stdout?: string;
  stderr?: string;
  error?: string;
}

let skipReason: string | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  skipReason = await prepareConformance(["kv-host", "counter-host"]);
  if (skipReason) console.warn(`skipping go-plugin interop tests: ${skipReason}`);
});

afterEach(async () => {
  expect(await reapAll()).toBe(0);
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs a Go host program and returns its JSON result. `probeLeftovers`: sockets of plugins a probe
 * SIGKILLed on purpose (a Go plugin killed that way leaves its socket just the same).
 */
async function runHost(host: string, args: readonly string[], probeLeftovers = 0): Promise<HostResult> {
  const dir = mkdtempSync(join(tmpdir(), "pw-go-"));
  dirs.push(dir);
  const env = { ...process.env, PLUGIN_UNIX_SOCKET_DIR: dir, TMPDIR: dir };
  const result = await run(join(conformanceBin, host), args, { env, timeoutMs: 60_000 });
  const line = result.stdout.trim().split("\n").at(-1) ?? "";
  let parsed: HostResult;
  try {
    parsed = JSON.parse(line) as HostResult;
  } catch {
    throw new Error(`${host} printed no JSON result (exit ${result.code}); stderr:\n${result.stderr}`);
  }
  if (!parsed.ok) throw new Error(`${host} failed: ${parsed.error}\nstderr:\n${result.stderr}`);
  expect(readdirSync(dir), "sockets left behind").toHaveLength(probeLeftovers);
  return parsed;
}

describe("go-plugin v1.8 host runs the TypeScript KV plugin", () => {
  it.each([
    ["plain", []],
    ["AutoMTLS", ["--mtls"]],
  ])("%s: put/get round-trip and a graceful Kill", async (_name, flags) => {
    if (skipReason) return;
    const res = await runHost("kv-host", [...flags, "--plugin", kvPlugin, "roundtrip", "greeting", "hello"]);
    expect(res.value).toBe("hello");
    expect(res.forcedKill).toBe(false);
    expect(res.killMs).toBeLessThan(2000);
  });

  it("passes the legacy (< v1.6) six-field handshake check", async () => {
    if (skipReason) return;
    // The probe SIGKILLs its plugin process group right after reading the line: one socket stays.
    const res = await runHost("kv-host", ["--legacy-check", "--plugin", kvPlugin, "roundtrip", "k", "v"], 1);
    expect(res.value).toBe("v");
  });

  it("console.log at import time does not break the handshake; output during calls arrives via SyncStdout", async () => {
    if (skipReason) return;
    const res = await runHost("kv-host", ["--plugin", noisyPlugin, "roundtrip", "a", "b"]);
    expect(res.value).toBe("b");
    expect(res.stdout).toBe("noisy: put a\nnoisy: get a\n");
    expect(res.stderr).toBe("noisy: stderr during put a\n");
    expect(res.forcedKill).toBe(false);
  });
});

describe("go-plugin v1.0.1 host runs the TypeScript KV plugin", () => {
  it("plain: put/get round-trip", async (ctx) => {
    if (skipReason) return;
    const legacyReason = await prepareConformance(["kv-host-v1_0"]).catch((err: Error) => {
      if (inCI) throw err;
      return err.message;
    });
    if (legacyReason) ctx.skip(legacyReason);
    const res = await runHost("kv-host-v1_0", ["--plugin", kvPlugin, "roundtrip", "old", "host"]);
    expect(res.value).toBe("host");
    expect(res.forcedKill).toBe(false);
  });
});

describe("go-plugin v1.8 host drives the TypeScript counter plugin through the broker", () => {
  it.each([
    ["plain", []],
    ["AutoMTLS", ["--mtls"]],
  ])("%s: Put dials the host's AddHelperService by broker id", async (_name, flags) => {
    if (skipReason) return;
    const res = await runHost("counter-host", [
      ...flags,
      "--plugin",
      counterPlugin,
      "add",
      "k",
      "1",
      "2",
      "39",
    ]);
    expect(res.value).toBe(42);
    expect(res.forcedKill).toBe(false);
  });
});
