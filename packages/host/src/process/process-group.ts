/**
 * Plugins run in their own process group (spawned detached), so one signal reaches the plugin and
 * everything it forked — go-plugin kills only the plugin pid and orphans its children.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    // ESRCH: the group is already gone. Fall back to the pid in case it left its group.
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/** True while any process of the group (or the pid itself) exists. */
export function groupAlive(pid: number): boolean {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 0);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EPERM") return true;
    }
  }
  return false;
}

/** Live groups and the synchronous cleanup (socket dir removal) to run if the host dies first. */
const live = new Map<number, () => void>();
let hooked = false;

/**
 * Registers a plugin process group to be SIGKILLed if the host exits without closing it: on normal
 * exit, an uncaught error (both end in `exit`), and SIGINT/SIGTERM when nobody else handles them.
 * SIGKILL of the host cannot be caught; plugins watch their parent for that case.
 */
export function trackGroup(pid: number, cleanupSync: () => void = () => {}): () => void {
  live.set(pid, cleanupSync);
  installHooks();
  return () => live.delete(pid);
}

function killAll(): void {
  for (const [pid, cleanup] of live) {
    signalGroup(pid, "SIGKILL");
    try {
      cleanup();
    } catch {
      // best effort while exiting
    }
  }
  live.clear();
}

function installHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = () => {
      // An application with its own handler decides for itself (and `exit` still catches the rest);
      // when we are the sole listener, we restore the default action: die by the signal.
      if (process.listenerCount(signal) !== 1) return;
      killAll();
      process.off(signal, handler);
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}
