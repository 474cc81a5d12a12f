// The daemon's scheduler on an injected clock: cron times, no self-overlap, graceful shutdown.
import { describe, expect, test } from "vitest";
import { type Clock, nextRun, runSchedule, silentLogger } from "../../src/index.js";

/** A clock tests move by hand; sleepers wake when it passes their time (or when aborted). */
function fakeClock(startIso: string) {
  let now = Date.parse(startIso);
  const timers = new Set<{ at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => now,
    schedule(ms, fn) {
      const timer = { at: now + Math.max(0, ms), fn };
      timers.add(timer);
      return () => timers.delete(timer);
    },
  };
  return {
    clock,
    sleeping: () => [...timers].map((s) => new Date(s.at).toISOString()).sort(),
    advanceTo(iso: string) {
      now = Date.parse(iso);
      for (const t of [...timers].sort((a, b) => a.at - b.at)) {
        if (t.at <= now) {
          timers.delete(t);
          t.fn();
        }
      }
    },
  };
}

/** Yields to the event loop until `predicate` holds (bounded): lets the scheduler's promises settle. */
async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !predicate(); i++) await new Promise((r) => setImmediate(r));
  if (!predicate()) throw new Error(`not reached: ${what}`);
}

function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("runSchedule", () => {
  test("nextRun: 5 fields, or 6 with seconds, in UTC, strictly after the given time", () => {
    expect(new Date(nextRun("*/15 * * * *", Date.parse("2026-01-01T00:07:00Z"))).toISOString()).toBe(
      "2026-01-01T00:15:00.000Z",
    );
    expect(new Date(nextRun("*/10 * * * * *", Date.parse("2026-01-01T00:00:10Z"))).toISOString()).toBe(
      "2026-01-01T00:00:20.000Z",
    );
  });

  test("runs each job at its times and never overlaps a job with itself", async () => {
    const t = fakeClock("2026-01-01T00:00:05Z");
    const stop = new AbortController();
    const runs: string[] = [];
    const inFlight: ReturnType<typeof deferred>[] = [];
    const done = runSchedule({
      signal: stop.signal,
      clock: t.clock,
      logger: silentLogger,
      jobs: [
        {
          name: "fast",
          schedule: "*/10 * * * * *",
          run: () => {
            runs.push(`fast@${new Date(t.clock.now()).toISOString().slice(14, 19)}`);
            const d = deferred();
            inFlight.push(d);
            return d.promise;
          },
        },
        {
          name: "slow",
          schedule: "0 * * * * *",
          run: async () => void runs.push(`slow@${new Date(t.clock.now()).toISOString().slice(14, 19)}`),
        },
      ],
    });
    await until(() => t.sleeping().length === 2, "both jobs asleep");
    expect(t.sleeping()).toEqual(["2026-01-01T00:00:10.000Z", "2026-01-01T00:01:00.000Z"]);
    t.advanceTo("2026-01-01T00:00:10Z");
    await until(() => runs.length === 1, "fast ran");
    // fast is still running at :20, :30 and :40: no second run starts, nothing is queued.
    for (const at of ["00:00:20", "00:00:30", "00:00:40"]) t.advanceTo(`2026-01-01T${at}Z`);
    await until(() => t.sleeping().length === 1, "only slow asleep");
    expect(runs).toEqual(["fast@00:10"]);
    inFlight[0]?.resolve();
    await until(() => t.sleeping().length === 2, "fast asleep again");
    expect(t.sleeping()).toEqual(["2026-01-01T00:00:50.000Z", "2026-01-01T00:01:00.000Z"]);
    t.advanceTo("2026-01-01T00:01:00Z");
    await until(() => runs.length === 3, "both ran");
    expect(runs.sort()).toEqual(["fast@00:10", "fast@01:00", "slow@01:00"]);
    inFlight[1]?.resolve();
    stop.abort();
    await done;
  });

  test("shutdown: sleepers stop at once; a run in flight gets the grace period, then its signal aborts", async () => {
    const t = fakeClock("2026-01-01T00:00:00Z");
    const stop = new AbortController();
    let runSignal: AbortSignal | undefined;
    let ended = false;
    const done = runSchedule({
      signal: stop.signal,
      clock: t.clock,
      shutdownGraceMs: 5000,
      logger: silentLogger,
      jobs: [
        {
          name: "stuck",
          schedule: "* * * * * *",
          run: (signal) => {
            runSignal = signal;
            return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
          },
        },
        { name: "idle", schedule: "0 0 * * *", run: async () => {} },
      ],
    }).then(() => {
      ended = true;
    });
    await until(() => t.sleeping().length === 2, "both asleep");
    t.advanceTo("2026-01-01T00:00:01Z");
    await until(() => runSignal !== undefined, "stuck started");
    stop.abort();
    await until(() => t.sleeping().length === 1, "grace timer armed, idle stopped");
    expect(t.sleeping()).toEqual(["2026-01-01T00:00:06.000Z"]);
    expect(runSignal?.aborted).toBe(false);
    expect(ended).toBe(false);
    t.advanceTo("2026-01-01T00:00:06Z");
    await until(() => ended, "schedule ended");
    expect(runSignal?.aborted).toBe(true);
    expect((runSignal?.reason as Error | undefined)?.message).toBe(
      "shutdown: run did not finish within 5000 ms",
    );
    await done;
  });

  test("shutdown: a run that finishes within the grace period is not cancelled", async () => {
    const t = fakeClock("2026-01-01T00:00:00Z");
    const stop = new AbortController();
    const d = deferred();
    let runSignal: AbortSignal | undefined;
    const done = runSchedule({
      signal: stop.signal,
      clock: t.clock,
      logger: silentLogger,
      jobs: [
        {
          name: "j",
          schedule: "* * * * * *",
          run: (s) => {
            runSignal = s;
            return d.promise;
          },
        },
      ],
    });
    await until(() => t.sleeping().length === 1, "asleep");
    t.advanceTo("2026-01-01T00:00:01Z");
    await until(() => runSignal !== undefined, "started");
    stop.abort();
    d.resolve();
    await done;
    expect(runSignal?.aborted).toBe(false);
    expect(t.sleeping()).toEqual([]);
  });
});
