/** Default bound for in-flight calls after Shutdown/SIGTERM: well inside a Go host's fixed 2 s grace. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 1000;

/** A once-only asynchronous stop: every caller gets the same promise. */
export interface Stopper {
  stop(reason: string): Promise<void>;
  readonly stopped: Promise<void>;
  readonly stopping: boolean;
}

/**
 * Wraps the stop sequence so Shutdown, SIGTERM, a vanished parent and `dispose` all converge on one
 * run (go-plugin-wire.md §4: stop accepting, finish in-flight calls within a bound, exit).
 */
export function createStopper(run: (reason: string) => Promise<void>): Stopper {
  let running: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  return {
    stop(reason) {
      running ??= run(reason).finally(resolveStopped);
      return running;
    },
    stopped,
    get stopping() {
      return running !== undefined;
    },
  };
}
