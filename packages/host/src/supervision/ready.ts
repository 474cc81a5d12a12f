import { ErrorCode, PlugwireError } from "@plugwire/contract";
import type { Plugin } from "../host/plugin.js";
import type { VersionedServices } from "../host/types.js";
import type { Clock } from "./clock.js";
import type { SupervisorState } from "./events.js";

/** A caller waiting for a running plugin; the supervisor settles it on a state change. */
export interface ReadyWaiter<V extends VersionedServices> {
  resolve(plugin: Plugin<V>): void;
  reject(err: unknown): void;
}

/**
 * Adds a waiter to `waiters` that settles on the supervisor's word, or fails on its own after
 * `timeoutMs` (PLUGIN_UNAVAILABLE, naming the state it was stuck in) or when `signal` aborts (ABORTED).
 */
export function waitForReady<V extends VersionedServices>(
  waiters: Set<ReadyWaiter<V>>,
  o: {
    plugin: string;
    clock: Clock;
    timeoutMs: number;
    signal: AbortSignal | undefined;
    state: () => SupervisorState;
  },
): Promise<Plugin<V>> {
  return new Promise<Plugin<V>>((resolve, reject) => {
    if (o.signal?.aborted) {
      reject(
        new PlugwireError(ErrorCode.Aborted, "wait for plugin aborted", {
          plugin: o.plugin,
          cause: o.signal.reason,
        }),
      );
      return;
    }
    const done = () => {
      waiters.delete(waiter);
      cancelTimer();
      o.signal?.removeEventListener("abort", onAbort);
    };
    const waiter: ReadyWaiter<V> = {
      resolve: (plugin) => {
        done();
        resolve(plugin);
      },
      reject: (err) => {
        done();
        reject(err);
      },
    };
    const cancelTimer = o.clock.schedule(o.timeoutMs, () =>
      waiter.reject(
        new PlugwireError(
          ErrorCode.PluginUnavailable,
          `not running after waiting ${o.timeoutMs} ms (state ${o.state()})`,
          { plugin: o.plugin, details: { state: o.state(), timeoutMs: o.timeoutMs } },
        ),
      ),
    );
    const onAbort = () =>
      waiter.reject(
        new PlugwireError(ErrorCode.Aborted, "wait for plugin aborted", {
          plugin: o.plugin,
          cause: o.signal?.reason,
        }),
      );
    o.signal?.addEventListener("abort", onAbort, { once: true });
    waiters.add(waiter);
  });
}
