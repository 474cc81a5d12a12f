import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { globToRegExp, snapshotForbiddenPaths } from "../../src/isolation/forbidden-paths.js";
import { bwrapUnavailable } from "../../src/isolation/sandbox/bwrap.js";
import { tempRoot } from "../support/go-fixtures.js";
import { testHost } from "../support/harness.js";
import { probePlugin, put, versions } from "./probe.js";

const noBwrap = await bwrapUnavailable(true);
if (noBwrap && process.env.CI === "true") throw new Error(`bwrap must work in CI: ${noBwrap}`);

/**
 * The probe launched in a work dir with a key file, a secrets dir and a file anyone may change,
 * with `*.pem` and `secrets` forbidden; `sandboxed` adds bwrap with the work dir writable.
 */
async function launchWriter(sandboxed: boolean) {
  const { host, env, root } = testHost({ versions });
  const cwd = join(root, "work");
  mkdirSync(join(cwd, "secrets"), { recursive: true });
  writeFileSync(join(cwd, "id.pem"), "original key\n");
  writeFileSync(join(cwd, "secrets", "token"), "original token\n");
  writeFileSync(join(cwd, "notes.txt"), "free to change\n");
  const forbidden = ["*.pem", "secrets"];
  const isolation = sandboxed ? { sandbox: "bwrap" as const, writable: [cwd], forbidden } : { forbidden };
  const p = await host.launch({ name: "writer", command: probePlugin, env, cwd, isolation });
  return { p, cwd };
}

describe("isolation: forbidden paths", () => {
  test("globs match the whole relative path: anchored, * within a segment, ** across", () => {
    expect(globToRegExp("*.pem").test("id.pem")).toBe(true);
    expect(globToRegExp("*.pem").test("sub/id.pem")).toBe(false);
    expect(globToRegExp("*.pem").test("id.pem.bak")).toBe(false);
    expect(globToRegExp("**/*.pem").test("a/b/id.pem")).toBe(true);
    expect(globToRegExp("**/*.pem").test("id.pem")).toBe(true);
    expect(globToRegExp("secrets").test("my-secrets")).toBe(false);
    expect(globToRegExp("a?c").test("a/c")).toBe(false);
  });

  test("without a sandbox: writes, deletions and new files are reverted and reported", async () => {
    const { p, cwd } = await launchWriter(false);
    expect(await put(p, "write", "id.pem")).toBeUndefined();
    expect(await put(p, "delete", "secrets/token")).toBeUndefined();
    expect(await put(p, "write", "new.pem")).toBeUndefined();
    expect(await put(p, "write", "notes.txt")).toBeUndefined();
    const exit = await p.close();
    expect(exit.violations).toEqual(["id.pem", "new.pem", "secrets/token"]);
    expect(readFileSync(join(cwd, "id.pem"), "utf8")).toBe("original key\n");
    expect(readFileSync(join(cwd, "secrets", "token"), "utf8")).toBe("original token\n");
    expect(() => readFileSync(join(cwd, "new.pem"))).toThrow(/ENOENT/);
    // Not forbidden: the plugin's change stays.
    expect(readFileSync(join(cwd, "notes.txt"), "utf8")).toBe("changed by the plugin\n");
  });

  test.skipIf(!!noBwrap)(
    "under bwrap: forbidden files are read-only, the rest of the work dir writable",
    async () => {
      const { p, cwd } = await launchWriter(true);
      expect(String(await put(p, "write", "id.pem"))).toMatch(/EROFS|read-only/i);
      expect(String(await put(p, "delete", "secrets/token"))).toMatch(/EROFS|EBUSY|read-only/i);
      expect(await put(p, "write", "notes.txt")).toBeUndefined();
      const exit = await p.close();
      expect(exit.violations).toBeUndefined();
      expect(readFileSync(join(cwd, "id.pem"), "utf8")).toBe("original key\n");
      expect(readFileSync(join(cwd, "secrets", "token"), "utf8")).toBe("original token\n");
      expect(readFileSync(join(cwd, "notes.txt"), "utf8")).toBe("changed by the plugin\n");
    },
  );

  test("the snapshot restores large files, modes and symlinks, and removes its copies", async () => {
    const root = tempRoot();
    try {
      const dir = join(root.path, "w");
      const store = join(root.path, "store");
      mkdirSync(dir);
      mkdirSync(store);
      const big = join(dir, "big.bin");
      const size = 32 * 1024 * 1024;
      writeFileSync(big, Buffer.alloc(size, 7), { mode: 0o640 });
      symlinkSync("big.bin", join(dir, "link.bin"));
      const guard = await snapshotForbiddenPaths({
        workDir: dir,
        patterns: ["*.bin"],
        plugin: "t",
        storeRoot: store,
      });
      // Same size, last byte changed: only the content hash can tell.
      writeFileSync(big, Buffer.concat([Buffer.alloc(size - 1, 7), Buffer.from([8])]));
      chmodSync(big, 0o666);
      unlinkSync(join(dir, "link.bin"));
      expect(await guard.checkAndRevert()).toEqual(["big.bin", "link.bin"]);
      expect(readFileSync(big).every((b) => b === 7)).toBe(true);
      expect(statSync(big).mode & 0o777).toBe(0o640);
      expect(readlinkSync(join(dir, "link.bin"))).toBe("big.bin");
      expect(await guard.checkAndRevert()).toEqual([]);
      await guard.dispose();
      expect(readdirSync(store)).toEqual([]);
    } finally {
      root.remove();
    }
  });

  test("patterns must stay inside the work dir", async () => {
    await expect(
      snapshotForbiddenPaths({ workDir: "/tmp", patterns: ["../etc/*"], plugin: "t" }),
    ).rejects.toMatchObject({ code: "CONFIG_INVALID", plugin: "t" });
  });
});
