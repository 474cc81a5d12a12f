import { EventEmitter } from "node:events";
import { rm } from "node:fs/promises";
import type { ConnectRouter, Transport } from "@connectrpc/connect";
import { createClient } from "@connectrpc/connect";
import {
  type BrokeredServer,
  controllerProto,
  ErrorCode,
  type GrpcBroker,
  health,
  type Logger,
  type PluginAddress,
  type PluginTransport,
  PlugwireError,
} from "@plugwire/contract";
import type { StdioChannel } from "../connection/stdio.js";
import type { PluginExit, PluginProcess } from "../launch/spawn.js";
import { namedErrorTransport } from "./named-errors.js";
import type { ReattachConfig } from "./plugin-host.js";
import type { AnyClients, ClientsOf, VersionedServices } from "./types.js";

/** Events a {@link Plugin} emits. */
export interface PluginEvents {
  /** Output the plugin wrote after the handshake, synced through GRPCStdio. */
  stdio: [channel: StdioChannel, data: Uint8Array];
  /** The process exited (or, for a reattached plugin, the connection was closed). */
  exit: [exit: PluginExit];
}

/** Options for {@link Plugin.close}. */
export interface CloseOptions {
  /** How long to wait for a graceful exit before SIGKILL (default: the launch's closeGraceMs). */
  graceMs?: number;
  signal?: AbortSignal;
}

/** @internal What the host hands a new Plugin handle. */
export interface PluginParts<V extends VersionedServices> {
  name: string;
  negotiatedVersion: number;
  versions: V;
  connection: PluginTransport;
  broker: GrpcBroker;
  process: PluginProcess | undefined;
  /** Where the plugin listens (from the handshake or the reattach config). */
  address: PluginAddress;
  /** False for a reattached test plugin: close() only disconnects, it never stops the plugin. */
  owned: boolean;
  /** For reattached plugins: the pid to signal, if known. */
  pid: number | undefined;
  socketDir: string | undefined;
  closeGraceMs: number;
  logger: Logger;
  /** Aborted when the handle closes: stops background streams. */
  lifetime: AbortController;
  /** Called as close() starts waiting for the process (the host forks its next zygote then). */
  onClosing?: (() => void) | undefined;
}

/**
 * A running plugin: typed clients for the negotiated version, its broker, health and lifecycle.
 * Close it (or `await using` it) to stop the process: controller Shutdown → grace → SIGKILL of the
 * whole process group → socket directory removed.
 */
export class Plugin<V extends VersionedServices = VersionedServices> implements AsyncDisposable {
  /** The name given at launch; it is in every log entry and error about this plugin. */
  readonly name: string;
  /** The app protocol version the plugin chose from the ones the host offered. */
  readonly negotiatedVersion: number;
  /** Clients for the negotiated version's services. */
  readonly clients: AnyClients<V>;
  /** Settles when the plugin has exited. Never rejects. */
  readonly exited: Promise<PluginExit>;
  /** The go-plugin broker shared with this plugin (expose host services, dial plugin ones). */
  readonly broker: GrpcBroker;
  readonly #parts: PluginParts<V>;
  readonly #events = new EventEmitter<PluginEvents>();
  readonly #shared = new Map<string, Promise<BrokeredServer>>();
  #closing: Promise<PluginExit> | undefined;
  #exit: PluginExit | undefined;
  #resolveExited!: (exit: PluginExit) => void;

  /** @internal Use `PluginHost.launch` or `PluginHost.reattach`. */
  constructor(parts: PluginParts<V>) {
    this.#parts = parts;
    this.name = parts.name;
    this.negotiatedVersion = parts.negotiatedVersion;
    this.broker = parts.broker;
    const set = parts.versions[parts.negotiatedVersion] ?? {};
    const clients: Record<string, unknown> = {};
    const named = namedErrorTransport(parts.connection.transport, parts.name);
    for (const [key, service] of Object.entries(set)) clients[key] = createClient(service, named);
    this.clients = clients as AnyClients<V>;
    this.exited = new Promise<PluginExit>((resolve) => {
      this.#resolveExited = resolve;
    });
    void parts.process?.exited.then((exit) => this.#finish(exit));
  }

  /** Process id, when known (undefined for a reattached plugin without one). */
  get pid(): number | undefined {
    return this.#parts.process?.pid ?? this.#parts.pid;
  }

  /** Aborted when the plugin exits or is closed: pass it to work that must not outlive the plugin. */
  get signal(): AbortSignal {
    return this.#parts.lifetime.signal;
  }

  /** The Connect transport to the plugin, for clients of services outside the version's set. */
  get transport(): Transport {
    return this.#parts.connection.transport;
  }

  /** The exit, once it happened. */
  get exit(): PluginExit | undefined {
    return this.#exit;
  }

  /**
   * go-plugin's `ReattachConfig()`: what another host needs to connect to this running plugin
   * (see {@link PluginHost.reattach}).
   */
  reattachConfig(): ReattachConfig {
    const { address, negotiatedVersion } = this.#parts;
    const config: ReattachConfig = {
      protocol: "grpc",
      protocolVersion: negotiatedVersion,
      addr: { network: address.network, string: address.address },
    };
    if (this.pid !== undefined) config.pid = this.pid;
    return config;
  }

  /** Clients for `version` when that is the negotiated one, else undefined. */
  clientsFor<N extends keyof V & number>(version: N): ClientsOf<V[N]> | undefined {
    return version === this.negotiatedVersion ? (this.clients as unknown as ClientsOf<V[N]>) : undefined;
  }

  /** Subscribes to plugin events. */
  on<E extends keyof PluginEvents>(event: E, listener: (...args: PluginEvents[E]) => void): this {
    this.#events.on(event, listener as never);
    return this;
  }

  /** Unsubscribes. */
  off<E extends keyof PluginEvents>(event: E, listener: (...args: PluginEvents[E]) => void): this {
    this.#events.off(event, listener as never);
    return this;
  }

  /** @internal */
  emitStdio(channel: StdioChannel, data: Uint8Array): void {
    this.#events.emit("stdio", channel, data);
  }

  /**
   * Exposes host services to the plugin through the broker on a new listener; send `server.id` to the
   * plugin in a request. Each call costs a socket: for a service offered on every call use
   * {@link Plugin.serveShared}.
   */
  async serve(routes: (router: ConnectRouter) => void): Promise<BrokeredServer> {
    return this.broker.accept(this.broker.nextId(), routes);
  }

  /**
   * Like {@link Plugin.serve}, but one server per plugin connection and `key`: the first call opens it,
   * later calls announce the same listener under a fresh broker id (go-plugin's pattern of a new
   * server per call costs a socket and a connection each time; reusing an id races in go-plugin's
   * broker). Make `routes` delegate to a handler you swap per call. Call it once per request that
   * carries the id: each peer dial consumes one announcement.
   */
  async serveShared(key: string, routes: (router: ConnectRouter) => void): Promise<number> {
    const existing = this.#shared.get(key);
    if (existing) return (await existing).announce(this.broker.nextId());
    const created = this.serve(routes);
    this.#shared.set(key, created);
    created.catch(() => this.#shared.delete(key));
    return (await created).id;
  }

  /** go-plugin's Ping: `Health.Check{service:"plugin"}` must answer SERVING. */
  async ping(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    const client = createClient(health.Health, this.#parts.connection.transport);
    let res: health.HealthCheckResponse;
    try {
      res = await client.check(
        { service: "plugin" },
        { signal: options.signal, timeoutMs: options.timeoutMs ?? 5000 },
      );
    } catch (cause) {
      throw new PlugwireError(ErrorCode.ConnectFailed, `ping failed: ${(cause as Error).message}`, {
        plugin: this.name,
        cause,
      });
    }
    if (res.status !== health.HealthCheckResponse_ServingStatus.SERVING) {
      throw new PlugwireError(
        ErrorCode.ConnectFailed,
        `ping: plugin reports ${health.HealthCheckResponse_ServingStatus[res.status]}`,
        {
          plugin: this.name,
        },
      );
    }
  }

  /**
   * Graceful stop (go-plugin-wire.md §4): `GRPCController.Shutdown` (its error ignored: Go plugins
   * exit before replying), close the connection, wait the grace period, then SIGKILL the process
   * group. Idempotent and safe to call concurrently; resolves with the exit.
   */
  close(options: CloseOptions = {}): Promise<PluginExit> {
    this.#closing ??= this.#close(options.graceMs ?? this.#parts.closeGraceMs, options.signal);
    return this.#closing;
  }

  /** Immediate SIGKILL of the whole process group. */
  kill(): Promise<PluginExit> {
    const proc = this.#parts.process;
    if (proc && !this.#exit) {
      proc.markForced();
      proc.signal("SIGKILL");
    } else if (!proc && this.#parts.owned && this.#parts.pid !== undefined) {
      signalPid(this.#parts.pid, "SIGKILL");
    }
    return this.close({ graceMs: 0 });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(graceMs: number, signal: AbortSignal | undefined): Promise<PluginExit> {
    const { connection, process: proc, logger, owned, pid } = this.#parts;
    if (proc && !this.#exit) this.#parts.onClosing?.();
    if (!this.#exit && owned) {
      const controller = createClient(controllerProto.GRPCController, connection.transport);
      await controller.shutdown({}, { timeoutMs: Math.max(graceMs, 100), signal }).catch(() => {});
    }
    if (!proc) {
      this.#release();
      // Reattached: no child to wait on; watch the pid when we know it and own the plugin.
      let forced = false;
      if (owned && pid !== undefined && !(await pidGone(pid, graceMs))) {
        forced = true;
        signalPid(pid, "SIGKILL");
      }
      await this.#finish({ code: null, signal: null, forced });
      return this.exited;
    }
    let timer: NodeJS.Timeout | undefined;
    const graceful = await Promise.race([
      proc.exited.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
        signal?.addEventListener("abort", () => resolve(false), { once: true });
      }),
    ]);
    clearTimeout(timer);
    // The connection stays up until the exit, so stdio written on the way out still drains.
    if (!graceful) {
      logger.warn({ graceMs }, "plugin did not exit gracefully; killing its process group");
      proc.markForced();
      proc.signal("SIGKILL");
    }
    return this.exited;
  }

  #release(): void {
    this.#parts.lifetime.abort(new PlugwireError(ErrorCode.Closed, "plugin closed", { plugin: this.name }));
    this.#parts.connection.close();
    void this.#parts.broker.close();
  }

  /** Runs once, when the process exits (or a reattached plugin closes): release, clean up, notify. */
  async #finish(exit: PluginExit): Promise<void> {
    if (this.#exit) return;
    this.#exit = exit;
    this.#release();
    if (this.#parts.socketDir)
      await rm(this.#parts.socketDir, { recursive: true, force: true }).catch(() => {});
    this.#parts.logger.debug({ code: exit.code, signal: exit.signal, forced: exit.forced }, "plugin exited");
    this.#events.emit("exit", exit);
    this.#resolveExited(exit);
  }
}

/** Polls until `pid` is gone or `ms` pass; true if it is gone. */
async function pidGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
