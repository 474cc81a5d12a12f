import type { IdGenerator, RecordSink } from "../ephemeral/run-record.js";
import type { Plugin } from "../host/plugin.js";
import type { LaunchOptions, PluginHost } from "../host/plugin-host.js";
import type { VersionedServices } from "../host/types.js";
import type { BackoffOptions } from "./backoff.js";
import type { CircuitBreakerOptions } from "./circuit-breaker.js";
import type { Clock } from "./clock.js";
import type { EventSink, SupervisorState } from "./events.js";
import type { ProbeVerdict } from "./health-prober.js";

/** Health probing of a supervised plugin. */
export interface HealthOptions<V extends VersionedServices> {
  /** Default 5 s between probes. */
  intervalMs?: number;
  /** Default 5 s per probe. */
  timeoutMs?: number;
  /** Consecutive failures that make the plugin unhealthy (then restarted). Default 3. */
  failureThreshold?: number;
  /** Default: go-plugin's Ping (`Health.Check{service:"plugin"}` must answer SERVING). */
  probe?: (plugin: Plugin<V>, signal: AbortSignal) => Promise<ProbeVerdict>;
}

/** Options for {@link createSupervisor}. */
export interface SupervisorOptions<V extends VersionedServices> {
  /** Launches each lifetime; the supervisor closes what it launched, not the host. */
  host: PluginHost<V>;
  /** How to launch the plugin (its `signal` is the supervisor's). */
  launch: Omit<LaunchOptions, "signal">;
  /** The plugin's version, for records and change detection. */
  version?: string;
  /** The plugin's configuration; a change restarts it (see `reload`). */
  config?: unknown;
  /** The file whose bytes identify the build. Default `launch.command` when it is a path. */
  artifact?: string;
  health?: HealthOptions<V>;
  /** Restart delays. Default 1 s doubling to 60 s. */
  backoff?: BackoffOptions;
  /** Crash-loop breaker. Default: more than 5 restarts in 60 s opens it for 60 s. */
  circuit?: Omit<CircuitBreakerOptions, "clock">;
  /** A lifetime running this long resets the backoff and closes a half-open circuit. Default 60 s. */
  stableAfterMs?: number;
  /** How long a call waits for a restarting plugin before failing with PLUGIN_UNAVAILABLE. Default 30 s. */
  readyTimeoutMs?: number;
  /** Cap of the raw stderr each lifetime record keeps (its last bytes). Default 64 KiB. */
  maxStderrBytes?: number;
  /** Interval of /proc memory sampling for lifetime records. Default 250 ms. */
  memorySampleMs?: number;
  clock?: Clock;
  newId?: IdGenerator;
  /** Also publish events here (the Daemon EventBus: topics plugin.started|exited|unhealthy|restarted). */
  events?: EventSink;
  /** Receives one run record per lifetime. */
  onRecord?: RecordSink;
}

/** A point-in-time view of a supervised plugin. */
export interface SupervisorStatus {
  plugin: string;
  state: SupervisorState;
  version: string | undefined;
  pid: number | undefined;
  /** Launches so far (successful or not). */
  lifetimes: number;
  /** Restarts so far (every cause). */
  restarts: number;
  /** Consecutive failed health probes. */
  probeFailures: number;
  /** Peak memory of the current process group so far (sampled from /proc), if measured yet. */
  peakMemoryBytes: number | undefined;
  /** Clock ms the current process became running, if it is. */
  runningSince: number | undefined;
  /** Delay of the pending restart, if one is scheduled. */
  nextRestartInMs: number | undefined;
  circuit: { state: "closed" | "open" | "half_open"; recentRestarts: number; reopensAt: number | undefined };
  /** The last failure, in words. */
  lastError: string | undefined;
}

/** What {@link Supervisor.reload} may change. */
export interface ReloadChanges {
  version?: string;
  config?: unknown;
  artifact?: string;
  launch?: SupervisorOptions<VersionedServices>["launch"];
}
