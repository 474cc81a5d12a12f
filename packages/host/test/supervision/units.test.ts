import { describe, expect, test } from "vitest";
import { createBackoff, createCircuitBreaker, createManualClock } from "../../src/index.js";
import { startHealthProber } from "../../src/supervision/health-prober.js";

describe("backoff", () => {
  test("1 s doubling to 60 s, reset to 1 s", () => {
    const b = createBackoff();
    expect(Array.from({ length: 9 }, () => b.next())).toEqual([
      1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000,
    ]);
    b.reset();
    expect(b.next()).toBe(1000);
  });

  test("jitter uses the injected randomness and stays within the cap", () => {
    const values = [0, 0.5, 0.999];
    const b = createBackoff({ jitter: 0.5, random: () => values.shift() ?? 0.5 });
    expect(b.next()).toBe(500); // 1000 − 50 %
    expect(b.next()).toBe(2000); // no spread at 0.5
    expect(b.next()).toBeLessThanOrEqual(6000);
    const capped = createBackoff({ initialMs: 60_000, jitter: 0.5, random: () => 0.999 });
    expect(capped.next()).toBe(60_000);
  });
});

describe("circuit breaker", () => {
  test("more than 5 restarts within a minute open it for the cooldown; the window slides", () => {
    const clock = createManualClock();
    const c = createCircuitBreaker({ clock });
    for (let i = 0; i < 5; i++) {
      expect(c.recordRestart()).toBe(false);
      clock.advance(10_000);
    }
    // The first restart (t=0) has left the 60 s window by t=60 s: still 5 in the window.
    clock.advance(10_000);
    expect(c.recordRestart()).toBe(false);
    expect(c.recentRestarts).toBe(5);
    expect(c.recordRestart()).toBe(true);
    expect(c.state).toBe("open");
    expect(c.reopensAt).toBe(clock.now() + 60_000);
  });

  test("half-open: one failed trial reopens at once; close() forgets", () => {
    const clock = createManualClock();
    const c = createCircuitBreaker({ clock, maxRestarts: 1, cooldownMs: 500 });
    c.recordRestart();
    expect(c.recordRestart()).toBe(true);
    clock.advance(500);
    c.halfOpen();
    expect(c.state).toBe("half_open");
    expect(c.recordRestart()).toBe(true);
    expect(c.state).toBe("open");
    c.close();
    expect(c.state).toBe("closed");
    expect(c.recentRestarts).toBe(0);
  });
});

describe("health prober", () => {
  test("probes on the interval; a probe that never answers fails at the timeout; success resets", async () => {
    const clock = createManualClock();
    const results: unknown[] = [];
    let mode: "hang" | "ok" | "degraded" = "hang";
    const stop = startHealthProber({
      clock,
      intervalMs: 5000,
      timeoutMs: 5000,
      probe: (signal) =>
        mode === "hang"
          ? new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)))
          : Promise.resolve(mode === "ok" ? "serving" : "degraded"),
      onResult: (r) =>
        results.push(r.ok ? { ok: true, verdict: r.verdict } : { ok: false, failures: r.failures }),
    });
    const settle = () => new Promise((r) => setImmediate(r));
    for (let i = 0; i < 3; i++) {
      clock.advance(5000); // interval: probe starts
      clock.advance(5000); // timeout: probe fails
      await settle();
    }
    mode = "degraded";
    clock.advance(5000);
    await settle();
    mode = "ok";
    clock.advance(5000);
    await settle();
    stop();
    expect(results).toEqual([
      { ok: false, failures: 1 },
      { ok: false, failures: 2 },
      { ok: false, failures: 3 },
      { ok: true, verdict: "degraded" },
      { ok: true, verdict: "serving" },
    ]);
    expect(clock.pending).toBe(0);
  });
});
