import { type Clock, systemClock } from "./clock.js";

/** Options for {@link createCircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** More restarts than this within `windowMs` open the circuit. Default 5. */
  maxRestarts?: number;
  /** Sliding window. Default 60 s. */
  windowMs?: number;
  /** How long the circuit stays open before one trial start (half-open). Default 60 s. */
  cooldownMs?: number;
  clock?: Clock;
}

/**
 * Stops a crash loop: restarts are counted in a sliding window; past the limit the circuit opens
 * for a cooldown, then one trial start is allowed (half-open). A failure of that trial reopens it at
 * once; a stable run closes it.
 */
export interface CircuitBreaker {
  /** Counts one restart; true if that opened the circuit. */
  recordRestart(): boolean;
  /** Opens the circuit now (e.g. a half-open trial failed). */
  open(): void;
  /** Ends the cooldown: the next start is a trial. */
  halfOpen(): void;
  /** Closes the circuit and forgets the window (after a stable run). */
  close(): void;
  readonly state: "closed" | "open" | "half_open";
  /** When an open circuit allows its trial start (clock ms), else undefined. */
  readonly reopensAt: number | undefined;
  /** Restarts counted in the current window. */
  readonly recentRestarts: number;
}

/** Creates a {@link CircuitBreaker}. */
export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const max = options.maxRestarts ?? 5;
  const windowMs = options.windowMs ?? 60_000;
  const cooldownMs = options.cooldownMs ?? 60_000;
  const clock = options.clock ?? systemClock;
  let restarts: number[] = [];
  let state: CircuitBreaker["state"] = "closed";
  let reopensAt: number | undefined;
  const prune = () => {
    const since = clock.now() - windowMs;
    restarts = restarts.filter((t) => t > since);
  };
  const breaker: CircuitBreaker = {
    recordRestart() {
      restarts.push(clock.now());
      prune();
      if (state === "half_open" || restarts.length > max) {
        breaker.open();
        return true;
      }
      return false;
    },
    open() {
      state = "open";
      reopensAt = clock.now() + cooldownMs;
    },
    halfOpen() {
      state = "half_open";
      reopensAt = undefined;
      restarts = [];
    },
    close() {
      state = "closed";
      reopensAt = undefined;
      restarts = [];
    },
    get state() {
      return state;
    },
    get reopensAt() {
      return reopensAt;
    },
    get recentRestarts() {
      prune();
      return restarts.length;
    },
  };
  return breaker;
}
