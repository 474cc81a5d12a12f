import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { PlugwireError } from "../../src/index.js";
import { bwrapUnavailable } from "../../src/isolation/sandbox/bwrap.js";
import { goBin, goFixtures } from "../support/go-fixtures.js";
import { testHost } from "../support/harness.js";
import { descendants } from "../support/leaks.js";
import { get, probePlugin, put, tsKvPlugin, versions } from "./probe.js";

const noBwrap = await bwrapUnavailable(false);
if (noBwrap && process.env.CI === "true") throw new Error(`bwrap must work in CI: ${noBwrap}`);

describe("isolation: sandbox levels", () => {
  test("node: the permission model allows the socket dir and the write allowlist, denies the rest", async () => {
    const { host, env, root } = testHost({ versions });
    const allowed = join(root, "out");
    mkdirSync(allowed);
    const p = await host.launch({
      name: "node-boxed",
      command: probePlugin,
      env,
      cwd: root,
      isolation: { sandbox: "node", writable: [allowed] },
    });
    expect(await put(p, "write", join(allowed, "ok.txt"))).toBeUndefined();
    expect(readFileSync(join(allowed, "ok.txt"), "utf8")).toBe("changed by the plugin\n");
    expect(String(await put(p, "write", join(root, "escape.txt")))).toMatch(/ERR_ACCESS_DENIED|restricted/);
    // Child processes are outside the permission model's grant.
    expect(String(await put(p, "fork"))).toMatch(/ERR_ACCESS_DENIED|restricted/);
    await p.close();
  });

  test("node: the TS kv example runs under it unchanged", async () => {
    const { host, env } = testHost({ versions });
    const p = await host.launch({ name: "ts-kv", command: tsKvPlugin, env, isolation: { sandbox: "node" } });
    await p.clientsFor(1)?.kv.put({ key: "a", value: new TextEncoder().encode("1") });
    expect(await get(p, "a")).toBe("1");
  });

  test.skipIf(!!noBwrap || !goFixtures.ok)(
    "bwrap without network: the Go plugin still serves over its socket",
    async () => {
      const { host, env, root } = testHost({ versions });
      const p = await host.launch({
        name: "go-boxed",
        command: goBin("kv-plugin"),
        env,
        cwd: root,
        isolation: { sandbox: "bwrap", network: false },
      });
      await p.clientsFor(1)?.kv.put({ key: "k", value: new TextEncoder().encode("v") });
      expect(await get(p, "k")).toBe("v");
      // Its network namespace is empty: only loopback, and that is down.
      // p.pid is bwrap's; the plugin runs as its descendant inside the namespaces.
      const inner = descendants(p.pid as number).find(
        (pid) => readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "kv-plugin",
      );
      const dev = readFileSync(`/proc/${inner}/net/dev`, "utf8");
      expect(
        dev
          .split("\n")
          .filter((l) => l.includes(":"))
          .map((l) => l.split(":")[0]?.trim()),
      ).toEqual(["lo"]);
    },
  );

  test.skipIf(!!noBwrap)("bwrap: / is read-only and /tmp private for a TS plugin", async () => {
    const { host, env, root } = testHost({ versions });
    const p = await host.launch({
      name: "ts-boxed",
      command: probePlugin,
      env,
      isolation: { sandbox: "bwrap" },
    });
    expect(String(await put(p, "write", join(root, "x.txt")))).toMatch(/ENOENT|EROFS|read-only/);
    expect(String(await put(p, "write", "/usr/pw-test"))).toMatch(/EROFS|read-only/);
    expect(await put(p, "write", "/tmp/private.txt")).toBeUndefined();
    expect(() => readFileSync("/tmp/private.txt")).toThrow(/ENOENT/);
  });

  test.skipIf(!goFixtures.ok)(
    "an unavailable level fails with a typed error unless a fallback is configured",
    async () => {
      const { host, env, logger } = testHost({ versions });
      const err = await host
        .launch({ name: "go-node", command: goBin("kv-plugin"), env, isolation: { sandbox: "node" } })
        .catch((e: unknown) => e);
      expect(PlugwireError.is(err, "SANDBOX_UNAVAILABLE")).toBe(true);
      expect((err as PlugwireError).plugin).toBe("go-node");
      expect((err as Error).message).toMatch(/needs a Node plugin/);

      const p = await host.launch({
        name: "go-fallback",
        command: goBin("kv-plugin"),
        env,
        isolation: { sandbox: "node", sandboxFallback: "none" },
      });
      await p.ping();
      const warning = logger.entries.find((e) => e.level === "warn" && /unavailable/.test(e.message));
      expect(warning?.fields).toMatchObject({ plugin: "go-fallback", requested: "node", fallback: "none" });
    },
  );
});
