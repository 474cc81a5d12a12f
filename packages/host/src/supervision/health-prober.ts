import { type Clock, systemClock } from "./clock.js";

/** What a probe says: serving, or serving with reduced function. Throwing (or timing out) is a failure. */
export type ProbeVerdict = "serving" | "degraded";

/** A health probe, e.g. go-plugin's Ping (`Health.Check{service:"plugin"}`); must honour `signal`. */
export type HealthProbe = (signal: AbortSignal) => Promise<ProbeVerdict>;

/** One probe outcome, with the count of consecutive failures including this one. */
export type ProbeResult =
  | { ok: true; verdict: ProbeVerdict; failures: 0 }
  | { ok: false; failures: number; error: unknown };

/** Options for {@link startHealthProber}. */
export interface HealthProberOptions {
  probe: HealthProbe;
  /** Time between the end of one probe and the start of the next. Default 5 s. */
  intervalMs?: number;
  /** A probe not answering within this counts as failed. Default 5 s. */
  timeoutMs?: number;
  clock?: Clock;
  onResult: (result: ProbeResult) => void;
}

/** Stops probing; an in-flight probe is aborted and its result dropped. */
export type StopProber = () => void;

/**
 * Probes on an interval, never overlapping, each bounded by a timeout taken from the clock (so a
 * manual clock drives it in tests), and reports consecutive failures.
 */
export function startHealthProber(options: HealthProberOptions): StopProber {
  const clock = options.clock ?? systemClock;
  const intervalMs = options.intervalMs ?? 5000;
  const timeoutMs = options.timeoutMs ?? 5000;
  let failures = 0;
  let stopped = false;
  let cancelTimer = clock.schedule(intervalMs, () => void tick());
  let inflight: AbortController | undefined;

  async function tick(): Promise<void> {
    if (stopped) return;
    const controller = new AbortController();
    inflight = controller;
    const cancelTimeout = clock.schedule(timeoutMs, () =>
      controller.abort(new Error(`health probe timed out after ${timeoutMs} ms`)),
    );
    let result: ProbeResult;
    try {
      const verdict = await Promise.race([
        options.probe(controller.signal),
        // A probe that ignores its signal still cannot hang the prober.
        new Promise<never>((_, reject) =>
          controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true }),
        ),
      ]);
      failures = 0;
      result = { ok: true, verdict, failures: 0 };
    } catch (error) {
      failures++;
      result = { ok: false, failures, error };
    } finally {
      cancelTimeout();
      inflight = undefined;
    }
    if (stopped) return;
    options.onResult(result);
    if (!stopped) cancelTimer = clock.schedule(intervalMs, () => void tick());
  }

  return () => {
    stopped = true;
    cancelTimer();
    inflight?.abort(new Error("prober stopped"));
  };
}
