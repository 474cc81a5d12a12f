import { readFileSync } from "node:fs";
import { ErrorCode, PlugwireError } from "@plugwire/contract";
import type { LimitBreach, ResourceLimits } from "./options.js";

/** Grace between RLIMIT_CPU's soft limit (SIGXCPU) and its hard limit (SIGKILL), in seconds. */
const CPU_HARD_GRACE_S = 1;

/** Throws unless every limit is a positive integer (prlimit takes plain counts). */
export function validateLimits(limits: ResourceLimits, plugin: string): void {
  for (const [key, value] of Object.entries(limits)) {
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new PlugwireError(
        ErrorCode.ConfigInvalid,
        `limits.${key} must be a positive integer, got ${value}`,
        {
          plugin,
        },
      );
    }
  }
}

/** True when at least one limit is set. */
export function hasLimits(limits: ResourceLimits | undefined): limits is ResourceLimits {
  return !!limits && Object.values(limits).some((v) => v !== undefined);
}

/**
 * util-linux `prlimit` arguments (`--data=<bytes>`, `--cpu=<soft>:<hard>`, `--nofile=<n>`), to put
 * before `--` and the command: prlimit sets the limits on itself and execs, so the plugin keeps
 * the pid the host spawned. RLIMIT_DATA rather than RLIMIT_AS: a Go plugin reserves ~1.7 GB of
 * address space at start and V8 several GB, so an AS limit breaks them before they allocate.
 */
export function prlimitArgs(limits: ResourceLimits): string[] {
  const args: string[] = [];
  if (limits.memoryBytes !== undefined) args.push(`--data=${limits.memoryBytes}`);
  if (limits.cpuSeconds !== undefined) {
    args.push(`--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + CPU_HARD_GRACE_S}`);
  }
  if (limits.openFiles !== undefined) args.push(`--nofile=${limits.openFiles}`);
  return args;
}

/** V8's old-space cap for a Node plugin: ¾ of the memory limit, so V8 fails with its own message first. */
export function nodeHeapFlag(limits: ResourceLimits | undefined): string[] {
  if (limits?.memoryBytes === undefined) return [];
  const mib = Math.max(16, Math.floor((limits.memoryBytes * 0.75) / (1024 * 1024)));
  return [`--max-old-space-size=${mib}`];
}

/** What allocation failures look like on stderr, for Go, Node/V8, libc and common runtimes. */
const MEMORY_PATTERNS = [
  /out of memory/i, // Go "fatal error: runtime: out of memory", V8 "JavaScript heap out of memory"
  /Reached heap limit/,
  /allocation failed/i, // V8 "Array buffer allocation failed", "Allocation failed"
  /Fatal process OOM/,
  /failed to reserve .* memory/i, // Go at start-up under a tight RLIMIT_DATA
  /Cannot allocate memory|ENOMEM/,
  /std::bad_alloc|MemoryError/,
];
const FILES_PATTERNS = [/too many open files/i, /EMFILE/];

/** True for a stderr line that names a limit failure: worth keeping beyond the stderr tail (V8 prints ~20 stack lines after its). */
export function isBreachLine(line: string): boolean {
  return [...MEMORY_PATTERNS, ...FILES_PATTERNS].some((p) => p.test(line));
}

/** Facts about one exit that {@link classifyBreach} weighs. */
export interface ExitFacts {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The host killed it (close or timeout): a SIGKILL then is not a limit. */
  forced: boolean;
  stderrTail: readonly string[];
  /** CPU seconds the plugin had used when last sampled, if sampled. */
  cpuSeconds?: number | undefined;
}

/**
 * Names the limit an exit ran into, from the signal and the stderr tail: RLIMIT_CPU ends in SIGXCPU
 * (or SIGKILL at the hard limit); RLIMIT_DATA makes allocations fail with ENOMEM, which runtimes
 * report as "out of memory" (Go exits 2, V8 aborts with SIGABRT, C code may SIGSEGV); RLIMIT_NOFILE
 * shows as EMFILE. Returns undefined when the exit does not point at a configured limit.
 */
export function classifyBreach(limits: ResourceLimits | undefined, exit: ExitFacts): LimitBreach | undefined {
  if (!limits || (exit.code === 0 && exit.signal === null)) return undefined;
  const line = (patterns: RegExp[]) =>
    [...exit.stderrTail].reverse().find((l) => patterns.some((p) => p.test(l)));
  if (limits.cpuSeconds !== undefined) {
    const cpu = limits.cpuSeconds;
    if (exit.signal === "SIGXCPU")
      return { resource: "cpu", limit: cpu, evidence: "SIGXCPU (RLIMIT_CPU soft limit)" };
    if (exit.signal === "SIGKILL" && !exit.forced && (exit.cpuSeconds ?? 0) >= cpu) {
      return {
        resource: "cpu",
        limit: cpu,
        evidence: `SIGKILL at the RLIMIT_CPU hard limit after ${exit.cpuSeconds}s of CPU`,
      };
    }
  }
  if (limits.memoryBytes !== undefined) {
    const found = line(MEMORY_PATTERNS);
    if (found) return { resource: "memory", limit: limits.memoryBytes, evidence: found.slice(0, 300) };
    if (
      (exit.signal === "SIGSEGV" || exit.signal === "SIGABRT" || exit.signal === "SIGKILL") &&
      !exit.forced
    ) {
      return {
        resource: "memory",
        limit: limits.memoryBytes,
        evidence: `${exit.signal} with no other cause under a memory limit (failed allocation or OOM kill)`,
      };
    }
  }
  if (limits.openFiles !== undefined) {
    const found = line(FILES_PATTERNS);
    if (found) return { resource: "open-files", limit: limits.openFiles, evidence: found.slice(0, 300) };
  }
  return undefined;
}

/**
 * CPU seconds (user + system) a live process has used, from /proc/<pid>/stat fields 14 and 15, or
 * undefined off Linux or once it is gone. Sampled while the plugin runs: after the exit it is too late.
 */
export function cpuSecondsOf(pid: number): number | undefined {
  const rest = procStat(pid);
  if (!rest) return undefined;
  const ticks = Number(rest[11]) + Number(rest[12]);
  // USER_HZ is 100 on every Linux ABI Node supports.
  return Number.isFinite(ticks) ? ticks / 100 : undefined;
}

/** The process group of a live process (/proc/<pid>/stat field 5), or undefined. */
export function pgidOf(pid: number): number | undefined {
  const rest = procStat(pid);
  return rest ? Number(rest[2]) : undefined;
}

/** Fields 3… of /proc/<pid>/stat (after `comm`, which may hold spaces and parens), or undefined. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}
