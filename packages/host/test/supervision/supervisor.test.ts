import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, test } from "vitest";
import { KV } from "../../../../examples/go-plugin-kv/src/gen/kv/kv_pb.js";
import {
  createManualClock,
  createSupervisor,
  ErrorCode,
  PlugwireError,
  type RunRecord,
  type SupervisorEvent,
  type SupervisorOptions,
} from "../../src/index.js";
import { testHost } from "../support/harness.js";
import { alive, waitUntil } from "../support/leaks.js";

const versions = { 1: { kv_grpc: KV } };
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const text = (v: Uint8Array) => new TextDecoder().decode(v);

/** A supervisor over a test host, recording every event, bus publication and run record. */
function supervised(name: string, script: string, extra: Partial<SupervisorOptions<typeof versions>> = {}) {
  const { host, env, root } = testHost({ versions });
  const events: SupervisorEvent[] = [];
  const published: { topic: string; payload: SupervisorEvent }[] = [];
  const records: RunRecord[] = [];
  const sup = createSupervisor({
    host,
    launch: { name, command: process.execPath, args: [script], env },
    events: { publish: (topic, payload) => published.push({ topic, payload: payload as SupervisorEvent }) },
    onRecord: (r) => records.push(r),
    ...extra,
  });
  sup.on("*", (e) => events.push(e));
  const count = (type: SupervisorEvent["type"]) => events.filter((e) => e.type === type).length;
  const states = () => events.flatMap((e) => (e.type === "state" ? [e.to] : []));
  return { sup, host, env, root, events, published, records, count, states };
}

describe("supervisor (real plugin processes)", () => {
  test("a plugin that crashes repeatedly opens the circuit: backoff 1 s doubling, trial after the cooldown", async () => {
    const clock = createManualClock();
    const t = supervised("crasher", fixture("supervision-crash.mjs"), { clock });
    t.sup.start();
    const delays: number[] = [];
    // Drive the fake clock: each scheduled restart runs when we advance by its delay.
    while (t.count("circuit_open") === 0) {
      const seen = t.count("restarting") + t.count("circuit_open");
      expect(await waitUntil(() => t.count("restarting") + t.count("circuit_open") > seen, 10_000)).toBe(
        true,
      );
      const last = t.events.findLast((e) => e.type === "restarting");
      if (t.count("circuit_open") === 0 && last?.type === "restarting") {
        delays.push(last.delayMs);
        clock.advance(last.delayMs);
      }
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(t.records).toHaveLength(6);
    expect(t.records.every((r) => r.status === "failed" && r.kind === "supervised")).toBe(true);
    expect(t.records[0]?.cause).toMatch(/launch failed: .*supervision-crash: failing on purpose/s);
    // Each lifetime keeps its own raw stderr: not accumulated, not overwritten by the next.
    for (const r of t.records) expect(r.stderr).toBe("supervision-crash: failing on purpose\n");
    const status = t.sup.status();
    expect(status).toMatchObject({ state: "circuit_open", lifetimes: 6, circuit: { state: "open" } });
    expect(status.circuit.reopensAt).toBe(clock.now() + 60_000);

    // Calls fail fast with a typed error while the circuit is open — they never hang.
    const err = await t.sup.clients.kv_grpc.get({ key: "x" }).catch((e: unknown) => e);
    expect(PlugwireError.is(err, ErrorCode.PluginUnavailable)).toBe(true);
    expect((err as PlugwireError).message).toMatch(/^plugin crasher: circuit open/);

    // After the cooldown one trial start; it fails, so the circuit reopens at once.
    clock.advance(60_000);
    expect(await waitUntil(() => t.count("circuit_open") === 2, 10_000)).toBe(true);
    expect(t.records).toHaveLength(7);
    expect(t.published.filter((p) => p.topic === "plugin.exited")).toHaveLength(7);

    // Shipping a fix during the crash loop (other argv → other fingerprint) restarts at once.
    const stream = t.sup.events({ signal: AbortSignal.timeout(20_000) })[Symbol.asyncIterator]();
    const fixed = await t.sup.reload({
      launch: {
        name: "crasher",
        command: process.execPath,
        args: [fixture("supervision-kv-plugin.mjs")],
        env: t.env,
      },
    });
    expect(fixed).toEqual({ restarted: true, changed: ["config"] });
    await t.sup.ready({ timeoutMs: 20_000 });
    expect(t.sup.status().circuit.state).toBe("closed");
    const seen: string[] = [];
    for (let e = await stream.next(); !e.done; e = await stream.next()) {
      seen.push(e.value.type === "state" ? `state:${e.value.to}` : e.value.type);
      if (e.value.type === "restarted") break;
    }
    await stream.return?.();
    expect(seen).toEqual([
      "state:restarting",
      "restarting",
      "state:starting",
      "state:running",
      "started",
      "restarted",
    ]);
    await t.sup.stop();
    expect(t.sup.state).toBe("stopped");
  });

  test("each lifetime record keeps that process's raw stderr, bounded to its last bytes", async () => {
    const t = supervised("kv", fixture("stderr-kv-plugin.mjs"), { backoff: { initialMs: 100 } });
    t.sup.start();
    const pid1 = (await t.sup.ready({ timeoutMs: 20_000 })).pid;
    process.kill(pid1 ?? 0, "SIGKILL");
    expect(await waitUntil(() => t.records.length === 1, 5000)).toBe(true);
    const pid2 = (await t.sup.ready({ timeoutMs: 20_000 })).pid;
    expect(pid2).not.toBe(pid1);
    await t.sup.stop();
    // The plugin's own first line, then its hclog lines (SDK debug logs), nothing of the other lifetime.
    expect(t.records.map((r) => r.stderr?.split("\n")[0])).toEqual([
      `stderr-kv: lifetime ${pid1}`,
      `stderr-kv: lifetime ${pid2}`,
    ]);
    expect(t.records[0]?.stderr).not.toContain(String(pid2));
    expect(t.records[1]?.stderr).toContain("plugin shutting down");
    expect(t.records.every((r) => !r.stderrTruncated)).toBe(true);

    const small = supervised("kv-small", fixture("stderr-kv-plugin.mjs"), { maxStderrBytes: 8 });
    small.sup.start();
    await small.sup.ready({ timeoutMs: 20_000 });
    await small.sup.stop();
    expect(small.records[0]).toMatchObject({ stderr: "", stderrTruncated: true });
  });

  test("a crashed plugin is restarted; calls made during the restart wait for it (bounded)", async () => {
    const t = supervised("kv", fixture("supervision-kv-plugin.mjs"), { backoff: { initialMs: 300 } });
    t.sup.start();
    const first = await t.sup.ready({ timeoutMs: 20_000 });
    const pid1 = Number(text((await t.sup.clients.kv_grpc.get({ key: "pid" })).value));
    expect(pid1).toBe(first.pid);
    // Measured from /proc before the crash, so the record of this lifetime carries it.
    expect(await waitUntil(() => (t.sup.status().peakMemoryBytes ?? 0) > 1024 * 1024, 5000)).toBe(true);
    process.kill(pid1, "SIGKILL");
    expect(await waitUntil(() => t.sup.state === "restarting", 5000)).toBe(true);
    // Issued while restarting: waits, then reaches the new process.
    const pid2 = Number(text((await t.sup.clients.kv_grpc.get({ key: "pid" })).value));
    expect(pid2).not.toBe(pid1);
    expect(t.records[0]).toMatchObject({ status: "failed", signal: "SIGKILL", pid: pid1, attempt: 1 });
    expect(t.records[0]?.cause).toContain("exited unexpectedly (signal SIGKILL)");
    expect(t.records[0]?.peakMemoryBytes).toBeGreaterThan(1024 * 1024);
    expect(t.published.map((p) => p.topic).sort()).toEqual([
      "plugin.exited",
      "plugin.restarted",
      "plugin.started",
      "plugin.started",
    ]);
    expect(t.states()).toEqual(["starting", "running", "restarting", "starting", "running"]);

    // A bounded wait: with a long backoff, a call gives up with PLUGIN_UNAVAILABLE naming the state.
    const slow = supervised("slow", fixture("supervision-kv-plugin.mjs"), { backoff: { initialMs: 60_000 } });
    slow.sup.start();
    const p = await slow.sup.ready({ timeoutMs: 20_000 });
    process.kill(p.pid as number, "SIGKILL");
    expect(await waitUntil(() => slow.sup.state === "restarting", 5000)).toBe(true);
    const waited = await slow.sup.ready({ timeoutMs: 100 }).catch((e: unknown) => e);
    expect(PlugwireError.is(waited, ErrorCode.PluginUnavailable)).toBe(true);
    expect((waited as PlugwireError).details).toMatchObject({ state: "restarting" });
    const aborted = await slow.sup.ready({ signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(PlugwireError.is(aborted, ErrorCode.Aborted)).toBe(true);
    expect(slow.sup.status().nextRestartInMs).toBeGreaterThan(0);
    await Promise.all([t.sup.stop(), slow.sup.stop()]);
    const after = await t.sup.ready().catch((e: unknown) => e);
    expect(PlugwireError.is(after, ErrorCode.PluginUnavailable)).toBe(true);
    expect(t.records.at(-1)).toMatchObject({ status: "success", cause: "stopped" });
  });

  test("a plugin that stops answering probes is degraded, then unhealthy after 3 failures, then restarted", async () => {
    const t = supervised("frozen", fixture("supervision-kv-plugin.mjs"), {
      health: { intervalMs: 100, timeoutMs: 150, failureThreshold: 3 },
      backoff: { initialMs: 10 },
    });
    t.sup.start();
    const first = await t.sup.ready({ timeoutMs: 20_000 });
    const pid1 = first.pid as number;
    process.kill(-pid1, "SIGSTOP"); // a real hang: the process is alive but answers nothing
    expect(await waitUntil(() => t.count("restarted") === 1, 20_000)).toBe(true);
    const second = await t.sup.ready({ timeoutMs: 20_000 });
    expect(second.pid).not.toBe(pid1);
    expect(await waitUntil(() => !alive(pid1), 5000)).toBe(true);
    const states = t.states();
    // From the probe failure that led to "unhealthy" (a slow probe on a loaded machine may already
    // have marked it degraded, then running again, before the SIGSTOP).
    const i = states.indexOf("unhealthy") - 1;
    expect(states.slice(i, i + 5)).toEqual(["degraded", "unhealthy", "restarting", "starting", "running"]);
    const unhealthy = t.events.find((e) => e.type === "unhealthy");
    expect(unhealthy).toMatchObject({ failures: 3, plugin: "frozen" });
    expect(t.records[0]).toMatchObject({ status: "failed", pid: pid1 });
    expect(t.records[0]?.cause).toMatch(/^unhealthy: 3 consecutive probe failures/);
    expect(t.published.some((p) => p.topic === "plugin.unhealthy")).toBe(true);
    await t.sup.stop();
  });

  test("a launch while an unhealthy plugin is being killed is the only restart", async () => {
    const clock = createManualClock();
    const t = supervised("frozen-restarted", fixture("supervision-kv-plugin.mjs"), {
      clock,
      health: { intervalMs: 100, timeoutMs: 100, failureThreshold: 1 },
    });
    t.sup.start();
    const first = await t.sup.ready({ timeoutMs: 20_000 });
    process.kill(-(first.pid as number), "SIGSTOP");
    // The operator restarts it by hand once its process is gone, before the supervisor's kill()
    // has returned (its exit is reported first).
    t.sup.on("exited", (e) => {
      if (e.lifetime !== 1) return;
      void t.sup.stop();
      t.sup.start();
    });
    clock.advance(100); // probe due
    expect(await waitUntil(() => t.count("unhealthy") === 1, 10_000)).toBe(true);
    clock.advance(100); // the probe times out
    // (A ready() pending across the manual stop() would fail: stop() rejects waiters.)
    expect(await waitUntil(() => t.count("started") === 2, 20_000)).toBe(true);
    const second = await t.sup.ready();
    expect(await waitUntil(() => !alive(first.pid as number), 5000)).toBe(true);
    // Past any backoff: no restart of the unhealthy lifetime follows the manual one.
    clock.advance(120_000);
    expect(t.count("restarting")).toBe(0);
    expect(t.sup.status()).toMatchObject({ state: "running", lifetimes: 2, pid: second.pid });
    await t.sup.stop();
  });

  test("a change of binary (same path), config or version restarts it; no change does not", async () => {
    const { root } = testHost({ versions });
    const wrapper = join(root, "plugin.mjs");
    writeFileSync(
      wrapper,
      `import ${JSON.stringify(pathToFileURL(fixture("supervision-kv-plugin.mjs")).href)};\n// build 1\n`,
    );
    const t = supervised("hot", wrapper, { artifact: wrapper, version: "1.0.0", config: { a: 1 } });
    t.sup.start();
    const p1 = await t.sup.ready({ timeoutMs: 20_000 });
    expect(await t.sup.reload()).toEqual({ restarted: false, changed: [] });
    expect(await t.sup.reload({ config: { a: 1 } })).toEqual({ restarted: false, changed: [] });

    appendFileSync(wrapper, "// build 2\n");
    expect(await t.sup.reload()).toEqual({ restarted: true, changed: ["binary"] });
    const p2 = await t.sup.ready({ timeoutMs: 20_000 });
    expect(p2.pid).not.toBe(p1.pid);
    expect(await t.sup.reload({ config: { a: 2 } })).toEqual({ restarted: true, changed: ["config"] });
    const p3 = await t.sup.ready({ timeoutMs: 20_000 });
    expect(await t.sup.reload({ version: "1.1.0" })).toEqual({ restarted: true, changed: ["version"] });
    const p4 = await t.sup.ready({ timeoutMs: 20_000 });
    expect(new Set([p1.pid, p2.pid, p3.pid, p4.pid]).size).toBe(4);
    expect(t.records.map((r) => r.status)).toEqual(["success", "success", "success"]);
    expect(t.records[0]?.cause).toBe("restarted: binary changed");
    // Each lifetime's record carries the version that process ran.
    expect(t.records[2]?.version).toBe("1.0.0");
    // Planned restarts are neither backoff nor circuit material.
    expect(t.sup.status().circuit.recentRestarts).toBe(0);
    expect(t.count("restarted")).toBe(3);
    await t.sup.stop();
  });
});
