import { ErrorCode, PlugwireError } from "@plugwire/contract";
import type { Plugin } from "../host/plugin.js";
import type { LaunchOptions, PluginHost } from "../host/plugin-host.js";
import type { VersionedServices } from "../host/types.js";
import { abortable } from "./envelope-runner.js";
import { startMemorySampler } from "./memory-sampler.js";
import {
  HOST_TIMEOUT_EXIT_CODE,
  type IdGenerator,
  isolationVerdict,
  type RecordSink,
  type RunRecord,
  type RunStatus,
  randomId,
} from "./run-record.js";
import { createStderrCapture } from "./stderr-capture.js";
import { terminateGroup } from "./terminate.js";

/** Options for {@link runEphemeralPlugin}. */
export interface EphemeralRunOptions {
  version?: string;
  /** Wall-clock limit for launch + call + close. Default 60 s. */
  timeoutMs?: number;
  /** Between SIGTERM and SIGKILL of the group on timeout or cancel. Default 2 s. */
  graceMs?: number;
  memorySampleMs?: number;
  /** Cap of the raw stderr kept in the record (first bytes). Default 1 MiB. */
  maxStderrBytes?: number;
  signal?: AbortSignal;
  onRecord?: RecordSink;
  newId?: IdGenerator;
}

/** The outcome of one ephemeral gRPC call. */
export interface EphemeralRunResult<T> {
  status: RunStatus;
  /** What `call` returned, on success. */
  output: T | undefined;
  /** The error `call` (or the launch) failed with, otherwise undefined. */
  error: unknown;
  record: RunRecord;
}

/**
 * One process per call for a go-plugin (gRPC) plugin: launch, run `call` with the plugin, close.
 * The wall-clock timeout and a cancel end the whole group — SIGTERM, `graceMs`, then SIGKILL — and
 * the run is recorded as `timeout` (exit code 124) or `canceled`. The result never throws for the
 * plugin's failures; they are in `status` and `error`.
 */
export async function runEphemeralPlugin<V extends VersionedServices, T>(
  host: PluginHost<V>,
  launch: Omit<LaunchOptions, "signal">,
  call: (plugin: Plugin<V>, signal: AbortSignal) => Promise<T>,
  options: EphemeralRunOptions = {},
): Promise<EphemeralRunResult<T>> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const graceMs = options.graceMs ?? 2000;
  const startedAt = new Date();
  const t0 = Date.now();
  const lifetime = new AbortController();
  let endedBy: "timeout" | "canceled" | undefined;
  const stop = (why: "timeout" | "canceled") => {
    if (endedBy) return;
    endedBy = why;
    lifetime.abort(
      why === "timeout"
        ? new PlugwireError(ErrorCode.Timeout, `ephemeral run timed out after ${timeoutMs} ms`, {
            plugin: launch.name,
          })
        : new PlugwireError(ErrorCode.Aborted, "ephemeral run canceled", {
            plugin: launch.name,
            cause: options.signal?.reason,
          }),
    );
  };
  const timer = setTimeout(() => stop("timeout"), timeoutMs);
  const onAbort = () => stop("canceled");
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });

  let plugin: Plugin<V> | undefined;
  let sampler: ReturnType<typeof startMemorySampler> | undefined;
  let output: T | undefined;
  let error: unknown;
  let endSignal: NodeJS.Signals | null = null;
  const stderr = createStderrCapture(options.maxStderrBytes ?? 1024 * 1024);
  try {
    plugin = await host.launch({
      ...launch,
      signal: lifetime.signal,
      onStderrLine: (line, truncated) => {
        stderr.line(line, truncated);
        launch.onStderrLine?.(line, truncated);
      },
    });
    if (plugin.pid !== undefined) sampler = startMemorySampler(plugin.pid, options.memorySampleMs ?? 50);
    output = await abortable(call(plugin, lifetime.signal), lifetime.signal);
  } catch (err) {
    error = err;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
  let exit = plugin?.exit;
  if (plugin) {
    if (endedBy && plugin.pid !== undefined)
      endSignal = await terminateGroup(plugin.pid, plugin.exited, graceMs);
    exit = await plugin.close({ graceMs });
  }
  const violation = exit ? isolationVerdict(exit) : undefined;
  const status: RunStatus = endedBy ?? violation?.status ?? (error === undefined ? "success" : "failed");
  const record: RunRecord = {
    id: (options.newId ?? randomId)(),
    runId: (options.newId ?? randomId)(),
    plugin: launch.name,
    version: options.version,
    kind: "ephemeral",
    attempt: 1,
    status,
    cause:
      endedBy === "timeout"
        ? `timed out after ${timeoutMs} ms; ended by ${endSignal}`
        : (violation?.cause ?? (error ? String((error as Error).message ?? error) : undefined)),
    ...(violation?.violations ? { violations: violation.violations } : {}),
    startedAt,
    durationMs: Date.now() - t0,
    pid: plugin?.pid,
    exitCode: endedBy === "timeout" ? HOST_TIMEOUT_EXIT_CODE : (exit?.code ?? null),
    signal: exit?.signal ?? null,
    peakMemoryBytes: sampler?.stop(),
    // Also logged through the host's hclog sink; kept raw here, per run.
    stderr: stderr.text(),
    stderrTruncated: stderr.truncated,
  };
  options.onRecord?.(record);
  return { status, output: error === undefined ? output : undefined, error, record };
}
