import { readFileSync } from "node:fs";
import type { JsonObject } from "@bufbuild/protobuf";
import {
  createConsoleLogger,
  createEventBus,
  createServiceRegistry,
  DAEMON_HANDSHAKE,
  type Daemon,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  ErrorCode,
  type HostEventBus,
  type HostInfo,
  type HostServiceRegistry,
  initPlugin,
  type Logger,
  PlugwireError,
  shutdownPlugin,
} from "@plugwire/contract";
import { PluginHost } from "../host/plugin-host.js";
import type { EnvPolicy } from "../launch/environment.js";
import { commandFor, definitionFor, type LoadTarget, targetLabel } from "./load-target.js";
import {
  DAEMON_VERSIONS,
  type DaemonProcess,
  type DaemonProcessHost,
  describeProcess,
  initProcess,
  shutdownProcess,
} from "./process-isolation.js";

/** Where a plugin runs: in the host's process (trusted, no IPC) or in its own subprocess (isolated). */
export type Isolation = "in-process" | "process";

/** Options for {@link PluginRuntime}. */
export interface PluginRuntimeOptions {
  /** Host name and version plugins see in `daemon.info` (default `plugwire` and this package's version). */
  info?: HostInfo;
  /** Host logger; each plugin's `daemon.logger` is its child `{ plugin: name }`. */
  logger?: Logger;
  /** The bus shared by the host and every plugin (default: a new one). */
  events?: HostEventBus;
  /** Named services shared by the host and in-process plugins (default: a new registry). */
  services?: HostServiceRegistry;
  /** Default bound on each plugin's shutdown (default 5 s). */
  shutdownTimeoutMs?: number;
  /** For `isolation: "process"`: the launch settings of the internal go-plugin host. */
  process?: {
    socketRoot?: string;
    env?: EnvPolicy;
    autoMtls?: boolean;
    startTimeoutMs?: number;
    closeGraceMs?: number;
  };
}

/** Options for {@link PluginRuntime.load}. */
export interface LoadOptions {
  /** Default `in-process`. */
  isolation?: Isolation;
  /** The name to run it under (default: the definition's). Names are unique per runtime. */
  name?: string;
  /** The plugin's own configuration (`daemon.config`). */
  config?: JsonObject;
  /** Process isolation: extra environment for the subprocess. */
  env?: Record<string, string>;
  /** Process isolation: the script serving a module (default `@plugwire/plugin-sdk/daemon-entry`). */
  entry?: string;
  signal?: AbortSignal;
}

/** A plugin the runtime loaded. */
export interface LoadedDaemonPlugin extends AsyncDisposable {
  readonly name: string;
  readonly isolation: Isolation;
  /** The go-plugin handle of a process-isolated plugin (pid, exit, `exited`); undefined in-process. */
  readonly process: DaemonProcess | undefined;
  /**
   * Runs the plugin's shutdown (bounded; its signal aborts at the bound), releases its subscriptions
   * and services, and stops its process. Idempotent. Rethrows what shutdown threw, or
   * `SHUTDOWN_TIMEOUT`.
   */
  unload(options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<void>;
}

/**
 * Runs lifecycle plugins (`defineDaemonPlugin`) in-process or in a subprocess — the host decides,
 * the plugin is written once. Every plugin gets a `Daemon`: the shared EventBus (its publishes carry
 * its name as source), a logger bound to its name, its own config, host info and named services.
 * In a subprocess the same Daemon is served as daemon.proto's DaemonService through the go-plugin
 * broker, and LifecycleService drives init/shutdown.
 *
 * ```ts
 * await using runtime = new PluginRuntime({ logger });
 * await runtime.load(relay, { isolation: "process", config: { from: "orders.*" } });
 * runtime.events.publish("orders.created", { id: 1 });
 * ```
 */
export class PluginRuntime implements AsyncDisposable {
  readonly events: HostEventBus;
  readonly services: HostServiceRegistry;
  readonly logger: Logger;
  readonly info: HostInfo;
  readonly #options: PluginRuntimeOptions;
  readonly #loaded = new Map<string, LoadedDaemonPlugin>();
  #host: DaemonProcessHost | undefined;
  #closed = false;

  constructor(options: PluginRuntimeOptions = {}) {
    this.#options = options;
    this.logger = options.logger ?? createConsoleLogger();
    this.events = options.events ?? createEventBus();
    this.services = options.services ?? createServiceRegistry();
    this.info = options.info ?? { name: "plugwire", version: packageVersion() };
  }

  /** Loaded plugins, in load order. */
  get loaded(): readonly LoadedDaemonPlugin[] {
    return [...this.#loaded.values()];
  }

  /**
   * Loads and inits a plugin. Resolves once its init finished — in a subprocess too, including its
   * subscriptions being active and what it published and logged during init being delivered. An init
   * failure is `INIT_FAILED` naming the plugin, and nothing stays behind (process, subscriptions).
   */
  async load(target: LoadTarget, options: LoadOptions = {}): Promise<LoadedDaemonPlugin> {
    const label = options.name ?? targetLabel(target);
    if (this.#closed)
      throw new PlugwireError(ErrorCode.Closed, "the plugin runtime is closed", { plugin: label });
    const isolation = options.isolation ?? "in-process";
    if (isolation !== "in-process" && isolation !== "process") {
      throw new PlugwireError(ErrorCode.ConfigInvalid, `unknown isolation ${JSON.stringify(isolation)}`, {
        plugin: label,
      });
    }
    return isolation === "process"
      ? this.#loadProcess(target, label, options)
      : this.#loadInProcess(target, options);
  }

  /** Unloads every plugin in reverse load order, continuing past failures (`AggregateError` of them). */
  async close(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#closed = true;
    const errors: unknown[] = [];
    for (const plugin of [...this.#loaded.values()].reverse()) {
      await plugin.unload(options).catch((err: unknown) => errors.push(err));
    }
    await this.#host?.close();
    if (errors.length > 0)
      throw new AggregateError(errors, `unloading failed for ${errors.length} plugin(s)`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #loadInProcess(target: LoadTarget, options: LoadOptions): Promise<LoadedDaemonPlugin> {
    const definition = await definitionFor(target);
    const name = options.name ?? definition.name;
    const { daemon, release } = this.#daemonFor(name, options.config);
    const instance = definition.create();
    try {
      await initPlugin(name, instance, daemon);
    } catch (err) {
      release();
      throw err;
    }
    return this.#track(name, "in-process", undefined, (timeoutMs, signal) =>
      shutdownPlugin(name, instance, { timeoutMs, signal }).finally(release),
    );
  }

  async #loadProcess(target: LoadTarget, label: string, options: LoadOptions): Promise<LoadedDaemonPlugin> {
    const { command, args } = commandFor(target, options.entry);
    const plugin = await this.#processHost().launch({
      name: label,
      command,
      args,
      env: options.env,
      signal: options.signal,
    });
    let release: (() => void) | undefined;
    try {
      const name = options.name ?? (await describeProcess(plugin, options.signal));
      const scoped = this.#daemonFor(name, options.config);
      release = scoped.release;
      await initProcess(plugin, scoped.daemon, options.signal);
      void plugin.exited.then(() => {
        scoped.release();
        if (this.#loaded.get(name)?.process === plugin) this.#loaded.delete(name);
      });
      return this.#track(name, "process", plugin, async (timeoutMs, signal) => {
        try {
          if (!plugin.exit) await shutdownProcess(plugin, name, timeoutMs, signal);
        } finally {
          scoped.release();
          await plugin.close();
        }
      });
    } catch (err) {
      release?.();
      await plugin.close();
      throw err;
    }
  }

  /** The Daemon a plugin named `name` gets, and how to release what it holds (subscriptions, services). */
  #daemonFor(name: string, config: JsonObject = {}): { daemon: Daemon; release(): void } {
    if (this.#loaded.has(name)) {
      throw new PlugwireError(ErrorCode.ConfigInvalid, "a plugin with this name is already loaded", {
        plugin: name,
      });
    }
    const events = this.events.scope(name);
    const services = this.services.scope(name);
    const daemon: Daemon = {
      plugin: name,
      events,
      logger: this.logger.child({ plugin: name }),
      config: Object.freeze({ ...config }),
      info: this.info,
      services,
    };
    return {
      daemon,
      release() {
        events.close();
        services.release();
      },
    };
  }

  #track(
    name: string,
    isolation: Isolation,
    process: DaemonProcess | undefined,
    stop: (timeoutMs: number, signal: AbortSignal | undefined) => Promise<void>,
  ): LoadedDaemonPlugin {
    let unloading: Promise<void> | undefined;
    const handle: LoadedDaemonPlugin = {
      name,
      isolation,
      process,
      unload: (options = {}) => {
        unloading ??= stop(
          options.timeoutMs ?? this.#options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
          options.signal,
        ).finally(() => {
          if (this.#loaded.get(name) === handle) this.#loaded.delete(name);
        });
        return unloading;
      },
      [Symbol.asyncDispose]: () => handle.unload(),
    };
    this.#loaded.set(name, handle);
    return handle;
  }

  #processHost(): DaemonProcessHost {
    const p = this.#options.process ?? {};
    this.#host ??= new PluginHost({
      handshake: DAEMON_HANDSHAKE,
      versions: DAEMON_VERSIONS,
      // Launch, handshake and the process's own stderr lines carry `isolation: "process"`, which
      // tells them apart from what the plugin logs through its Daemon.
      logger: this.logger.child({ isolation: "process" }),
      ...p,
    });
    return this.#host;
  }
}

/** This package's version, for the default host info. */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}
