import { spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import type { Logger } from "@plugwire/contract";
import type { LimitBreach } from "../isolation/options.js";
import type { IsolationPlan } from "../isolation/plan-isolation.js";
import { diagnoseSpawnError } from "../launch/executable.js";
import { splitLines } from "../launch/line-splitter.js";
import { groupAlive, signalGroup, trackGroup } from "../process/process-group.js";
import { parseStderrLine } from "./envelope.js";
import { startMemorySampler } from "./memory-sampler.js";
import { createStderrCapture } from "./stderr-capture.js";
import { terminateGroup } from "./terminate.js";

/** Options for {@link spawnOnce}. */
export interface SpawnOnceOptions {
  plugin: string;
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd?: string | undefined;
  /** Written to stdin, which is then closed. */
  stdin: Buffer;
  timeoutMs: number;
  graceMs: number;
  maxStdoutBytes: number;
  maxStderrBytes: number;
  memorySampleMs: number;
  logger: Logger;
  signal?: AbortSignal | undefined;
  /** Open fd 3 as a pipe held for the run (the isolation layer's die-with-host watchdog reads it). */
  watchdogPipe?: boolean | undefined;
  /** The isolation plan's exit hooks: limit-breach evidence and forbidden-path check + revert. */
  exitHook?: Pick<IsolationPlan, "started" | "stderrLine" | "finish"> | undefined;
}

/** How one process run ended, with everything it wrote. */
export interface SpawnOutcome {
  pid: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Why the host ended it, if it did. */
  endedBy: "timeout" | "canceled" | "stdout_overflow" | undefined;
  stdout: string;
  stderr: string;
  stderrTruncated: boolean;
  peakMemoryBytes: number | undefined;
  durationMs: number;
  /** From the isolation exit hook: the resource limit the exit points at. */
  breach?: LimitBreach | undefined;
  /** From the isolation exit hook: forbidden paths the run changed (already reverted). */
  violations?: string[] | undefined;
}

/** After the process exits, how long its pipes may stay open (a grandchild outside the group). */
const DRAIN_BOUND_MS = 1000;

/**
 * Runs a process once in its own group: request on stdin, stdout read to EOF (bounded; a flood ends
 * the run), stderr JSON lines logged and kept raw, a wall-clock timeout and cancel that end the
 * group with SIGTERM → grace → SIGKILL, and leftovers of the group SIGKILLed when the leader exits.
 * Rejects only when the process cannot be spawned (typed NOT_FOUND / NOT_EXECUTABLE …).
 */
export async function spawnOnce(o: SpawnOnceOptions): Promise<SpawnOutcome> {
  const started = Date.now();
  const child = spawn(o.command, [...o.args], {
    env: o.env,
    cwd: o.cwd,
    detached: true,
    stdio: ["pipe", "pipe", "pipe", ...(o.watchdogPipe ? (["pipe"] as const) : [])],
  });
  const spawned = await new Promise<number>((resolve, reject) => {
    child.once("spawn", () => resolve(child.pid as number));
    child.once("error", (err) =>
      reject(diagnoseSpawnError(err as NodeJS.ErrnoException, o.command, o.plugin)),
    );
  });
  const pid = spawned;
  child.on("error", () => {}); // later errors (e.g. a failed kill) surface as the exit
  const untrack = trackGroup(pid);
  o.exitHook?.started(pid);
  const sampler = startMemorySampler(pid, o.memorySampleMs);
  let endedBy: SpawnOutcome["endedBy"];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const end = (why: NonNullable<SpawnOutcome["endedBy"]>) => {
    if (endedBy) return;
    endedBy = why;
    void terminateGroup(pid, exited, o.graceMs);
  };

  // stdin: a plugin that exits without reading must not crash us with EPIPE.
  child.stdin.on("error", () => {});
  child.stdin.end(o.stdin);

  const out: Buffer[] = [];
  let outBytes = 0;
  child.stdout.on("data", (chunk: Buffer) => {
    outBytes += chunk.length;
    if (outBytes > o.maxStdoutBytes) return end("stdout_overflow");
    out.push(chunk);
  });
  const stdoutDone = new Promise<void>((resolve) => {
    child.stdout.once("close", resolve);
    child.stdout.once("end", resolve);
  });

  const stderr = createStderrCapture(o.maxStderrBytes);
  const log = o.logger.child({ plugin: o.plugin, pid });
  const stderrDone = splitLines(child.stderr as Readable, 64 * 1024, (line, truncated) => {
    stderr.line(line, truncated);
    o.exitHook?.stderrLine(line);
    if (line === "") return;
    const entry = parseStderrLine(line);
    log[entry.level](entry.context, entry.message);
  });

  const timer = setTimeout(() => end("timeout"), o.timeoutMs);
  const onAbort = () => end("canceled");
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener("abort", onAbort, { once: true });

  const exit = await exited;
  clearTimeout(timer);
  o.signal?.removeEventListener("abort", onAbort);
  // The leader is gone: nothing of its group may outlive the run.
  if (groupAlive(pid)) signalGroup(pid, "SIGKILL");
  untrack();
  await sampler.sample();
  const drained = await Promise.race([
    Promise.all([stdoutDone, stderrDone]).then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), DRAIN_BOUND_MS).unref()),
  ]);
  if (!drained) {
    child.stdout.destroy();
    child.stderr.destroy();
  }
  (child.stdio[3] as Writable | undefined)?.destroy();
  const isolated = await o.exitHook?.finish(
    { code: exit.code, signal: exit.signal, forced: endedBy !== undefined },
    stderr.text().trimEnd().split("\n").slice(-20),
  );
  return {
    pid,
    exitCode: exit.code,
    signal: exit.signal,
    endedBy,
    stdout: Buffer.concat(out).toString("utf8"),
    stderr: stderr.text(),
    stderrTruncated: stderr.truncated,
    peakMemoryBytes: sampler.stop(),
    durationMs: Date.now() - started,
    ...(isolated?.breach ? { breach: isolated.breach } : {}),
    ...(isolated?.violations?.length ? { violations: isolated.violations } : {}),
  };
}
