import type { VersionedServices } from "../host/types.js";
import { createBackoff } from "./backoff.js";
import { createCircuitBreaker } from "./circuit-breaker.js";
import type { Clock } from "./clock.js";
import type { SupervisorOptions, SupervisorStatus } from "./supervisor-options.js";

/** Options for {@link createRestartPolicy}: the supervisor's own, documented there. */
export type RestartPolicyOptions = Pick<
  SupervisorOptions<VersionedServices>,
  "backoff" | "circuit" | "stableAfterMs"
> & { clock: Clock };

/** What follows a failure: a restart after `delayMs`, or an open circuit until `reopensAt` (clock ms). */
export type RestartPlan =
  | { circuitOpen: false; delayMs: number; attempt: number }
  | { circuitOpen: true; reopensAt: number; restarts: number };

/**
 * When a supervised plugin starts again: the backoff between restarts, the crash-loop circuit, the
 * count of restarts and the one pending restart. It decides and keeps time; the supervisor launches,
 * changes state and emits the events, so a plan is made first and scheduled after those events.
 */
export interface RestartPolicy {
  /**
   * After a failure: counts it toward the circuit, then plans a restart after the backoff delay or,
   * past the limit, the open circuit.
   */
  afterFailure(): RestartPlan;
  /**
   * Runs `relaunch` when `plan` says, replacing any pending restart: after its delay, or when the
   * circuit's cooldown ends (then as its one trial start, which counts as a restart).
   */
  schedule(plan: RestartPlan, relaunch: () => void): void;
  /** A restart because the plugin changed: now, with no crash loop held against it. Returns its attempt. */
  afterChange(): number;
  /**
   * Starts timing a new lifetime: once it has run `stableAfterMs` the crash loop, if any, is over
   * (backoff reset, a half-open circuit closed). Returns the cancel, for when it ends sooner.
   */
  watchStableRun(): () => void;
  /** Drops the pending restart, if any. */
  cancel(): void;
  /** Restarts so far (every cause). */
  readonly count: number;
  /** Delay of the pending restart, if one is scheduled. */
  readonly nextRestartInMs: number | undefined;
  readonly circuit: SupervisorStatus["circuit"];
}

/** Creates a {@link RestartPolicy}. */
export function createRestartPolicy(options: RestartPolicyOptions): RestartPolicy {
  const { clock } = options;
  const backoff = createBackoff(options.backoff);
  const circuit = createCircuitBreaker({ ...options.circuit, clock });
  let count = 0;
  let pending: { at: number; cancel: () => void } | undefined;
  const cancel = () => {
    pending?.cancel();
    pending = undefined;
  };
  return {
    afterFailure() {
      if (circuit.recordRestart()) {
        const reopensAt = circuit.reopensAt ?? clock.now();
        return { circuitOpen: true, reopensAt, restarts: circuit.recentRestarts };
      }
      const delayMs = backoff.next();
      return { circuitOpen: false, delayMs, attempt: ++count };
    },
    schedule(plan, relaunch) {
      cancel();
      const delayMs = plan.circuitOpen ? plan.reopensAt - clock.now() : plan.delayMs;
      const fire = () => {
        pending = undefined;
        if (plan.circuitOpen) {
          circuit.halfOpen();
          count++;
        }
        relaunch();
      };
      pending = { at: clock.now() + delayMs, cancel: clock.schedule(delayMs, fire) };
    },
    afterChange() {
      cancel();
      circuit.close();
      backoff.reset();
      return ++count;
    },
    watchStableRun() {
      return clock.schedule(options.stableAfterMs ?? 60_000, () => {
        backoff.reset();
        if (circuit.state === "half_open") circuit.close();
      });
    },
    cancel,
    get count() {
      return count;
    },
    get nextRestartInMs() {
      return pending ? Math.max(0, pending.at - clock.now()) : undefined;
    },
    get circuit() {
      return { state: circuit.state, recentRestarts: circuit.recentRestarts, reopensAt: circuit.reopensAt };
    },
  };
}
