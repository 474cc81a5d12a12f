// The plugin process's own behaviour: cookie check, SIGINT/SIGTERM, dying with its host, and our
// launchPluginProcess (plain and AutoMTLS) against the built KV example.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { COOKIE_MISMATCH_MESSAGE, health } from "@plugwire/contract";
import { KnownHandshakes } from "@plugwire/plugin-sdk";
import { launchPluginProcess } from "@plugwire/plugin-sdk/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { KV } from "../../../examples/go-plugin-kv/src/gen/kv/kv_pb.js";
import { alive, waitUntil } from "../../host/test/support/leaks.js";
import { repoRoot } from "./support/conformance.js";
import { reapAll, run, track } from "./support/processes.js";

const kvPlugin = join(repoRoot, "examples/go-plugin-kv/bin/kv-plugin");
const tinyHost = join(import.meta.dirname, "fixtures/tiny-host.mjs");
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "pw-proc-"));
  dirs.push(dir);
  return dir;
};

afterEach(async () => {
  expect(await reapAll()).toBe(0);
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("cookie check", () => {
  it("without the cookie: exactly go-plugin's three lines on stderr, nothing on stdout, exit 1", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PLUGIN_PROTOCOL_VERSIONS: "1" };
    delete env.BASIC_PLUGIN;
    const res = await run(kvPlugin, [], { env });
    expect(res).toEqual({ code: 1, stdout: "", stderr: COOKIE_MISMATCH_MESSAGE });
  });

  it("with a wrong cookie value: the same", async () => {
    const res = await run(kvPlugin, [], { env: { ...process.env, BASIC_PLUGIN: "nope" } });
    expect(res).toEqual({ code: 1, stdout: "", stderr: COOKIE_MISMATCH_MESSAGE });
  });
});

describe("launchPluginProcess (a real PluginHost) + serve()", () => {
  it.each([false, true])(
    "autoMtls=%s: handshake, calls, graceful close removes the socket",
    async (autoMtls) => {
      const plugin = await launchPluginProcess({
        command: kvPlugin,
        handshake: KnownHandshakes.goPluginExample,
        versions: [1],
        autoMtls,
      });
      const socket = plugin.plugin.reattachConfig().addr.string;
      expect(existsSync(socket)).toBe(true);
      const kv = plugin.client(KV);
      await kv.put({ key: "k", value: new TextEncoder().encode("v") });
      expect(new TextDecoder().decode((await kv.get({ key: "k" })).value)).toBe("v");
      const status = await plugin.client(health.Health).check({ service: "plugin" });
      expect(status.status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
      expect(await plugin.close()).toEqual({ code: 0, signal: null, forced: false });
      expect(existsSync(dirname(socket))).toBe(false);
    },
  );

  it("ignores SIGINT like Go plugins and stops gracefully on SIGTERM", async () => {
    const plugin = await launchPluginProcess({
      command: kvPlugin,
      handshake: KnownHandshakes.goPluginExample,
      versions: [1],
    });
    const socket = plugin.plugin.reattachConfig().addr.string;
    process.kill(plugin.pid, "SIGINT");
    // Still serving after the interrupt was delivered and handled:
    const handled = await waitUntil(
      () => plugin.logs().includes("plugin received interrupt signal, ignoring"),
      5000,
    );
    expect(handled).toBe(true);
    await plugin.client(health.Health).check({ service: "plugin" });
    process.kill(plugin.pid, "SIGTERM");
    expect(await plugin.plugin.exited).toEqual({ code: 0, signal: null, forced: false });
    expect(existsSync(socket)).toBe(false);
    await plugin.close();
  });
});

describe("the plugin exits when its host dies", () => {
  it("host SIGKILLed → plugin gone within 2 s", async () => {
    const dir = tempDir();
    const host = track(
      spawn(process.execPath, [tinyHost, kvPlugin], {
        env: { ...process.env, TMPDIR: dir, PLUGIN_UNIX_SOCKET_DIR: dir },
        stdio: ["ignore", "pipe", "inherit"],
      }),
    );
    const [line] = await Promise.race([
      createInterface({ input: host.stdout as NodeJS.ReadableStream })
        [Symbol.asyncIterator]()
        .next()
        .then((r) => [r.value as string]),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("tiny host printed no pid")), 30_000),
      ),
    ]);
    const { pid } = JSON.parse(line ?? "") as { pid: number };
    expect(alive(pid)).toBe(true);
    host.kill("SIGKILL");
    const killedAt = performance.now();
    expect(await waitUntil(() => !alive(pid), 5000)).toBe(true);
    expect(performance.now() - killedAt).toBeLessThan(2000);
    // The plugin stopped gracefully: its socket is gone (only the dead host's own temp dir remains).
    expect(readdirSync(dir).filter((name) => name.startsWith("plugin"))).toEqual([]);
  });
});
