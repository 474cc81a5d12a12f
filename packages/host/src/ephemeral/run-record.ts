import { randomUUID } from "node:crypto";
import type { LimitBreach } from "../isolation/options.js";

/**
 * How a run ended. `skipped`: the plugin needed input nobody supplied; `timeout`: the host's
 * wall-clock limit (exit code 124); `policy_violation`: set by isolation checks (forbidden writes,
 * limits); `canceled`: the caller's AbortSignal or a declined input request.
 */
export type RunStatus = "success" | "skipped" | "failed" | "timeout" | "policy_violation" | "canceled";

/** The exit code the host reports for its own timeout (as coreutils `timeout`). */
export const HOST_TIMEOUT_EXIT_CODE = 124;

/**
 * One ephemeral run (one process) or one supervised lifetime. Each attempt of an input-required
 * re-run is its own record with its own stderr: a retry never overwrites an earlier attempt.
 */
export interface RunRecord {
  /** Unique per record. */
  id: string;
  /** Shared by every attempt of one ephemeral call (or one supervisor). */
  runId: string;
  plugin: string;
  version: string | undefined;
  kind: "ephemeral" | "supervised";
  /** 1-based attempt (ephemeral re-runs) or lifetime (supervised launches). */
  attempt: number;
  status: RunStatus;
  /** Why, in words, when not a plain success. */
  cause: string | undefined;
  startedAt: Date;
  durationMs: number;
  pid: number | undefined;
  /** Exit code; 124 when the host's timeout ended the run; null when killed otherwise. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /**
   * Peak resident memory of the process group in bytes: the largest sum of the members' VmHWM seen
   * by sampling /proc (Linux). undefined where /proc is missing or the run ended before a sample.
   */
  peakMemoryBytes: number | undefined;
  /** Raw stderr of this attempt (capped; see `stderrTruncated`). undefined when not captured. */
  stderr: string | undefined;
  stderrTruncated: boolean;
  /** Paths involved in a `policy_violation`. */
  violations?: string[];
}

/** A fresh id for records and runs; injectable where tests need stable ids. */
export type IdGenerator = () => string;

/** The default {@link IdGenerator}: random UUIDs. */
export const randomId: IdGenerator = () => randomUUID();

/** Receives every finished {@link RunRecord} (store, log, metrics). */
export type RecordSink = (record: RunRecord) => void;

/** The record of one supervised lifetime, with that lifetime's own raw stderr (bounded). */
export function lifetimeRecord(o: {
  id: string;
  runId: string;
  plugin: string;
  version: string | undefined;
  attempt: number;
  ending: { status: RunStatus; cause: string };
  startedAt: Date;
  durationMs: number;
  pid: number | undefined;
  exit:
    | {
        code: number | null;
        signal: NodeJS.Signals | null;
        breach?: LimitBreach | undefined;
        violations?: string[] | undefined;
      }
    | undefined;
  peakMemoryBytes: number | undefined;
  stderr: { text(): string; readonly truncated: boolean };
}): RunRecord {
  const violation = o.exit ? isolationVerdict(o.exit) : undefined;
  return {
    id: o.id,
    runId: o.runId,
    plugin: o.plugin,
    version: o.version,
    kind: "supervised",
    attempt: o.attempt,
    status: violation?.status ?? o.ending.status,
    cause: violation ? `${o.ending.cause}; ${violation.cause}` : o.ending.cause,
    ...(violation?.violations ? { violations: violation.violations } : {}),
    startedAt: o.startedAt,
    durationMs: o.durationMs,
    pid: o.pid,
    exitCode: o.exit?.code ?? null,
    signal: o.exit?.signal ?? null,
    peakMemoryBytes: o.peakMemoryBytes,
    stderr: o.stderr.text(),
    stderrTruncated: o.stderr.truncated,
  };
}

/**
 * What the isolation layer found at exit, as a record's verdict (issue 11): changed forbidden paths
 * (already reverted) or a resource-limit breach make the run a `policy_violation`, with the paths or
 * the limit and its evidence as the cause. undefined when isolation found nothing.
 */
export function isolationVerdict(exit: {
  breach?: LimitBreach | undefined;
  violations?: string[] | undefined;
}): Pick<RunRecord, "status" | "cause" | "violations"> | undefined {
  if (exit.violations?.length)
    return {
      status: "policy_violation",
      cause: `changed forbidden paths (reverted): ${exit.violations.join(", ")}`,
      violations: exit.violations,
    };
  if (exit.breach)
    return {
      status: "policy_violation",
      cause: `hit its ${exit.breach.resource} limit (${exit.breach.limit}): ${exit.breach.evidence}`,
    };
  return undefined;
}
