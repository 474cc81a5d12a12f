import { ErrorCode, PlugwireError } from "@plugwire/contract";
import { startMemorySampler } from "../ephemeral/memory-sampler.js";
import { type RunStatus, randomId } from "../ephemeral/run-record.js";
import { createStderrCapture, type StderrCapture } from "../ephemeral/stderr-capture.js";
import type { Plugin } from "../host/plugin.js";
import type { AnyClients, VersionedServices } from "../host/types.js";
import type { PluginExit } from "../launch/spawn.js";
import { supervisedClients } from "./clients-proxy.js";
import { type Clock, systemClock } from "./clock.js";
import {
  type RestartReason,
  type SupervisorEvent,
  type SupervisorEventMap,
  type SupervisorEventOf,
  SupervisorEvents,
  type SupervisorState,
} from "./events.js";
import { type Fingerprint, fingerprintChanges } from "./fingerprint.js";
import { type ProbeResult, type StopProber, startHealthProber } from "./health-prober.js";
import { type Lifetime, lifetimeRunRecord, specFingerprint } from "./lifetime.js";
import { type ReadyWaiter, waitForReady } from "./ready.js";
import { createRestartPolicy, type RestartPolicy } from "./restart-policy.js";
import type { ReloadChanges, SupervisorOptions, SupervisorStatus } from "./supervisor-options.js";

export type { ReloadChanges };

/**
 * A long-running plugin kept alive: launched through a {@link PluginHost}, probed every 5 s (go-plugin
 * Ping), restarted after it exits or fails 3 probes in a row, with exponential backoff (1 s → 60 s,
 * reset after a stable run) and a circuit breaker (more than 5 restarts a minute → open 60 s). A
 * change of version, binary bytes or config restarts it even when the path is the same. Calls through
 * {@link Supervisor.clients} wait (bounded) for a running process and fail with a typed error.
 */
export class Supervisor<V extends VersionedServices = VersionedServices> implements AsyncDisposable {
  readonly name: string;
  /** Clients that follow restarts (see {@link supervisedClients}). */
  readonly clients: AnyClients<V>;
  readonly #o: SupervisorOptions<V>;
  readonly #clock: Clock;
  readonly #events: SupervisorEvents;
  readonly #restarts: RestartPolicy;
  readonly #runId: string;
  readonly #waiters = new Set<ReadyWaiter<V>>();
  #state: SupervisorState = "stopped";
  #life: Lifetime<V> | undefined;
  #lifetimes = 0;
  #probeFailures = 0;
  #lastError: string | undefined;
  #launchAbort: AbortController | undefined;
  #stopping = false;
  #lastPrint: Fingerprint | undefined;

  constructor(options: SupervisorOptions<V>) {
    if (!options?.host || !options.launch?.name) {
      throw new PlugwireError(
        ErrorCode.ConfigInvalid,
        "a supervisor needs a host and launch options with a name",
      );
    }
    this.#o = { ...options };
    this.name = options.launch.name;
    this.#clock = options.clock ?? systemClock;
    this.#runId = (options.newId ?? randomId)();
    this.#events = new SupervisorEvents(options.events, (err) =>
      options.host.logger.warn({ plugin: this.name, err: String(err) }, "event sink failed"),
    );
    this.#restarts = createRestartPolicy({ ...options, clock: this.#clock });
    this.clients = supervisedClients(options.host.versions, (signal) => this.ready({ signal }));
  }

  get state(): SupervisorState {
    return this.#state;
  }

  /** The current process's handle, while there is one. */
  get plugin(): Plugin<V> | undefined {
    return this.#life?.plugin;
  }

  /** A snapshot of state, counters and the circuit. */
  status(): SupervisorStatus {
    const life = this.#life;
    return {
      plugin: this.name,
      state: this.#state,
      version: this.#o.version,
      pid: life?.plugin.pid,
      lifetimes: this.#lifetimes,
      restarts: this.#restarts.count,
      probeFailures: this.#probeFailures,
      peakMemoryBytes: life?.sampler.peakBytes,
      runningSince: life?.startedAt,
      nextRestartInMs: this.#restarts.nextRestartInMs,
      circuit: this.#restarts.circuit,
      lastError: this.#lastError,
    };
  }

  /** Starts supervising (the first launch runs in the background; `await ready()` to wait for it). */
  start(): void {
    if (this.#state !== "stopped") return;
    this.#stopping = false;
    void this.#launch("start");
  }

  /**
   * The running plugin. Waits while it starts or restarts, at most `timeoutMs` (default
   * `readyTimeoutMs`, 30 s); fails at once with PLUGIN_UNAVAILABLE while stopped or the circuit is
   * open, and with ABORTED when `signal` fires. Never hangs.
   */
  ready(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Plugin<V>> {
    const life = this.#life;
    if (life && (this.#state === "running" || this.#state === "degraded"))
      return Promise.resolve(life.plugin);
    if (this.#state === "stopped" || this.#state === "circuit_open")
      return Promise.reject(this.#unavailable());
    return waitForReady(this.#waiters, {
      plugin: this.name,
      clock: this.#clock,
      timeoutMs: options.timeoutMs ?? this.#o.readyTimeoutMs ?? 30_000,
      signal: options.signal,
      state: () => this.#state,
    });
  }

  /** Runs `fn` with the running plugin (after {@link Supervisor.ready}). */
  async call<T>(
    fn: (plugin: Plugin<V>) => Promise<T>,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ) {
    return fn(await this.ready(options));
  }

  /**
   * Applies changes and re-checks the fingerprint (version, sha256 of the binary, config). If any
   * part differs from the running process's — including a binary replaced at the same path — the
   * plugin is restarted now, without backoff and without counting toward the circuit.
   */
  async reload(changes: ReloadChanges = {}, options: { signal?: AbortSignal } = {}) {
    Object.assign(this.#o, changes);
    const next = await this.#fingerprint(options.signal);
    const life = this.#life;
    // Compared with what the last launch ran: a fix shipped during a crash loop restarts at once.
    const changed = this.#lastPrint ? fingerprintChanges(this.#lastPrint, next) : [];
    if (this.#state === "stopped" || this.#stopping || changed.length === 0)
      return { restarted: false, changed };
    const attempt = this.#restarts.afterChange();
    this.#launchAbort?.abort();
    this.#setState("restarting", `changed: ${changed.join(", ")}`);
    this.#emit("restarting", { reason: "changed", delayMs: 0, attempt, changed });
    if (life) {
      life.ending = { status: "success", cause: `restarted: ${changed.join(", ")} changed` };
      this.#life = undefined;
      await life.plugin.close({ signal: options.signal });
    }
    void this.#launch("changed");
    return { restarted: true, changed };
  }

  /** Stops supervising and closes the plugin gracefully. Idempotent. */
  async stop(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#stopping = true;
    this.#restarts.cancel();
    this.#launchAbort?.abort();
    const life = this.#life;
    this.#life = undefined;
    if (life) {
      life.ending ??= { status: "success", cause: "stopped" };
      await life.plugin.close({ signal: options.signal });
    }
    this.#setState("stopped", "stop requested");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** Listens to one event type (`"*"`: all). */
  on<K extends keyof SupervisorEventMap>(type: K, listener: (event: SupervisorEventOf<K>) => void): this;
  on(type: "*", listener: (event: SupervisorEvent) => void): this;
  on(type: string, listener: (event: never) => void): this {
    this.#events.on(type, listener);
    return this;
  }

  off(type: string, listener: (event: never) => void): this {
    this.#events.off(type, listener);
    return this;
  }

  /** Every event from this call on (listener attached at once), until `signal` aborts. */
  events(options: { signal?: AbortSignal } = {}): AsyncIterable<SupervisorEvent> {
    return this.#events.iterate(options.signal);
  }

  async #launch(reason: RestartReason | "start"): Promise<void> {
    const n = ++this.#lifetimes;
    this.#setState("starting", reason);
    const abort = new AbortController();
    this.#launchAbort = abort;
    const startedWall = new Date();
    const startedAt = this.#clock.now();
    let plugin: Plugin<V>;
    let print: Fingerprint;
    // This lifetime's own stderr: a restart starts a new capture, never overwriting the last.
    const stderr = createStderrCapture(this.#o.maxStderrBytes ?? 64 * 1024, "tail");
    const launch = this.#o.launch;
    try {
      print = await this.#fingerprint(abort.signal);
      this.#lastPrint = print;
      plugin = await this.#o.host.launch({
        ...launch,
        signal: abort.signal,
        onStderrLine: (line, truncated) => {
          stderr.line(line, truncated);
          launch.onStderrLine?.(line, truncated);
        },
      });
    } catch (err) {
      if (this.#stopping || abort.signal.aborted) return;
      const cause = `launch failed: ${(err as Error).message}`;
      this.#record(n, startedWall, startedAt, undefined, undefined, { status: "failed", cause }, stderr);
      this.#failure("launch_failed", cause);
      return;
    }
    if (this.#stopping || abort.signal.aborted) {
      await plugin.close();
      return;
    }
    const life: Lifetime<V> = {
      n,
      plugin,
      fingerprint: print,
      startedAt,
      startedWall,
      sampler: startMemorySampler(plugin.pid ?? -1, this.#o.memorySampleMs ?? 250),
      stderr,
      stopProber: () => {},
      cancelStable: this.#restarts.watchStableRun(),
    };
    this.#life = life;
    this.#probeFailures = 0;
    life.stopProber = this.#startProber(life);
    void plugin.exited.then((exit) => this.#onExit(life, exit));
    this.#setState("running", "handshake complete");
    this.#emit("started", { lifetime: n, pid: plugin.pid, version: this.#o.version });
    if (reason !== "start")
      this.#emit("restarted", { reason, attempt: this.#restarts.count, pid: plugin.pid });
  }

  #startProber(life: Lifetime<V>): StopProber {
    const h = this.#o.health ?? {};
    const probe =
      h.probe ?? ((p: Plugin<V>, signal: AbortSignal) => p.ping({ signal }).then(() => "serving" as const));
    return startHealthProber({
      probe: (signal) => probe(life.plugin, signal),
      intervalMs: h.intervalMs ?? 5000,
      timeoutMs: h.timeoutMs ?? 5000,
      clock: this.#clock,
      onResult: (result) => this.#onProbe(life, result, h.failureThreshold ?? 3),
    });
  }

  #onProbe(life: Lifetime<V>, result: ProbeResult, threshold: number): void {
    if (this.#life !== life) return;
    this.#probeFailures = result.failures;
    const error = result.ok ? undefined : String((result.error as Error)?.message ?? result.error);
    this.#emit("probe", { ok: result.ok, failures: result.failures, ...(error ? { error } : {}) });
    if (result.ok) {
      this.#setState(result.verdict === "degraded" ? "degraded" : "running", `probe: ${result.verdict}`);
      return;
    }
    if (result.failures < threshold) {
      this.#setState("degraded", `probe failed (${result.failures}/${threshold}): ${error}`);
      return;
    }
    const cause = `unhealthy: ${result.failures} consecutive probe failures, last: ${error}`;
    this.#setState("unhealthy", cause);
    this.#emit("unhealthy", { failures: result.failures, error: error ?? "" });
    life.ending = { status: "failed", cause };
    this.#life = undefined;
    // Restart only if nothing launched meanwhile (a reload, or stop() and start(), during the kill):
    // a second restart would run two processes and leave one unsupervised.
    const launches = this.#lifetimes;
    void life.plugin.kill().then(() => {
      if (this.#lifetimes === launches) this.#failure("unhealthy", cause);
    });
  }

  #onExit(life: Lifetime<V>, exit: PluginExit): void {
    life.stopProber();
    life.cancelStable();
    const unexpected = life.ending === undefined;
    const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
    const ending = life.ending ?? { status: "failed" as const, cause: `exited unexpectedly (${how})` };
    this.#record(life.n, life.startedWall, life.startedAt, life, exit, ending, life.stderr);
    if (unexpected && this.#life === life) {
      this.#life = undefined;
      this.#failure("exited", ending.cause);
    }
  }

  /** After a failure: restart with backoff, or open the circuit (a trial start follows its cooldown). */
  #failure(reason: RestartReason, cause: string): void {
    if (this.#stopping) return;
    this.#lastError = cause;
    const plan = this.#restarts.afterFailure();
    if (plan.circuitOpen) {
      this.#setState("circuit_open", `too many restarts: ${cause}`);
      this.#emit("circuit_open", { restarts: plan.restarts, reopensAt: plan.reopensAt });
      this.#restarts.schedule(plan, () => void this.#launch("circuit_trial"));
      return;
    }
    this.#setState("restarting", cause);
    this.#emit("restarting", { reason, delayMs: plan.delayMs, attempt: plan.attempt });
    this.#restarts.schedule(plan, () => void this.#launch(reason));
  }

  #setState(to: SupervisorState, reason: string): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#emit("state", { from, to, reason });
    const life = this.#life;
    for (const waiter of this.#waiters) {
      if (life && (to === "running" || to === "degraded")) waiter.resolve(life.plugin);
      else if (to === "stopped" || to === "circuit_open") waiter.reject(this.#unavailable());
    }
  }

  #unavailable(): PlugwireError {
    const why =
      this.#state === "circuit_open"
        ? `circuit open after repeated failures (last: ${this.#lastError}); next trial at clock ${this.#restarts.circuit.reopensAt}`
        : "plugin is not running (supervisor stopped)";
    return new PlugwireError(ErrorCode.PluginUnavailable, why, {
      plugin: this.name,
      details: { state: this.#state, lastError: this.#lastError },
    });
  }

  #fingerprint(signal: AbortSignal | undefined): Promise<Fingerprint> {
    return specFingerprint(this.#o, signal);
  }

  #record(
    n: number,
    startedWall: Date,
    startedAt: number,
    life: Lifetime<V> | undefined,
    exit: PluginExit | undefined,
    ending: { status: RunStatus; cause: string },
    stderr: StderrCapture,
  ): void {
    const record = lifetimeRunRecord(this.#o, {
      runId: this.#runId,
      n,
      startedWall,
      durationMs: Math.max(0, this.#clock.now() - startedAt),
      life,
      exit,
      ending,
      stderr,
    });
    this.#emit("exited", { lifetime: n, expected: ending.status === "success", record });
    this.#o.onRecord?.(record);
  }

  #emit<K extends keyof SupervisorEventMap>(type: K, payload: SupervisorEventMap[K]): void {
    this.#events.emit({ type, plugin: this.name, at: this.#clock.now(), ...payload } as SupervisorEvent);
  }
}

/** Creates a {@link Supervisor} (not started: call `start()`). */
export function createSupervisor<V extends VersionedServices>(options: SupervisorOptions<V>): Supervisor<V> {
  return new Supervisor(options);
}
