// The host app end to end: started on an ephemeral loopback port with a real KV plugin behind it
// (the TypeScript one, and go-plugin's Go one when Go is available), called over HTTP, shut down:
// server closed, plugin process gone.
import { join } from "node:path";
import { silentLogger } from "@plugwire/host";
import { describe, expect, it } from "vitest";
import { goBin, goFixtures, repoRoot } from "../../../packages/host/test/support/go-fixtures.js";
import { alive, descendants } from "../../../packages/host/test/support/leaks.js";
import { startHostApp } from "../src/host-app.js";

const plugins = [
  {
    label: "TypeScript KV plugin",
    command: join(repoRoot, "examples/go-plugin-kv/bin/kv-plugin"),
    go: false,
  },
  { label: "go-plugin's Go KV plugin", command: goBin("kv-plugin"), go: true },
];

describe("host-app: HTTP in front of PluginHost", () => {
  for (const { label, command, go } of plugins) {
    it.skipIf(go && !goFixtures.ok)(`PUT then GET /kv/:key through the ${label}`, async () => {
      const app = await startHostApp({ plugin: { command }, logger: silentLogger });
      const pid = app.plugin.pid;
      try {
        expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const put = await fetch(`${app.url}/kv/greeting`, { method: "PUT", body: "hello, plugin" });
        expect(put.status).toBe(204);
        const got = await fetch(`${app.url}/kv/greeting`);
        expect(got.status).toBe(200);
        expect(await got.text()).toBe("hello, plugin");
        const missing = await fetch(`${app.url}/kv/nothing-here`);
        expect(missing.status).toBe(404);
        await missing.text();
        const wrong = await fetch(`${app.url}/kv/greeting`, { method: "DELETE" });
        expect([wrong.status, wrong.headers.get("allow")]).toEqual([405, "GET, PUT"]);
        await wrong.text();
      } finally {
        await app.close();
      }
      expect(alive(pid as number)).toBe(false);
      expect(descendants()).toEqual([]);
      await expect(fetch(`${app.url}/kv/greeting`)).rejects.toThrow();
    });
  }
});
