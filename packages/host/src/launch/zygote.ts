import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import type { Socket } from "node:net";
import { resolve } from "node:path";
import type { ExecutableKind } from "./executable.js";

/**
 * The shell a zygote runs. dash only: it execs with exactly the variables it is given once `PWD`
 * is unset (bash re-exports `SHLVL` on exec, which would change the plugin's environment), and
 * reads its script from a socket in blocks (Node's stdio "pipes" are socketpairs, which
 * `. /dev/fd/N` cannot open).
 */
const ZYGOTE_SHELL = "/bin/dash";

/** What one plugin exec needs; the shape {@link spawnPlugin} passes to its spawner. */
export interface ExecSpec {
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd?: string | undefined;
  stdin?: "ignore" | "inherit" | undefined;
  /** Open fd 3 as a pipe (the die-with-host watchdog). */
  watchdogPipe?: boolean | undefined;
  /** What the pre-exec diagnosis found; zygotes only exec what the kernel will take as is. */
  kind?: ExecutableKind | undefined;
}

/** Starts plugin processes; {@link createZygotePool} is the fast one, {@link directSpawn} the plain one. */
export interface Spawner {
  spawn(spec: ExecSpec): ChildProcess;
  /**
   * The host is about to wait for a plugin to exit (close): a moment to fork the next zygote that
   * takes nothing from a plugin's start-up.
   */
  warm(): void;
  /** Kills and reaps an idle zygote; later spawns are direct. */
  close(): Promise<void>;
}

/**
 * `child_process.spawn` as go-plugin's `exec.Cmd` does it: no shell, argv array, exactly the given
 * env, in its own process group (`detached`), stdout and stderr piped.
 */
export function directSpawn(spec: ExecSpec): ChildProcess {
  return spawn(spec.command, spec.args, {
    env: spec.env,
    cwd: spec.cwd,
    detached: true,
    stdio: [spec.stdin ?? "ignore", "pipe", "pipe", ...(spec.watchdogPipe ? (["pipe"] as const) : [])],
  });
}

/**
 * Pre-forked launchers ("zygotes") for plugin processes.
 *
 * Node spawns by fork(): libuv copies the whole host's page tables and waits for the child's exec,
 * ~1–1.5 ms per launch from a 60–200 MiB host, growing with its heap (nodejs/node#14917; Go's
 * os/exec uses a vfork-style clone, ~0.2 ms). A zygote is `dash -s` forked ahead of time with a
 * plugin's stdio shape — its own process group, stdout and stderr piped to the host. A launch
 * writes one command line to its stdin and dash execs the plugin in place: same pid, process group,
 * pipes and parent (the host reaps it and sees its exit status) as a direct spawn, without the fork
 * on the launch path. The next zygote is forked when the host next waits for a plugin to exit
 * (close), or during a plugin's boot when a launch found none ready.
 *
 * At most one zygote is idle per pool; it is unref'd (an idle host can exit) and dies with the host
 * (its stdin reaches EOF). Launches a zygote cannot express exactly fall back to {@link directSpawn}:
 * inherited stdin, a watchdog fd, a command looked up in PATH, an executable the kernel might
 * refuse (dash would report that on stderr instead of a typed spawn error), environment names a
 * shell cannot assign, and hosts without /bin/dash.
 */
export function createZygotePool(enabled = true): Spawner {
  let usable = enabled && dashAvailable();
  let idle: ChildProcess | undefined;
  let closed = false;

  const refill = () => {
    if (!usable || closed || idle) return;
    const child = spawn(ZYGOTE_SHELL, ["-s"], { env: {}, detached: true, stdio: ["pipe", "pipe", "pipe"] });
    child.on("error", (err: NodeJS.ErrnoException) => {
      // dash cannot be run (gone, not executable): launch directly from now on. Out of file
      // descriptors or processes is the moment's state: the next refill tries again.
      if (!TRANSIENT_SPAWN_ERRORS.has(err.code ?? "")) usable = false;
      if (idle === child) idle = undefined;
    });
    if (child.pid === undefined) return;
    child.once("exit", () => {
      if (idle === child) idle = undefined;
    });
    // A write to a zygote that died while idle must not surface as an unhandled EPIPE.
    child.stdin?.on("error", () => {});
    setRef(child, false);
    idle = child;
  };

  return {
    spawn(spec) {
      const script = zygoteScript(spec);
      const child = idle;
      if (script !== undefined && child && child.exitCode === null && child.signalCode === null) {
        idle = undefined;
        setRef(child, true);
        child.stdin?.end(script);
        return child;
      }
      // None was ready: fork one a loop turn later, while this plugin boots. After a zygote launch
      // the next one is forked at the next close instead (warm()): on a small machine a fork during
      // the boot competes with the plugin's own start-up and takes back most of what it saved.
      if (usable && !closed) setImmediate(refill);
      return directSpawn(spec);
    },
    warm() {
      if (usable && !closed && !idle) setImmediate(refill);
    },
    async close() {
      closed = true;
      const child = idle;
      idle = undefined;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      // Ref'd again so that awaiting the reap keeps the event loop alive.
      setRef(child, true);
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/**
 * The one line of shell that execs `spec` in a zygote, or undefined when a zygote could not run it
 * exactly as {@link directSpawn} would. Everything is single-quoted (the shell expands nothing); the
 * whole script is one line, so dash has parsed all of it before it runs any of it.
 */
export function zygoteScript(spec: ExecSpec): string | undefined {
  if ((spec.stdin ?? "ignore") !== "ignore" || spec.watchdogPipe) return undefined;
  if (spec.kind !== "native" && spec.kind !== "script") return undefined;
  const { command, args, env } = spec;
  if (!command.includes("/") || command.startsWith("-")) return undefined;
  // Always a `cd`: the zygote sits in the directory the host was in when it was forked, a direct
  // spawn runs in the host's directory now (and resolves a relative `cwd` against it).
  const cwd = resolve(spec.cwd ?? ".");
  const words = [command, ...args, ...Object.values(env), cwd];
  if (words.some((w) => w.includes("\0"))) return undefined;
  const names = Object.keys(env);
  if (!names.every((name) => SHELL_NAME.test(name))) return undefined;
  const assignments = names.map((name) => `${name}=${quote(env[name] as string)}`).join(" ");
  const exec = `${assignments} exec ${[command, ...args].map(quote).join(" ")} </dev/null`;
  // dash exports PWD (and OLDPWD after cd); unset them unless the plugin's env sets them itself.
  return `cd -- ${quote(cwd)} && unset PWD OLDPWD && ${exec}\n`;
}

/** Spawn errors that say the host is short of resources now, not that dash is unusable. */
const TRANSIENT_SPAWN_ERRORS = new Set(["EMFILE", "ENFILE", "EAGAIN", "ENOMEM"]);

/** Names a POSIX shell can assign; a launch with others (rare, but legal in an env) goes direct. */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Single-quoted shell word: nothing inside is expanded; a `'` is closed, escaped and reopened. */
function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

function dashAvailable(): boolean {
  if (process.platform === "win32") return false;
  try {
    accessSync(ZYGOTE_SHELL, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** An idle zygote must not keep the host's event loop alive; a launched one must. */
function setRef(child: ChildProcess, ref: boolean): void {
  for (const s of [child.stdin, child.stdout, child.stderr] as (Socket | null)[]) {
    if (ref) s?.ref();
    else s?.unref();
  }
  if (ref) child.ref();
  else child.unref();
}
