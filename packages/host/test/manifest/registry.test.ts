import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { parseManifest } from "../../src/manifest/manifest.js";
import { manifestIsolation, scanPluginDirs } from "../../src/manifest/registry.js";
import { versions } from "../isolation/probe.js";
import { captureLogger } from "../support/capture-logger.js";
import { goBin, goFixtures, tempRoot } from "../support/go-fixtures.js";
import { testHost } from "../support/harness.js";

const roots: ReturnType<typeof tempRoot>[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) {
    r.remove();
    expect(() => r.entries()).toThrow(/ENOENT/);
  }
});

function pluginDir(base: string, dir: string, file: string, content: unknown): string {
  const path = join(base, dir);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, file), typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

const good = { apiVersion: "plugwire/v1", name: "kv", version: "1.2.3", command: "kv-plugin" };

describe("plugin manifests", () => {
  test("valid JSON and YAML manifests parse; network defaults to false", () => {
    expect(parseManifest(JSON.stringify(good), "plugwire.json")).toEqual({
      ok: true,
      manifest: { ...good, network: false },
    });
    const yaml =
      "apiVersion: plugwire/v1\nname: kv_2\nversion: 2.0.0-rc.1+build.5\ncommand: bin/run\nnetwork: true\n";
    expect(parseManifest(yaml, "plugwire.yaml")).toMatchObject({
      ok: true,
      manifest: { name: "kv_2", network: true },
    });
  });

  test("every reason a manifest is rejected is reported", () => {
    const bad = {
      apiVersion: "plugwire/v9",
      name: "../evil",
      version: "1.2",
      command: "/usr/bin/env",
      network: "yes",
      isolation: { timeoutMs: 600_000, memoryBytes: 8e9, sandbox: "docker" },
    };
    const result = parseManifest(JSON.stringify(bad), "plugwire.json", {
      maxTimeoutMs: 60_000,
      maxMemoryBytes: 1e9,
    });
    expect(result.ok).toBe(false);
    const reasons = result.ok ? [] : result.reasons;
    expect(reasons).toHaveLength(8);
    expect(reasons.join("\n")).toMatch(/apiVersion "plugwire\/v9" is not supported/);
    expect(reasons.join("\n")).toMatch(/name "..\/evil" must match/);
    expect(reasons.join("\n")).toMatch(/isolation.timeoutMs 600000 exceeds the host maximum 60000/);
    expect(reasons.join("\n")).toMatch(
      /isolation.memoryBytes 8000000000 exceeds the host maximum 1000000000/,
    );
    expect(parseManifest("{nope", "plugwire.json")).toMatchObject({
      ok: false,
      reasons: [expect.stringMatching(/not valid JSON/)],
    });
  });

  test("the registry scans dirs in order: later dirs win (logged), rejects are listed with reasons", async () => {
    const root = tempRoot();
    roots.push(root);
    const a = join(root.path, "system");
    const b = join(root.path, "user");
    pluginDir(a, "kv", "plugwire.json", good);
    pluginDir(
      a,
      "other",
      "plugwire.yml",
      "apiVersion: plugwire/v1\nname: other\nversion: 0.1.0\ncommand: run\n",
    );
    pluginDir(b, "kv-newer", "plugwire.json", { ...good, version: "1.3.0" });
    pluginDir(b, "broken", "plugwire.json", { ...good, name: "bad name" });
    mkdirSync(join(b, "no-manifest"));
    const logger = captureLogger();
    const registry = await scanPluginDirs([a, b, join(root.path, "missing")], { logger });
    expect([...registry.plugins.keys()].sort()).toEqual(["kv", "other"]);
    expect(registry.plugins.get("kv")).toMatchObject({
      dir: join(b, "kv-newer"),
      command: join(b, "kv-newer", "kv-plugin"),
    });
    expect(registry.plugins.get("kv")?.manifest.version).toBe("1.3.0");
    expect(registry.rejected).toEqual([
      {
        path: join(b, "broken", "plugwire.json"),
        reasons: [expect.stringMatching(/name "bad name" must match/)],
      },
    ]);
    const override = logger.entries.find((e) => /overrides/.test(e.message));
    expect(override?.fields).toMatchObject({ plugin: "kv", overridden: join(a, "kv", "plugwire.json") });
  });

  test.skipIf(!goFixtures.ok)(
    "a registered plugin launches with the isolation its manifest declares",
    async () => {
      const { host, env, root } = testHost({ versions });
      const dir = pluginDir(root, "kv", "plugwire.json", {
        ...good,
        isolation: { memoryBytes: 512 * 1024 * 1024 },
      });
      symlinkSync(goBin("kv-plugin"), join(dir, "kv-plugin"));
      const { plugins } = await scanPluginDirs([root]);
      const entry = plugins.get("kv");
      if (!entry) throw new Error("kv not registered");
      const p = await host.launch({
        name: entry.manifest.name,
        command: entry.command,
        env,
        isolation: manifestIsolation(entry.manifest),
      });
      await p.ping();
      const limits = readFileSync(`/proc/${p.pid}/limits`, "utf8");
      expect(limits).toMatch(/Max data size\s+536870912\s+536870912\s+bytes/);
    },
  );
});
