/** Options for {@link createBackoff}. */
export interface BackoffOptions {
  /** First delay. Default 1 s. */
  initialMs?: number;
  /** Cap. Default 60 s. */
  maxMs?: number;
  /** Growth per attempt. Default 2 (doubling). */
  factor?: number;
  /** Random spread as a fraction of the delay (0.1 = ±10 %). Default 0: exact delays. */
  jitter?: number;
  /** Source of randomness for jitter, in [0, 1). Default `Math.random`; inject it in tests. */
  random?: () => number;
}

/** Exponential restart delays: 1 s, 2 s, 4 s … 60 s, back to 1 s after {@link Backoff.reset}. */
export interface Backoff {
  /** The delay before the next restart; each call counts one attempt. */
  next(): number;
  /** Back to the initial delay (after a stable run). */
  reset(): void;
  /** Attempts since the last reset. */
  readonly attempts: number;
}

/** Creates a {@link Backoff}. */
export function createBackoff(options: BackoffOptions = {}): Backoff {
  const initial = options.initialMs ?? 1000;
  const max = options.maxMs ?? 60_000;
  const factor = options.factor ?? 2;
  const jitter = options.jitter ?? 0;
  const random = options.random ?? Math.random;
  let attempts = 0;
  return {
    next() {
      const base = Math.min(max, initial * factor ** attempts);
      attempts++;
      if (jitter <= 0) return base;
      const spread = base * jitter * (random() * 2 - 1);
      return Math.max(0, Math.min(max, Math.round(base + spread)));
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}
