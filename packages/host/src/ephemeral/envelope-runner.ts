import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createConsoleLogger,
  ErrorCode,
  type InputValues,
  type Logger,
  PlugwireError,
} from "@plugwire/contract";
import { STRICT_ENV_BASE } from "../isolation/env-profile.js";
import type { IsolationOptions } from "../isolation/options.js";
import { type IsolationPlan, planIsolation } from "../isolation/plan-isolation.js";
import { filterHostEnv } from "../launch/environment.js";
import {
  decodeEnvelopeResponse,
  EnvelopeExit,
  encodeEnvelopeRequest,
  MAX_ENVELOPE_BYTES,
} from "./envelope.js";
import {
  DEFAULT_MAX_INPUT_REQUESTS,
  describeInputRequest,
  type InputRequiredHandler,
} from "./input-handler.js";
import {
  HOST_TIMEOUT_EXIT_CODE,
  type IdGenerator,
  isolationVerdict,
  type RecordSink,
  type RunRecord,
  type RunStatus,
  randomId,
} from "./run-record.js";
import { type SpawnOnceOptions, type SpawnOutcome, spawnOnce } from "./spawn-once.js";

/** Options for {@link runEnvelopePlugin}. */
export interface EnvelopeRunOptions {
  /** Plugin name, for records, logs and errors. */
  plugin: string;
  version?: string;
  /** Executable (no shell). Any language: it reads one JSON request on stdin, writes one JSON object. */
  command: string;
  args?: readonly string[];
  cwd?: string;
  /**
   * The whole environment of the process. Default: PATH, HOME, LANG and TZ from the host — never the
   * host's full environment. With `isolation`, extra variables over the isolation env profile.
   */
  env?: Record<string, string>;
  /**
   * The same isolation as a gRPC plugin launch (env allowlist, prlimit limits, sandbox level,
   * forbidden paths, die-with-host), applied per attempt by the isolation layer. A breach or a
   * forbidden write makes that attempt's record a `policy_violation`.
   */
  isolation?: IsolationOptions;
  /** The request, any JSON value (sent as `request` in the envelope). */
  request: unknown;
  /** Wall-clock limit per process. Default 60 s. */
  timeoutMs?: number;
  /** Between SIGTERM and SIGKILL of the group on timeout or cancel. Default 2 s. */
  graceMs?: number;
  /** Answers exit-2 input requests; without it such a run ends `skipped`. */
  onInputRequired?: InputRequiredHandler;
  /** Re-runs for input allowed per call. Default 3. */
  maxInputRequests?: number;
  /** Caps of stdin and stdout. Default 1 MiB each. */
  maxEnvelopeBytes?: number;
  /** Cap of the raw stderr kept per attempt. Default 1 MiB. */
  maxStderrBytes?: number;
  memorySampleMs?: number;
  logger?: Logger;
  signal?: AbortSignal;
  onRecord?: RecordSink;
  newId?: IdGenerator;
}

/** The outcome of one call: its status and output, and a record per process run (attempt). */
export interface EnvelopeRunResult {
  status: RunStatus;
  /** The stdout object of a successful run. */
  output: Record<string, unknown> | undefined;
  /** What went wrong, in words, when not a success. */
  error: string | undefined;
  /** One per attempt, oldest first; each keeps its own stderr. */
  records: RunRecord[];
}

/**
 * Runs an ephemeral JSON-envelope plugin: one process per attempt, `{ plugin, request, extra_inputs,
 * attempt }` on stdin, one JSON object on stdout, exit 0 ok / 1 plugin error / 2 input required /
 * 3 bad envelope or crash; the host's own timeout is reported as 124. Exit 2 asks `onInputRequired`
 * and re-runs with the answers as `extra_inputs`, at most `maxInputRequests` times. An oversized
 * request throws PAYLOAD_TOO_LARGE before anything is spawned; a missing executable throws its
 * typed error. Everything else is a result, never a throw.
 */
export async function runEnvelopePlugin(o: EnvelopeRunOptions): Promise<EnvelopeRunResult> {
  if (!o.plugin || !o.command) {
    throw new PlugwireError(ErrorCode.ConfigInvalid, "an envelope run needs a plugin name and a command", {
      plugin: o.plugin || "(unnamed)",
    });
  }
  const newId = o.newId ?? randomId;
  const runId = newId();
  const maxBytes = o.maxEnvelopeBytes ?? MAX_ENVELOPE_BYTES;
  const maxRounds = o.maxInputRequests ?? DEFAULT_MAX_INPUT_REQUESTS;
  const logger = o.logger ?? createConsoleLogger();
  const records: RunRecord[] = [];
  const extra: InputValues = {};
  const finish = (status: RunStatus, error: string | undefined, output?: Record<string, unknown>) => ({
    status,
    output,
    error,
    records,
  });

  for (let attempt = 1; ; attempt++) {
    const stdin = encodeEnvelopeRequest(
      { plugin: o.plugin, request: o.request, extra_inputs: { ...extra }, attempt },
      maxBytes,
    );
    if (o.signal?.aborted) return finish("canceled", "canceled before start");
    const startedAt = new Date();
    const run = await spawnIsolated(o, logger, {
      plugin: o.plugin,
      command: o.command,
      args: o.args ?? [],
      env: o.env ?? filterHostEnv({ allow: STRICT_ENV_BASE }),
      cwd: o.cwd,
      stdin,
      timeoutMs: o.timeoutMs ?? 60_000,
      graceMs: o.graceMs ?? 2000,
      maxStdoutBytes: maxBytes,
      maxStderrBytes: o.maxStderrBytes ?? MAX_ENVELOPE_BYTES,
      memorySampleMs: o.memorySampleMs ?? 50,
      logger,
      signal: o.signal,
    });
    const judged = judge(run, o.timeoutMs ?? 60_000, maxBytes);
    const violation = isolationVerdict(run);
    const verdict: Verdict = violation ? { kind: "done", ...violation } : judged;
    const record: RunRecord = {
      id: newId(),
      runId,
      plugin: o.plugin,
      version: o.version,
      kind: "ephemeral",
      attempt,
      status: verdict.status,
      cause: verdict.cause,
      startedAt,
      durationMs: run.durationMs,
      pid: run.pid,
      exitCode: run.endedBy === "timeout" ? HOST_TIMEOUT_EXIT_CODE : run.exitCode,
      signal: run.signal,
      peakMemoryBytes: run.peakMemoryBytes,
      stderr: run.stderr,
      stderrTruncated: run.stderrTruncated,
      ...(violation?.violations ? { violations: violation.violations } : {}),
    };
    records.push(record);
    o.onRecord?.(record);
    if (verdict.kind !== "input_required") return finish(verdict.status, verdict.cause, verdict.output);

    const wanted = describeInputRequest(verdict.input);
    if (!o.onInputRequired) return finish("skipped", `input required and no handler: ${wanted}`);
    if (attempt > maxRounds)
      return finish("failed", `input requested more than ${maxRounds} times; last: ${wanted}`);
    const signal = o.signal ?? new AbortController().signal;
    let values: InputValues | undefined;
    try {
      values = await abortable(
        Promise.resolve(o.onInputRequired(verdict.input, { plugin: o.plugin, round: attempt, signal })),
        signal,
      );
    } catch (err) {
      return finish("canceled", `input request canceled: ${(err as Error)?.message ?? String(err)}`);
    }
    if (!values) return finish("canceled", `input declined: ${wanted}`);
    Object.assign(extra, values);
  }
}

type Verdict =
  | { kind: "done"; status: RunStatus; cause: string | undefined; output?: Record<string, unknown> }
  | {
      kind: "input_required";
      status: RunStatus;
      cause: string;
      input: import("@plugwire/contract").InputRequest;
      output?: undefined;
    };

function judge(run: SpawnOutcome, timeoutMs: number, maxBytes: number): Verdict {
  const done = (status: RunStatus, cause: string | undefined, output?: Record<string, unknown>): Verdict => ({
    kind: "done",
    status,
    cause,
    ...(output ? { output } : {}),
  });
  if (run.endedBy === "timeout")
    return done("timeout", `timed out after ${timeoutMs} ms; ended by ${run.signal ?? "exit"}`);
  if (run.endedBy === "canceled") return done("canceled", "canceled by the caller");
  if (run.endedBy === "stdout_overflow") return done("failed", `stdout exceeded ${maxBytes} bytes`);
  if (run.exitCode === null) return done("failed", `crashed: killed by ${run.signal}`);
  if (run.exitCode === EnvelopeExit.BadEnvelope)
    return done("failed", "plugin reported a bad envelope or crash (exit 3)");
  if (run.exitCode > EnvelopeExit.BadEnvelope) return done("failed", `unexpected exit code ${run.exitCode}`);
  const res = decodeEnvelopeResponse(run.exitCode, run.stdout);
  switch (res.kind) {
    case "ok":
      return done("success", undefined, res.output);
    case "error":
      return done("failed", `plugin error: ${res.message}`);
    case "bad":
      return done("failed", `bad envelope: ${res.message}`);
    case "input_required":
      return {
        kind: "input_required",
        status: "skipped",
        cause: `input required: ${describeInputRequest(res.input)}`,
        input: res.input,
      };
  }
}

/**
 * {@link spawnOnce}, through the isolation layer when `o.isolation` is set: the same plan as a gRPC
 * launch (planIsolation), with a private scratch dir in place of the socket dir (the watchdog removes
 * it if the host dies; bwrap keeps it writable). The plan's env profile replaces the default env.
 */
async function spawnIsolated(
  o: EnvelopeRunOptions,
  logger: Logger,
  spawn: SpawnOnceOptions,
): Promise<SpawnOutcome> {
  if (!o.isolation) return spawnOnce(spawn);
  const scratch = await mkdtemp(join(tmpdir(), "pw-env-"));
  let plan: IsolationPlan | undefined;
  try {
    plan = await planIsolation({
      plugin: o.plugin,
      command: spawn.command,
      args: spawn.args,
      cwd: spawn.cwd,
      socketDir: scratch,
      isolation: o.isolation,
      logger: logger.child({ plugin: o.plugin }),
    });
    const run = await spawnOnce({
      ...spawn,
      command: plan.command,
      args: plan.args,
      env: { ...filterHostEnv(plan.envPolicy), ...o.env },
      watchdogPipe: plan.watchdog,
      exitHook: plan,
    });
    plan = undefined; // finished by spawnOnce's exit hook
    return run;
  } finally {
    await plan?.dispose();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** `promise`, or a rejection as soon as `signal` aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error("aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
