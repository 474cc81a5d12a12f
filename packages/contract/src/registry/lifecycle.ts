import type { Daemon } from "../daemon/daemon.js";
import type { DaemonPlugin } from "../daemon/define-daemon-plugin.js";
import { ErrorCode, PlugwireError } from "../errors/plugwire-error.js";

/** Default bound on one plugin's shutdown. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;

/**
 * Runs `plugin.init(daemon)`; a sync throw and a rejection both become an `INIT_FAILED`
 * {@link PlugwireError} naming the plugin, with the original error as `cause`.
 */
export async function initPlugin(name: string, plugin: DaemonPlugin, daemon: Daemon): Promise<void> {
  try {
    await plugin.init(daemon);
  } catch (cause) {
    throw new PlugwireError(ErrorCode.InitFailed, `init failed: ${describe(cause)}`, { plugin: name, cause });
  }
}

/** Options for {@link shutdownPlugin}. */
export interface ShutdownPluginOptions {
  /** Aborting stops the wait (the plugin's signal aborts too). */
  signal?: AbortSignal | undefined;
  /** Bound on the wait; then the plugin's signal aborts and `SHUTDOWN_TIMEOUT` is thrown. 0: no bound. */
  timeoutMs?: number | undefined;
}

/**
 * Runs `plugin.shutdown(signal)` and waits at most `timeoutMs`. Rethrows what the plugin threw or
 * rejected with, unchanged; throws `SHUTDOWN_TIMEOUT` or `ABORTED` when the wait is cut short. A
 * shutdown still running then has its later rejection swallowed, so it cannot crash the host.
 */
export async function shutdownPlugin(
  name: string,
  plugin: DaemonPlugin,
  options: ShutdownPluginOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<never>((_, reject) => {
    const stop = (error: PlugwireError) => {
      controller.abort(error);
      reject(error);
    };
    if (timeoutMs > 0) {
      timer = setTimeout(
        () =>
          stop(
            new PlugwireError(ErrorCode.ShutdownTimeout, `shutdown did not finish within ${timeoutMs} ms`, {
              plugin: name,
              details: { timeoutMs },
            }),
          ),
        timeoutMs,
      );
    }
    onAbort = () =>
      stop(
        new PlugwireError(ErrorCode.Aborted, "shutdown aborted", {
          plugin: name,
          cause: options.signal?.reason,
        }),
      );
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
  });
  cut.catch(() => {});
  // The async wrapper turns a synchronous throw into a rejection.
  const run = (async () => plugin.shutdown?.(controller.signal))();
  run.catch(() => {});
  try {
    await Promise.race([run, cut]);
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener("abort", onAbort);
  }
}

/** A short description of anything thrown. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
