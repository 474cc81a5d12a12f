import { describe, expect, test } from "vitest";
import { classifyBreach, prlimitArgs } from "../../src/isolation/limits.js";
import { testHost } from "../support/harness.js";
import { probePlugin, put, versions } from "./probe.js";

const MiB = 1024 * 1024;

describe.skipIf(process.platform !== "linux")("isolation: resource limits (prlimit)", () => {
  test("a plugin growing its JS heap past the memory limit is reported with the cause", async () => {
    const { host, env } = testHost({ versions });
    const p = await host.launch({
      name: "hog",
      command: probePlugin,
      env,
      isolation: { limits: { memoryBytes: 256 * MiB } },
    });
    expect(await put(p, "hog")).toBeInstanceOf(Error);
    const exit = await p.exited;
    expect(exit.forced).toBe(false);
    expect(exit.breach).toMatchObject({ resource: "memory", limit: 256 * MiB });
    expect(exit.breach?.evidence).toMatch(/heap (limit|out of memory)/i);
  });

  test("native allocations past RLIMIT_DATA fail and are reported with the failing allocation", async () => {
    const { host, env } = testHost({ versions });
    const p = await host.launch({
      name: "native-hog",
      command: probePlugin,
      env,
      isolation: { limits: { memoryBytes: 400 * MiB } },
    });
    await put(p, "hog-native");
    const exit = await p.exited;
    expect(exit.code).not.toBe(0);
    expect(exit.breach).toMatchObject({ resource: "memory", limit: 400 * MiB });
    expect(exit.breach?.evidence).toMatch(/allocation failed/i);
  });

  test("a plugin burning CPU past its CPU-seconds limit ends by SIGXCPU, reported as a cpu breach", async () => {
    const { host, env } = testHost({ versions });
    const p = await host.launch({
      name: "spin",
      command: probePlugin,
      env,
      isolation: { limits: { cpuSeconds: 1 } },
    });
    await put(p, "spin");
    const exit = await p.exited;
    expect(exit.signal).toBe("SIGXCPU");
    expect(exit.breach).toEqual({ resource: "cpu", limit: 1, evidence: "SIGXCPU (RLIMIT_CPU soft limit)" });
  });

  test("an open-files limit below what the plugin needs shows as EMFILE", async () => {
    const { host, env } = testHost({ versions });
    const p = await host.launch({
      name: "files",
      command: probePlugin,
      env,
      isolation: { limits: { openFiles: 256 } },
    });
    await put(p, "open-files");
    const exit = await p.exited;
    expect(exit.breach).toMatchObject({ resource: "open-files", limit: 256 });
    expect(exit.breach?.evidence).toMatch(/EMFILE|too many open files/i);
  });

  test("a clean exit or a host kill is never a breach; limits must be positive integers", async () => {
    const limits = { memoryBytes: 1e8, cpuSeconds: 5 };
    expect(
      classifyBreach(limits, { code: 0, signal: null, forced: false, stderrTail: ["out of memory"] }),
    ).toBe(undefined);
    expect(classifyBreach(limits, { code: null, signal: "SIGKILL", forced: true, stderrTail: [] })).toBe(
      undefined,
    );
    expect(prlimitArgs({ memoryBytes: 1000, cpuSeconds: 2, openFiles: 9 })).toEqual([
      "--data=1000",
      "--cpu=2:3",
      "--nofile=9",
    ]);
    const { host, env } = testHost({ versions });
    await expect(
      host.launch({ name: "bad", command: probePlugin, env, isolation: { limits: { memoryBytes: 1.5 } } }),
    ).rejects.toMatchObject({ code: "CONFIG_INVALID", plugin: "bad" });
  });
});
