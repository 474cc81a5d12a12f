import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { KV } from "../../../../examples/go-plugin-kv/src/gen/kv/kv_pb.js";
import { goBin, goFixtures, repoRoot } from "../support/go-fixtures.js";
import { testHost } from "../support/harness.js";
import { alive, waitUntil } from "../support/leaks.js";

const versions = { 1: { kv: KV } };

describe.skipIf(!goFixtures.ok)("lifecycle", () => {
  test("close is idempotent and concurrent-safe; kill() forces", async () => {
    const { host, env } = testHost({ versions });
    const a = await host.launch({ name: "a", command: goBin("kv-plugin"), env });
    const [x, y] = await Promise.all([a.close(), a.close()]);
    expect(x).toBe(y);
    expect(await a.close()).toBe(x);
    const b = await host.launch({ name: "b", command: goBin("kv-plugin"), env });
    const exit = await b.kill();
    expect(exit).toMatchObject({ forced: true, signal: "SIGKILL" });
    await expect(b.clients.kv.get({ key: "x" })).rejects.toThrow();
  });

  test("host.close() closes every plugin; await using disposes", async () => {
    const { host, env } = testHost({ versions });
    const ps = await Promise.all(
      [1, 2, 3].map((i) => host.launch({ name: `p${i}`, command: goBin("kv-plugin"), env })),
    );
    expect(host.plugins.size).toBe(3);
    {
      await using extra = await host.launch({ name: "scoped", command: goBin("kv-plugin"), env });
      await extra.ping();
    }
    await host.close();
    for (const p of ps) expect(p.exit?.forced).toBe(false);
    expect(host.plugins.size).toBe(0);
  });

  test("a plugin that dies is noticed: exited settles and the signal aborts", async () => {
    const { host, env } = testHost({ versions });
    const p = await host.launch({ name: "victim", command: goBin("kv-plugin"), env });
    process.kill(p.pid as number, "SIGKILL");
    const exit = await p.exited;
    expect(exit.signal).toBe("SIGKILL");
    expect(p.signal.aborted).toBe(true);
  });

  for (const mode of ["exit", "throw", "sigterm", "sigint"] as const) {
    test(`host process ${mode} without closing: the plugin group is killed`, async () => {
      const { env } = testHost({ versions });
      const script = join(repoRoot, "packages/host/test/fixtures/host-exit.mjs");
      const child = spawn(process.execPath, [script, mode, goBin("kv-plugin")], {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "inherit"],
      });
      const pid = await new Promise<number>((resolve, reject) => {
        child.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim())));
        child.once("exit", (code) => reject(new Error(`host fixture exited early (${code})`)));
      });
      expect(pid).toBeGreaterThan(0);
      if (mode === "sigterm") child.kill("SIGTERM");
      if (mode === "sigint") child.kill("SIGINT");
      await new Promise((r) => child.once("exit", r));
      expect(await waitUntil(() => !alive(pid), 2000)).toBe(true);
    });
  }
});
