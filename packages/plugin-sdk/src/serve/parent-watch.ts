/** Options for {@link watchParent}. */
export interface ParentWatchOptions {
  /** Called once when the parent is gone. */
  onGone: () => void;
  /** Poll interval (default 250 ms; the plugin must notice within 2 s). */
  intervalMs?: number;
  /** The pid to watch (default: the parent at call time). */
  ppid?: number;
}

/**
 * Ends plugins that would outlive a crashed host (go-plugin-wire.md §8): polls on an unref'd timer
 * whether we were re-parented (`process.ppid` changed) or the original parent no longer exists
 * (`kill(ppid, 0)` → ESRCH). Returns a disposer that stops watching.
 */
export function watchParent(options: ParentWatchOptions): Disposable & { stop(): void } {
  const ppid = options.ppid ?? process.ppid;
  const gone = () => {
    if (process.ppid !== ppid) return true;
    try {
      process.kill(ppid, 0);
      return false;
    } catch (err) {
      // EPERM means it exists but belongs to someone else.
      return (err as NodeJS.ErrnoException).code === "ESRCH";
    }
  };
  const timer = setInterval(() => {
    if (!gone()) return;
    clearInterval(timer);
    options.onGone();
  }, options.intervalMs ?? 250);
  timer.unref();
  const stop = () => clearInterval(timer);
  return { stop, [Symbol.dispose]: stop };
}
