/**
 * Time as the supervisor sees it. Injectable so tests drive backoff, circuit cooldown and probe
 * intervals with {@link createManualClock} instead of waiting (design.md: no sleeps in tests).
 */
export interface Clock {
  /** Milliseconds since some fixed point; only differences matter. */
  now(): number;
  /** Runs `fn` once after `ms`; returns a cancel function. Must not keep the process alive. */
  schedule(ms: number, fn: () => void): () => void;
}

/** The real clock: `Date.now()` and unref'd timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** A clock that only moves when told to. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, running due callbacks in time order. */
  advance(ms: number): void;
  /** Callbacks not yet run. */
  readonly pending: number;
}

/** Creates a {@link ManualClock} starting at `start`. */
export function createManualClock(start = 0): ManualClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    schedule(ms, fn) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return () => timers.delete(id);
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of timers)
          if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
        if (!next) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = target;
    },
    get pending() {
      return timers.size;
    },
  };
}

/**
 * Resolves true after `ms` on `clock`, or false as soon as `signal` aborts. Never rejects. The
 * timer does not keep the process alive: a caller that must stay up while it waits holds its own
 * handle (see `runSchedule`).
 */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      cancel();
      resolve(false);
    };
    const cancel = clock.schedule(Math.max(0, ms), () => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    });
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
