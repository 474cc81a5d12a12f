import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";
import { KV } from "../../../../examples/go-plugin-kv/src/gen/kv/kv_pb.js";
import { goBin, goFixtures, repoRoot } from "../support/go-fixtures.js";
import { testHost } from "../support/harness.js";

const run = promisify(execFile);
const enc = new TextEncoder();
const dec = new TextDecoder();

describe.skipIf(!goFixtures.ok)("PluginHost runs go-plugin KV plugins", () => {
  const cases = [
    { label: "go-plugin v1.8, plain", bin: "kv-plugin", autoMtls: false },
    { label: "go-plugin v1.8, AutoMTLS", bin: "kv-plugin", autoMtls: true },
    { label: "go-plugin v1.0.1, plain", bin: "kv-plugin-v1_0", autoMtls: false },
    { label: "go-plugin v1.0.1, AutoMTLS", bin: "kv-plugin-v1_0", autoMtls: true },
  ];
  for (const c of cases) {
    test(`${c.label}: put/get round trip, graceful close`, async () => {
      const { host, env, logger } = testHost({ versions: { 1: { kv: KV } }, autoMtls: c.autoMtls });
      const plugin = await host.launch({ name: "kv", command: goBin(c.bin), env });
      expect(plugin.negotiatedVersion).toBe(1);
      const kv = plugin.clients.kv;
      await kv.put({ key: "greeting", value: enc.encode(`hello ${c.label}`) });
      expect(dec.decode((await kv.get({ key: "greeting" })).value)).toBe(`hello ${c.label}`);
      await plugin.ping();
      const exit = await plugin.close();
      // Graceful path: controller Shutdown made it exit on its own, no SIGKILL needed.
      expect(exit).toEqual({ code: 0, signal: null, forced: false });
      expect(plugin.signal.aborted).toBe(true);
      // Plugin stderr (hclog JSON) reached the host logger, tagged with the plugin name.
      expect(logger.entries.some((e) => e.fields.plugin === "kv" && e.message === "kv plugin starting")).toBe(
        true,
      );
    });
  }

  const kvHost = (env: Record<string, string>, ...args: string[]) =>
    run(`${repoRoot}/examples/go-plugin-kv/bin/kv-host`, args, { env: { ...process.env, ...env } });

  test("examples/go-plugin-kv/bin/kv-host against Go plugins (v1.8 plain + mTLS, v1.0.1)", async () => {
    const { env } = testHost({ versions: { 1: { kv: KV } } });
    for (const [bin, mtls] of [
      ["kv-plugin", "0"],
      ["kv-plugin", "1"],
      ["kv-plugin-v1_0", "0"],
    ] as const) {
      const { stdout } = await kvHost(
        { ...env, KV_PLUGIN: goBin(bin), KV_MTLS: mtls },
        "roundtrip",
        "k",
        `v-${bin}-${mtls}`,
      );
      expect(stdout).toBe(`v-${bin}-${mtls}\n`);
    }
    await expect(kvHost({ ...env, KV_PLUGIN: goBin("kv-plugin") }, "put", "k", "v")).resolves.toMatchObject({
      stdout: "",
    });
    await expect(kvHost({ ...env, KV_PLUGIN: goBin("kv-plugin") }, "bogus")).rejects.toMatchObject({
      code: 2,
    });
    await expect(kvHost({ ...env, KV_PLUGIN: goBin("junk-plugin") }, "get", "k")).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("HANDSHAKE_INVALID: plugin kv: unrecognized handshake line"),
    });
  });

  test("reattach: a second host talks to a running plugin without owning it", async () => {
    const { host, env } = testHost({ versions: { 1: { kv: KV } } });
    const { host: other } = testHost({ versions: { 1: { kv: KV } } });
    const plugin = await host.launch({ name: "kv", command: goBin("kv-plugin"), env });
    await plugin.clients.kv.put({ key: "x", value: enc.encode("shared") });
    const config = { ...plugin.reattachConfig(), test: true };
    expect(config).toMatchObject({ protocol: "grpc", protocolVersion: 1, addr: { network: "unix" } });
    const attached = await other.reattach("kv-again", config);
    expect(dec.decode((await attached.clients.kv.get({ key: "x" })).value)).toBe("shared");
    await attached.close({ graceMs: 0 }).catch(() => {});
    expect(plugin.exit).toBeUndefined();
  });
});
