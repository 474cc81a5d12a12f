import { EventEmitter } from "node:events";
import type { RunRecord } from "../ephemeral/run-record.js";

/**
 * A supervised plugin's states. `degraded` is still serving (a probe failed below the threshold, or
 * the probe said so) and is not `unhealthy`, which always leads to a restart.
 */
export type SupervisorState =
  | "stopped"
  | "starting"
  | "running"
  | "degraded"
  | "unhealthy"
  | "restarting"
  | "circuit_open";

/** Why a restart happens. */
export type RestartReason = "exited" | "unhealthy" | "launch_failed" | "changed" | "circuit_trial";

/** Payloads by event type; every event also carries {@link SupervisorEventBase}. */
export interface SupervisorEventMap {
  /** Every state change. */
  state: { from: SupervisorState; to: SupervisorState; reason: string };
  /** A process completed its handshake. `lifetime` counts launches from 1. */
  started: { lifetime: number; pid: number | undefined; version: string | undefined };
  /** A lifetime ended; its run record. */
  exited: { lifetime: number; expected: boolean; record: RunRecord };
  /** Consecutive probe failures reached the threshold. */
  unhealthy: { failures: number; error: string };
  /** One probe outcome. */
  probe: { ok: boolean; failures: number; error?: string };
  /** A restart is scheduled after `delayMs`. */
  restarting: { reason: RestartReason; delayMs: number; attempt: number; changed?: string[] };
  /** A restart completed: the new process is running. */
  restarted: { reason: RestartReason; attempt: number; pid: number | undefined };
  /** Too many restarts: no start until `reopensAt` (clock ms). */
  circuit_open: { restarts: number; reopensAt: number };
}

/** Fields on every supervisor event. */
export interface SupervisorEventBase {
  plugin: string;
  /** Clock time (ms) of the event. */
  at: number;
}

/** One event, discriminated by `type`. */
export type SupervisorEvent = {
  [K in keyof SupervisorEventMap]: { type: K } & SupervisorEventBase & SupervisorEventMap[K];
}[keyof SupervisorEventMap];

/** The event of type `K`. */
export type SupervisorEventOf<K extends keyof SupervisorEventMap> = Extract<SupervisorEvent, { type: K }>;

/**
 * Where supervision events are published besides local listeners: the Daemon EventBus has this
 * shape (`publish(topic, payload)`), so it plugs in without a hard dependency.
 */
export interface EventSink {
  publish(topic: string, payload: unknown): unknown;
}

/** EventBus topics, per event type; types without a topic stay local. */
export const SUPERVISOR_TOPICS: Partial<Record<keyof SupervisorEventMap, string>> = {
  started: "plugin.started",
  exited: "plugin.exited",
  unhealthy: "plugin.unhealthy",
  restarted: "plugin.restarted",
};

const MAX_QUEUED = 1000;

/** Typed emitter with an async iterator and an optional {@link EventSink}. */
export class SupervisorEvents {
  readonly #emitter = new EventEmitter();
  readonly #sink: EventSink | undefined;
  readonly #onSinkError: (err: unknown) => void;

  constructor(sink: EventSink | undefined, onSinkError: (err: unknown) => void) {
    this.#sink = sink;
    this.#onSinkError = onSinkError;
  }

  emit(event: SupervisorEvent): void {
    this.#emitter.emit(event.type, event);
    this.#emitter.emit("*", event);
    const topic = SUPERVISOR_TOPICS[event.type];
    if (topic && this.#sink) {
      // A broken sink must not break supervision.
      try {
        const result = this.#sink.publish(topic, event);
        if (result instanceof Promise) result.catch(this.#onSinkError);
      } catch (err) {
        this.#onSinkError(err);
      }
    }
  }

  on(type: string, listener: (event: never) => void): void {
    this.#emitter.on(type, listener as (event: SupervisorEvent) => void);
  }

  off(type: string, listener: (event: never) => void): void {
    this.#emitter.off(type, listener as (event: SupervisorEvent) => void);
  }

  /**
   * Every event from the moment of this call until `signal` aborts (bounded queue: the oldest are
   * dropped past 1000). The listener is attached now, not at the first `next()`.
   */
  iterate(signal?: AbortSignal): AsyncGenerator<SupervisorEvent> {
    const queue: SupervisorEvent[] = [];
    let wake: (() => void) | undefined;
    const listener = (event: SupervisorEvent) => {
      queue.push(event);
      if (queue.length > MAX_QUEUED) queue.shift();
      wake?.();
    };
    const onAbort = () => wake?.();
    this.#emitter.on("*", listener);
    signal?.addEventListener("abort", onAbort, { once: true });
    const emitter = this.#emitter;
    return (async function* () {
      try {
        while (!signal?.aborted) {
          const next = queue.shift();
          if (next) {
            yield next;
            continue;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
      } finally {
        emitter.off("*", listener);
        signal?.removeEventListener("abort", onAbort);
      }
    })();
  }
}
