import { rmSync } from "node:fs";
import type { LimitBreach } from "../isolation/options.js";
import { groupAlive, signalGroup, trackGroup } from "../process/process-group.js";
import { diagnoseSpawnError, type ExecutableKind } from "./executable.js";
import { splitLines } from "./line-splitter.js";
import { directSpawn, type Spawner } from "./zygote.js";

/** How a plugin process ended. */
export interface PluginExit {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the host had to SIGKILL the group because graceful shutdown did not finish. */
  forced: boolean;
  /** The resource limit the exit points at, when the launch had limits (see isolation). */
  breach?: LimitBreach;
  /** Forbidden paths the plugin changed (relative to the work dir; already reverted): a policy violation. */
  violations?: string[];
}

/** Options for {@link spawnPlugin}. */
export interface SpawnOptions {
  plugin: string;
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd?: string | undefined;
  /** Removed synchronously if the host exits while the plugin runs. */
  socketDir?: string | undefined;
  /** go-plugin hands the host's stdin to the plugin; we default to none. */
  stdin?: "ignore" | "inherit";
  /** Called with every stderr line (bounded length). */
  onStderrLine: (line: string, truncated: boolean) => void;
  /** Called with every stdout line after the first (the first goes to `firstLine`). */
  onStdoutLine: (line: string) => void;
  /** Open fd 3 as a pipe the host holds for the plugin's lifetime (the die-with-host watchdog reads it). */
  watchdogPipe?: boolean;
  /** What the pre-exec diagnosis found about `command` (zygotes only exec native binaries and scripts). */
  kind?: ExecutableKind | undefined;
  /** How the process is started; default {@link directSpawn}. The host passes its zygote pool. */
  spawner?: Spawner | undefined;
  /** Isolation hooks: told the pid once running; completes the exit report before `exited` settles. */
  exitHook?: {
    started(pid: number): void;
    stderrLine(line: string): void;
    finish(exit: PluginExit, stderrTail: readonly string[]): Promise<PluginExit>;
  };
}

/** A spawned plugin process in its own process group. */
export interface PluginProcess {
  readonly pid: number;
  /** Resolves with the first stdout line (the handshake), or undefined if stdout closed first. */
  readonly firstLine: Promise<string | undefined>;
  /** Settles when the process has exited and its pipes are drained. Never rejects. */
  readonly exited: Promise<PluginExit>;
  /** Rejects when spawning failed (not found, not executable), with a typed error. */
  readonly spawnError: Promise<never>;
  /** The last stderr lines, for error messages. */
  stderrTail(): string[];
  /** Signals the whole group. */
  signal(signal: NodeJS.Signals): void;
  /** Marks the coming exit as forced (set before SIGKILL). */
  markForced(): void;
  /** True while any process of the group is alive. */
  groupAlive(): boolean;
}

const STDERR_TAIL = 20;
/** A Go host reads at most 64 KiB for the handshake line; other lines are bounded the same. */
const MAX_LINE = 64 * 1024;

/**
 * Starts the plugin as go-plugin's `exec.Cmd` does: no shell, argv array, exactly the given env; in its
 * own process group (`detached`), stdout and stderr piped and always drained (Go plugins ≥ v1.1 block
 * on full pipes). `node:child_process` directly (or a pre-forked zygote, see zygote.ts): execa's
 * wrapping (option normalising, result promise, its own stream plumbing) cost ~0.5 ms per launch for
 * features a plugin launch never uses.
 */
export function spawnPlugin(o: SpawnOptions): PluginProcess {
  const spec = {
    command: o.command,
    args: o.args,
    env: o.env,
    cwd: o.cwd,
    stdin: o.stdin,
    watchdogPipe: o.watchdogPipe,
    kind: o.kind,
  };
  let forced = false;
  let resolveExit!: (exit: PluginExit) => void;
  const exited = new Promise<PluginExit>((resolve) => {
    resolveExit = resolve;
  });
  let rejectSpawn!: (err: unknown) => void;
  const spawnError = new Promise<never>((_, reject) => {
    rejectSpawn = reject;
  });
  spawnError.catch(() => {});
  const child = o.spawner ? o.spawner.spawn(spec) : directSpawn(spec);
  const pid = child.pid;
  // Listened to at once: a spawn that failed (no pid) emits `error` on the next tick, and out of
  // file descriptors (EMFILE) it has no stdio streams either. Kept for the process's life: an
  // `error` without a listener (a later failed kill) would throw.
  child.on("error", (err: NodeJS.ErrnoException) => {
    if (pid !== undefined) return;
    rejectSpawn(diagnoseSpawnError(err, o.command, o.plugin));
    resolveExit({ code: null, signal: null, forced });
  });
  const tail: string[] = [];
  let resolveFirst!: (line: string | undefined) => void;
  const firstLine = new Promise<string | undefined>((r) => {
    resolveFirst = r;
  });
  let sawFirst = false;
  const stdoutDone = splitLines(child.stdout ?? undefined, MAX_LINE, (line, truncated) => {
    if (!sawFirst) {
      sawFirst = true;
      // An over-long first line is not a handshake; hand over what we have so it is reported.
      resolveFirst(truncated ? `${line}…` : line);
      return;
    }
    o.onStdoutLine(line);
  }).then(() => resolveFirst(undefined));
  const stderrDone = splitLines(child.stderr ?? undefined, MAX_LINE, (line, truncated) => {
    tail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
    if (tail.length > STDERR_TAIL) tail.shift();
    o.exitHook?.stderrLine(line);
    o.onStderrLine(line, truncated);
  });
  if (pid !== undefined) o.exitHook?.started(pid);
  const untrack =
    pid === undefined
      ? () => {}
      : trackGroup(pid, () => {
          if (o.socketDir) rmSync(o.socketDir, { recursive: true, force: true });
        });
  // Settle on the `exit` event, not on `close`: that waits for the pipes, which a forked grandchild
  // can hold open forever. Leftovers of the group are killed — no orphans.
  child.once("exit", (code, signal) => {
    if (pid !== undefined && groupAlive(pid)) signalGroup(pid, "SIGKILL");
    untrack();
    // The watchdog's pipe has done its job once the plugin is gone.
    child.stdio[3]?.destroy();
    const drained = Promise.all([stdoutDone, stderrDone]);
    const bound = new Promise((r) => setTimeout(r, 1000).unref());
    void Promise.race([drained, bound])
      .then(() => o.exitHook?.finish({ code, signal, forced }, tail) ?? { code, signal, forced })
      .catch(() => ({ code, signal, forced }))
      .then(resolveExit);
  });
  return {
    pid: pid ?? -1,
    firstLine,
    exited,
    spawnError,
    stderrTail: () => [...tail],
    signal(signal) {
      if (pid !== undefined) signalGroup(pid, signal);
    },
    markForced() {
      forced = true;
    },
    groupAlive: () => pid !== undefined && groupAlive(pid),
  };
}
