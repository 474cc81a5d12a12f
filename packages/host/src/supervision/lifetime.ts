import type { MemorySampler } from "../ephemeral/memory-sampler.js";
import { lifetimeRecord, type RunRecord, type RunStatus, randomId } from "../ephemeral/run-record.js";
import type { StderrCapture } from "../ephemeral/stderr-capture.js";
import type { Plugin } from "../host/plugin.js";
import type { VersionedServices } from "../host/types.js";
import type { PluginExit } from "../launch/spawn.js";
import { type Fingerprint, fingerprint } from "./fingerprint.js";
import type { StopProber } from "./health-prober.js";
import type { SupervisorOptions } from "./supervisor-options.js";

/** One process of a supervised plugin, from its launch to its exit (its run record's material). */
export interface Lifetime<V extends VersionedServices> {
  n: number;
  plugin: Plugin<V>;
  fingerprint: Fingerprint;
  startedAt: number;
  startedWall: Date;
  sampler: MemorySampler;
  stderr: StderrCapture;
  stopProber: StopProber;
  cancelStable: () => void;
  /** Set when we end it on purpose: how its record reads. */
  ending?: { status: RunStatus; cause: string };
}

/**
 * The fingerprint of what the supervisor launches (issue 11: "a restart when version, binary or
 * config changes even if the path is unchanged"): version, sha256 of the artifact (default
 * `launch.command` when it is a path), and config together with argv, env and source.
 */
export function specFingerprint<V extends VersionedServices>(
  o: SupervisorOptions<V>,
  signal: AbortSignal | undefined,
): Promise<Fingerprint> {
  const { launch, version, config } = o;
  const artifact = o.artifact ?? (launch.command?.includes("/") ? launch.command : undefined);
  const spec = {
    config,
    args: launch.args ?? [],
    env: launch.env ?? {},
    command: launch.command,
    source: launch.source,
  };
  return fingerprint({ version, artifact, config: spec, signal });
}

/** The run record of lifetime `n` (`life` undefined: its launch failed), with its own stderr. */
export function lifetimeRunRecord<V extends VersionedServices>(
  o: SupervisorOptions<V>,
  r: {
    runId: string;
    n: number;
    startedWall: Date;
    durationMs: number;
    life: Lifetime<V> | undefined;
    exit: PluginExit | undefined;
    ending: { status: RunStatus; cause: string };
    stderr: StderrCapture;
  },
): RunRecord {
  return lifetimeRecord({
    id: (o.newId ?? randomId)(),
    runId: r.runId,
    plugin: o.launch.name,
    version: r.life ? r.life.fingerprint.version : o.version,
    attempt: r.n,
    ending: r.ending,
    startedAt: r.startedWall,
    durationMs: r.durationMs,
    pid: r.life?.plugin.pid,
    exit: r.exit,
    peakMemoryBytes: r.life?.sampler.stop(),
    stderr: r.stderr,
  });
}
