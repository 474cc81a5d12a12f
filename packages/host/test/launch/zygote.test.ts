import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterEach, describe, expect, test } from "vitest";
import { createZygotePool, type ExecSpec, type Spawner, zygoteScript } from "../../src/launch/zygote.js";
import { alive, descendants } from "../support/leaks.js";

const hasDash = existsSync("/bin/dash");
const base: ExecSpec = { command: "/usr/bin/env", args: [], env: {}, kind: "native" };

/** Runs one spawn to completion: stdout, stderr, exit code, and which program the fork ran first. */
async function run(pool: Spawner, spec: ExecSpec) {
  const child = pool.spawn(spec);
  const forked = child.spawnfile;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on("data", (d: Buffer) => out.push(d));
  child.stderr?.on("data", (d: Buffer) => err.push(d));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  return {
    child,
    forked,
    code,
    stdout: Buffer.concat(out).toString(),
    stderr: Buffer.concat(err).toString(),
  };
}

/** The first spawn of a pool is direct (nothing is pre-forked yet); this waits for the zygote it leaves. */
async function warm(pool: Spawner): Promise<void> {
  const first = await run(pool, { ...base, command: "/bin/true" });
  expect(first.forked).toBe("/bin/true");
  await new Promise((r) => setImmediate(r));
}

const pools: Spawner[] = [];
function pool(enabled = true): Spawner {
  const p = createZygotePool(enabled);
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe("zygoteScript: only what a zygote can exec exactly as a direct spawn", () => {
  test("falls back for inherited stdin, a watchdog fd, PATH lookups and unknown executables", () => {
    expect(zygoteScript(base)).toBeDefined();
    expect(zygoteScript({ ...base, stdin: "inherit" })).toBeUndefined();
    expect(zygoteScript({ ...base, watchdogPipe: true })).toBeUndefined();
    expect(zygoteScript({ ...base, command: "env" })).toBeUndefined();
    expect(zygoteScript({ ...base, kind: "unknown" })).toBeUndefined();
    expect(zygoteScript({ ...base, kind: undefined })).toBeUndefined();
  });

  test("falls back for environment names a shell cannot assign and for NUL bytes", () => {
    expect(zygoteScript({ ...base, env: { "my.var": "1" } })).toBeUndefined();
    expect(zygoteScript({ ...base, env: { "1A": "1" } })).toBeUndefined();
    expect(zygoteScript({ ...base, env: { A: "x\0y" } })).toBeUndefined();
    expect(zygoteScript({ ...base, args: ["x\0y"] })).toBeUndefined();
  });

  test("is one line with every word single-quoted", () => {
    const script = zygoteScript({ ...base, args: ["it's"], env: { A: "a\nb" }, cwd: "/tmp" }) as string;
    expect(script).toBe(
      `cd -- '/tmp' && unset PWD OLDPWD && A='a\nb' exec '/usr/bin/env' 'it'\\''s' </dev/null\n`,
    );
  });

  test("always changes into the directory a direct spawn would run in (the host's, now)", () => {
    expect(zygoteScript(base)?.startsWith(`cd -- '${process.cwd()}' && `)).toBe(true);
    expect(zygoteScript({ ...base, cwd: "sub" })?.startsWith(`cd -- '${process.cwd()}/sub' && `)).toBe(true);
  });
});

describe.skipIf(!hasDash)("createZygotePool (needs /bin/dash)", () => {
  const tricky = {
    QUOTE: 'it\'s "quoted"',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal the shell must not expand
    SUBST: "$(touch /tmp/pwned) `id` $HOME ${PATH}",
    LINES: "one\ntwo\n",
    EMPTY: "",
    GLOB: "* ? [a]",
    _under_1: "semi; colon && amp | pipe > redirect",
  };

  test("later spawns exec in the pre-forked zygote with exactly the given env", async () => {
    const p = pool();
    await warm(p);
    const r = await run(p, { ...base, args: ["-0"], env: tricky });
    expect(r.forked).toBe("/bin/dash");
    expect(r.code).toBe(0);
    const seen = Object.fromEntries(
      r.stdout
        .split("\0")
        .filter((e) => e !== "")
        .map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
    );
    // Nothing added (no PWD/OLDPWD/SHLVL from the shell), nothing expanded.
    expect(seen).toEqual(tricky);
  });

  test("argv is passed verbatim; cwd is honoured; stdin is /dev/null", async () => {
    const p = pool();
    await warm(p);
    const args = ["%s|", "a b", "$(id)", "it's", "-n", ""];
    const printed = await run(p, { ...base, command: "/usr/bin/printf", args });
    expect(printed.forked).toBe("/bin/dash");
    expect(printed.stdout).toBe("a b|$(id)|it's|-n||");
    const cwd = realpathSync(tmpdir());
    const pwd = await run(p, { ...base, command: "/bin/pwd", args: ["-P"], cwd });
    expect(pwd.stdout.trim()).toBe(cwd);
    const stdin = await run(p, { ...base, command: "/usr/bin/readlink", args: ["/proc/self/fd/0"] });
    expect(stdin.stdout.trim()).toBe("/dev/null");
  });

  test("the plugin is the host's child, leads its own process group, and its exit code is the host's to see", async () => {
    const p = pool();
    await warm(p);
    const r = await run(p, {
      ...base,
      command: "/bin/sh",
      args: ["-c", "cat /proc/$$/stat; exit 7"],
      kind: "script",
    });
    expect(r.forked).toBe("/bin/dash");
    expect(r.code).toBe(7);
    const fields = r.stdout.slice(r.stdout.lastIndexOf(")") + 2).split(" ");
    const pid = Number(r.stdout.split(" ")[0]);
    expect(pid).toBe(r.child.pid);
    expect(Number(fields[1])).toBe(process.pid); // ppid
    expect(Number(fields[2])).toBe(pid); // pgrp: its own group, as a detached direct spawn
  });

  test("after a zygote launch the next zygote is forked at warm() (a close), not during the boot", async () => {
    const p = pool();
    await warm(p);
    expect((await run(p, base)).forked).toBe("/bin/dash");
    await new Promise((r) => setImmediate(r));
    expect(descendants(), "no refill while the plugin boots").toEqual([]);
    expect((await run(p, base)).forked).toBe("/usr/bin/env"); // none ready: direct, and it refills
    await new Promise((r) => setImmediate(r));
    expect(descendants()).toHaveLength(1);
    expect((await run(p, base)).forked).toBe("/bin/dash");
    p.warm();
    await new Promise((r) => setImmediate(r));
    expect((await run(p, base)).forked).toBe("/bin/dash");
  });

  test("launches it cannot express, and a disabled pool, spawn directly", async () => {
    const p = pool();
    await warm(p);
    expect((await run(p, { ...base, stdin: "inherit" })).forked).toBe("/usr/bin/env");
    expect((await run(p, { ...base, env: { "a.b": "1" } })).forked).toBe("/usr/bin/env");
    await p.close();
    const off = pool(false);
    await warm(off);
    expect((await run(off, base)).forked).toBe("/usr/bin/env");
    expect(descendants(), "a disabled pool forks nothing ahead").toEqual([]);
  });

  test("close() kills and reaps the idle zygote; later spawns are direct", async () => {
    const p = pool();
    await warm(p);
    const idle = descendants();
    expect(idle).toHaveLength(1);
    await p.close();
    expect(alive(idle[0] as number)).toBe(false);
    expect(descendants()).toEqual([]);
    expect((await run(p, base)).forked).toBe("/usr/bin/env");
    expect(descendants()).toEqual([]);
  });

  test("an idle zygote does not keep the host process alive, and dies with it", async () => {
    const script = `
      const { createZygotePool } = await import(${JSON.stringify(new URL("../../dist/launch/zygote.js", import.meta.url).href)});
      const pool = createZygotePool(true);
      const c = pool.spawn({ command: "/bin/true", args: [], env: {}, kind: "native" });
      await new Promise((r) => c.once("exit", r));
      await new Promise((r) => setImmediate(r));
      const { readdirSync, readFileSync } = await import("node:fs");
      const children = readdirSync("/proc").filter((e) => /^\\d+$/.test(e)).filter((e) => {
        try {
          const stat = readFileSync("/proc/" + e + "/stat", "utf8");
          return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === process.pid;
        } catch { return false; }
      });
      console.log(JSON.stringify(children.map(Number)));
    `;
    const host: ChildProcess = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    host.stdout?.on("data", (d: Buffer) => {
      out += d;
    });
    const code = await new Promise((resolve) => host.once("exit", resolve));
    expect(code).toBe(0);
    const zygotes = JSON.parse(out) as number[];
    expect(zygotes).toHaveLength(1);
    // The zygote read EOF on its stdin when the host's end closed.
    await expect.poll(() => alive(zygotes[0] as number), { timeout: 5000 }).toBe(false);
  });
});
