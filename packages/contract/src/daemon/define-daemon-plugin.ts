import { ErrorCode, PlugwireError } from "../errors/plugwire-error.js";
import type { HandshakeConfig } from "../handshake/handshake-config.js";
import type { Daemon } from "./daemon.js";

/**
 * One running instance of a lifecycle plugin: the registry and the host call `init` once, then
 * `shutdown` once. Either may throw or reject; the host turns that into a typed error.
 */
export interface DaemonPlugin {
  init(daemon: Daemon): void | Promise<void>;
  /** Stop and release; `signal` aborts when the host stops waiting (its per-plugin timeout). */
  shutdown?(signal: AbortSignal): void | Promise<void>;
}

/** Builds a fresh {@link DaemonPlugin} per load. */
export type PluginFactory = () => DaemonPlugin;

/** What {@link defineDaemonPlugin} takes. `S` is the per-load state `state()` builds. */
export interface DaemonPluginInput<S> {
  /** Name for logs, errors and the `source` of its events. */
  name: string;
  /** Builds fresh state for each load, passed to `init` and `shutdown` (default `{}`). */
  state?: () => S;
  init(daemon: Daemon, state: S): void | Promise<void>;
  shutdown?(signal: AbortSignal, state: S): void | Promise<void>;
  /**
   * This module's URL (`import.meta.url`), so a host can also run the definition in a subprocess
   * (`load(definition, { isolation: "process" })`) by importing the module there.
   */
  module?: string | URL;
}

const brand = Symbol.for("plugwire.daemon-plugin-definition");

/** A lifecycle plugin written once, runnable in-process or in a subprocess. */
export interface DaemonPluginDefinition {
  readonly [brand]: true;
  readonly name: string;
  /** URL of the module that defines it, when given. */
  readonly module: string | undefined;
  /** A fresh instance with fresh state. */
  create(): DaemonPlugin;
}

/**
 * Declares a lifecycle plugin (`init(daemon)` / `shutdown(signal)`) that a host runs in its own
 * process or isolated in a subprocess, unchanged:
 *
 * ```ts
 * export default defineDaemonPlugin({
 *   name: "relay",
 *   module: import.meta.url,
 *   state: () => ({ sub: undefined as Subscription | undefined }),
 *   async init(daemon, state) { state.sub = daemon.events.subscribe("orders.*"); … },
 *   async shutdown(_signal, state) { state.sub?.unsubscribe(); },
 * });
 * ```
 */
export function defineDaemonPlugin<S = Record<string, never>>(
  input: DaemonPluginInput<S>,
): DaemonPluginDefinition {
  const name = input?.name;
  if (typeof name !== "string" || name.trim() === "") {
    throw new PlugwireError(
      ErrorCode.ConfigInvalid,
      "invalid daemon plugin: name must be a non-empty string",
    );
  }
  if (typeof input.init !== "function") {
    throw new PlugwireError(ErrorCode.ConfigInvalid, "invalid daemon plugin: init must be a function", {
      plugin: name,
    });
  }
  const module = input.module === undefined ? undefined : String(input.module);
  return Object.freeze({
    [brand]: true as const,
    name,
    module,
    create(): DaemonPlugin {
      const state = (input.state ? input.state() : {}) as S;
      const { init, shutdown } = input;
      return {
        init: (daemon) => init(daemon, state),
        ...(shutdown ? { shutdown: (signal: AbortSignal) => shutdown(signal, state) } : {}),
      };
    },
  });
}

/** True for what {@link defineDaemonPlugin} returned (from any copy of this package). */
export function isDaemonPluginDefinition(value: unknown): value is DaemonPluginDefinition {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/**
 * The cookie a host sets when it launches a daemon plugin in a subprocess (go-plugin-wire.md §1): a
 * daemon plugin executable refuses to start without it, like any go-plugin plugin.
 */
export const DAEMON_HANDSHAKE: HandshakeConfig = Object.freeze({
  magicCookieKey: "PLUGWIRE_DAEMON_PLUGIN",
  magicCookieValue: "5b0d1e0c-daemon-v1",
});

/** App protocol version whose plugin set is daemon.proto's `LifecycleService` (the only one so far). */
export const DAEMON_PROTOCOL_VERSION = 1;

/** Plugin set key of `LifecycleService` in version {@link DAEMON_PROTOCOL_VERSION}. */
export const DAEMON_LIFECYCLE_PLUGIN = "lifecycle";

/**
 * The daemon plugin a module defines: its default export, else its only exported definition.
 * Throws `CONFIG_INVALID` naming the module when there is none or more than one.
 */
export function daemonPluginFromModule(
  namespace: Record<string, unknown>,
  specifier: string,
): DaemonPluginDefinition {
  if (isDaemonPluginDefinition(namespace.default)) return namespace.default;
  const found = Object.entries(namespace).filter(([, value]) => isDaemonPluginDefinition(value));
  if (found.length === 1) return found[0]?.[1] as DaemonPluginDefinition;
  const why =
    found.length === 0
      ? "exports no daemon plugin (export default defineDaemonPlugin({ … }))"
      : `exports several daemon plugins (${found.map(([k]) => k).join(", ")}); make one the default export`;
  throw new PlugwireError(ErrorCode.ConfigInvalid, `module ${specifier} ${why}`);
}
