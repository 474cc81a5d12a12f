import type { Daemon } from "../daemon/daemon.js";
import type { DaemonPlugin, PluginFactory } from "../daemon/define-daemon-plugin.js";
import { ErrorCode, PlugwireError } from "../errors/plugwire-error.js";
import { describe, initPlugin, shutdownPlugin } from "./lifecycle.js";

/** A plugin instance {@link PluginRegistry.loadAll} initialised. */
export interface LoadedPlugin {
  readonly name: string;
  readonly plugin: DaemonPlugin;
}

/** Options for {@link shutdownAll}. */
export interface ShutdownAllOptions {
  /** Aborting cuts the current wait short; the remaining plugins are still asked, with an aborted signal. */
  signal?: AbortSignal;
  /** Bound on each plugin's shutdown in ms (default 5 s; 0: unbounded). */
  perPluginTimeout?: number;
}

/** Options for {@link PluginRegistry.loadAll}. */
export interface LoadAllOptions extends ShutdownAllOptions {}

/** The daemon for every plugin, or one per plugin name (each plugin's own config and logger). */
export type DaemonProvider = Daemon | ((name: string) => Daemon);

/**
 * Statically registered lifecycle plugins (Go's `init()`-time registration pattern): register
 * factories at import time, then load them all with one daemon and shut them down in reverse.
 */
export interface PluginRegistry {
  /** Throws `CONFIG_INVALID` for an empty name, a missing factory, or a name already taken. */
  register(name: string, factory: PluginFactory): void;
  /** Registered names, sorted. */
  registered(): string[];
  /**
   * Creates a fresh instance of every registered plugin (via its factory) and inits them in name
   * order. On the first failure it stops, shuts down the ones already initialised (reverse order) and
   * throws `INIT_FAILED` naming the failing plugin, with `details.loaded` (the names that had
   * initialised and were rolled back) and `details.rollbackErrors`.
   */
  loadAll(daemon: DaemonProvider, options?: LoadAllOptions): Promise<LoadedPlugin[]>;
  /** {@link shutdownAll}. */
  shutdownAll(plugins: readonly LoadedPlugin[], options?: ShutdownAllOptions): Promise<void>;
}

/**
 * Shuts plugins down in reverse order, each bounded by `perPluginTimeout`, continuing past failures.
 * Throws an `AggregateError` whose `errors` are what the plugins threw (or the timeout/abort errors),
 * in shutdown order; its message names the plugins.
 */
export async function shutdownAll(
  plugins: readonly LoadedPlugin[],
  options: ShutdownAllOptions = {},
): Promise<void> {
  const errors: unknown[] = [];
  const failed: string[] = [];
  for (const { name, plugin } of [...plugins].reverse()) {
    try {
      await shutdownPlugin(name, plugin, { signal: options.signal, timeoutMs: options.perPluginTimeout });
    } catch (error) {
      errors.push(error);
      failed.push(`${name} (${describe(error)})`);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, `shutdown failed for ${failed.join(", ")}`);
}

/** Creates an empty, isolated registry (for tests, or several hosts in one process). */
export function createRegistry(): PluginRegistry {
  const factories = new Map<string, PluginFactory>();
  const registered = () => [...factories.keys()].sort();
  return {
    register(name, factory) {
      if (typeof name !== "string" || name.trim() === "") {
        throw new PlugwireError(ErrorCode.ConfigInvalid, "registerPlugin: name must be a non-empty string");
      }
      if (typeof factory !== "function") {
        throw new PlugwireError(ErrorCode.ConfigInvalid, "registerPlugin: factory must be a function", {
          plugin: name,
        });
      }
      if (factories.has(name)) {
        throw new PlugwireError(
          ErrorCode.ConfigInvalid,
          "registerPlugin: a plugin with this name is already registered",
          {
            plugin: name,
          },
        );
      }
      factories.set(name, factory);
    },
    registered,
    async loadAll(daemon, options = {}) {
      const loaded: LoadedPlugin[] = [];
      for (const name of registered()) {
        try {
          if (options.signal?.aborted) {
            throw new PlugwireError(ErrorCode.Aborted, "loading aborted", {
              plugin: name,
              cause: options.signal.reason,
            });
          }
          const factory = factories.get(name) as PluginFactory;
          let plugin: DaemonPlugin;
          try {
            plugin = factory();
          } catch (cause) {
            throw new PlugwireError(ErrorCode.InitFailed, `factory failed: ${describe(cause)}`, {
              plugin: name,
              cause,
            });
          }
          await initPlugin(name, plugin, typeof daemon === "function" ? daemon(name) : daemon);
          loaded.push({ name, plugin });
        } catch (error) {
          const rollbackErrors = await shutdownAll(loaded, options).then(
            () => [],
            (aggregate: AggregateError) => aggregate.errors,
          );
          const failure = error as PlugwireError;
          throw new PlugwireError(
            failure.code,
            `${failure.rawMessage}; rolled back ${loaded.length} loaded plugin(s)`,
            {
              plugin: name,
              cause: failure.cause ?? failure,
              details: { loaded: loaded.map((l) => l.name), rollbackErrors },
            },
          );
        }
      }
      return loaded;
    },
    shutdownAll,
  };
}

/** The process-wide registry behind {@link registerPlugin}, {@link registered} and {@link loadAll}. */
export const defaultRegistry: PluginRegistry = createRegistry();

/** Registers a plugin factory in the process-wide registry. See {@link PluginRegistry.register}. */
export function registerPlugin(name: string, factory: PluginFactory): void {
  defaultRegistry.register(name, factory);
}

/** Names in the process-wide registry, sorted. */
export function registered(): string[] {
  return defaultRegistry.registered();
}

/** Loads every plugin of the process-wide registry. See {@link PluginRegistry.loadAll}. */
export function loadAll(daemon: DaemonProvider, options?: LoadAllOptions): Promise<LoadedPlugin[]> {
  return defaultRegistry.loadAll(daemon, options);
}
