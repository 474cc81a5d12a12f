import { tmpdir } from "node:os";
import {
  createBroker,
  createConsoleLogger,
  createPluginTransport,
  ErrorCode,
  type HandshakeConfig,
  type Logger,
  PlugwireError,
} from "@plugwire/contract";
import { type AgentSourcesOptions, createAgentSources } from "../artifacts/source/agent-sources.js";
import type { StdioChannel } from "../connection/stdio.js";
import type { IsolationOptions } from "../isolation/options.js";
import { connectPlugin } from "../launch/connect-plugin.js";
import type { EnvPolicy } from "../launch/environment.js";
import { launchPlugin } from "../launch/launch-plugin.js";
import type { SecureConfig } from "../launch/secure-config.js";
import { createZygotePool, type Spawner } from "../launch/zygote.js";
import { Plugin } from "./plugin.js";
import type { VersionedServices } from "./types.js";

/** Options for {@link PluginHost}. */
export interface PluginHostOptions<V extends VersionedServices> {
  /** The magic cookie pair your plugins expect. */
  handshake: HandshakeConfig;
  /** App protocol version → services, e.g. `{ 1: { kv: KV } }`. All keys are offered. */
  versions: V;
  /**
   * Largest gRPC message accepted from a plugin, and sent to one (bytes). Default 2^31-1 each, as
   * go-plugin's host sets; a bigger message fails the call with RESOURCE_EXHAUSTED naming the plugin.
   */
  readMaxBytes?: number;
  writeMaxBytes?: number;
  /** Where host and plugin logs go (pino works). Default: compact lines on stderr, level info. */
  logger?: Logger;
  /** go-plugin AutoMTLS: a fresh P-521 identity per launch, mutual verification. Default false. */
  autoMtls?: boolean;
  /** How long a plugin has to print its handshake line. Default 60 s, as go-plugin. */
  startTimeoutMs?: number;
  /** Grace between Shutdown and SIGKILL on close. Default 2 s, as go-plugin. */
  closeGraceMs?: number;
  /** Which host environment variables plugins see. Default `"inherit"`, as go-plugin; isolated launches use their own profile. */
  env?: EnvPolicy;
  /**
   * Isolation defaults for every launch (merged under a launch's own `isolation`). A launch with
   * isolation gets the strict environment allowlist unless its isolation `env` says otherwise.
   */
  isolation?: IsolationOptions;
  /** Parent directory of each plugin's private socket directory. Default the OS temp dir. */
  socketRoot?: string;
  /** Group the plugin's sockets are chowned to (`PLUGIN_UNIX_SOCKET_GROUP`). */
  socketGroup?: string;
  /** Receives what plugins write to stdout/stderr after the handshake (GRPCStdio). Default: dropped. */
  onStdio?: (plugin: Plugin<V>, channel: StdioChannel, data: Uint8Array) => void;
  /**
   * Delivery of launch `source`s (issue 6, docs/artifact-format.md): staging root, trusted ed25519
   * keys, signature policy, registry credentials. One registry client, backoff and last-known-good
   * store serve every launch of this host.
   */
  delivery?: Omit<AgentSourcesOptions, "logger">;
  /**
   * Keep one pre-forked launcher (`/bin/dash`) idle after the first launch, so later launches exec
   * the plugin in it instead of forking the whole host (Node's spawn copies the host's page tables:
   * ~1–1.5 ms per launch, more as the heap grows). The plugin is still the host's child in its own
   * process group with the same pipes. Costs one idle dash process (~1 MiB) per host; without
   * /bin/dash, and for launches it cannot express exactly (inherited stdin, PATH lookup), launches
   * spawn directly. Default true.
   */
  prespawn?: boolean;
}

/** Options for {@link PluginHost.launch}. */
export interface LaunchOptions {
  /** A name for logs and errors, e.g. `kv`. */
  name: string;
  /** Executable path (or a name looked up in PATH). Never run through a shell. Exactly one of `command`, `source`. */
  command?: string;
  /**
   * Where the plugin comes from (issue 6): a local path, an HTTPS URL (`#sha256=…`) or an OCI reference,
   * delivered, verified and staged under the host's `delivery.stagingRoot` as plugin id `name` (last-known-good
   * on a failed delivery). `args` are appended to the artifact's own.
   */
  source?: string;
  args?: readonly string[];
  /** Extra environment variables for this plugin. */
  env?: Record<string, string>;
  cwd?: string;
  /** Check the executable's digest before exec (go-plugin SecureConfig). Needs a path command. */
  secureConfig?: SecureConfig;
  /** Pass the host's stdin through (go-plugin does); default `"ignore"`. */
  stdin?: "ignore" | "inherit";
  autoMtls?: boolean;
  startTimeoutMs?: number;
  closeGraceMs?: number;
  /** Env allowlist, resource limits, sandbox level, forbidden paths; merged over the host's defaults. */
  isolation?: IsolationOptions;
  /**
   * Every raw stderr line of this plugin process (lines over 64 KiB arrive cut, `truncated` true),
   * besides the hclog parsing into the logger; run records keep them per run.
   */
  onStderrLine?: (line: string, truncated: boolean) => void;
  signal?: AbortSignal;
}

/** go-plugin's ReattachConfig, for a plugin that is already running. */
export interface ReattachConfig {
  protocol?: "grpc";
  protocolVersion: number;
  addr: { network: "unix" | "tcp"; string: string };
  /** Pid to signal on kill; omit if unknown. */
  pid?: number;
  /** go-plugin's `Test`: the plugin's lifetime is not ours (close() leaves it running). */
  test?: boolean;
}

/**
 * The host side of go-plugin: launches plugins (Go ones built with HashiCorp go-plugin, or ours),
 * negotiates the app protocol version, and hands out typed Connect clients.
 *
 * ```ts
 * await using host = new PluginHost({ handshake: { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" }, versions: { 1: { kv: KV } } });
 * await using kv = await host.launch({ name: "kv", command: "./kv-plugin" });
 * await kv.clientsFor(1)?.kv.put({ key: "a", value: new TextEncoder().encode("1") });
 * ```
 */
export class PluginHost<V extends VersionedServices = VersionedServices> implements AsyncDisposable {
  readonly logger: Logger;
  readonly #options: PluginHostOptions<V>;
  readonly #plugins = new Set<Plugin<V>>();
  readonly #spawner: Spawner;
  #closed = false;

  constructor(options: PluginHostOptions<V>) {
    const { handshake, versions } = options;
    if (!handshake?.magicCookieKey || !handshake.magicCookieValue) {
      throw new PlugwireError(
        ErrorCode.ConfigInvalid,
        "handshake needs a magicCookieKey and a magicCookieValue",
      );
    }
    const offered = Object.keys(versions ?? {});
    if (offered.length === 0 || offered.some((v) => !/^\d+$/.test(v))) {
      throw new PlugwireError(
        ErrorCode.ConfigInvalid,
        "versions must map app protocol versions (integers) to services",
      );
    }
    this.#options = options;
    this.logger = options.logger ?? createConsoleLogger();
    this.#spawner = createZygotePool(options.prespawn ?? true);
  }

  /** Plugins launched by this host and not yet exited. */
  get plugins(): ReadonlySet<Plugin<V>> {
    return this.#plugins;
  }

  /** The app protocol versions and services this host offers (supervised clients are built from them). */
  get versions(): V {
    return this.#options.versions;
  }

  /** Starts a plugin process and completes the go-plugin handshake. */
  async launch(options: LaunchOptions): Promise<Plugin<V>> {
    this.#assertOpen(options.name);
    const o = this.#options;
    const { command, args } = await this.#command(options);
    const plugin = await launchPlugin<V>({
      name: options.name,
      command,
      args,
      cwd: options.cwd,
      env: options.env,
      envPolicy: o.env ?? "inherit",
      isolation: o.isolation || options.isolation ? { ...o.isolation, ...options.isolation } : undefined,
      handshake: o.handshake,
      versions: o.versions,
      autoMtls: options.autoMtls ?? o.autoMtls ?? false,
      startTimeoutMs: options.startTimeoutMs ?? o.startTimeoutMs ?? 60_000,
      closeGraceMs: options.closeGraceMs ?? o.closeGraceMs ?? 2000,
      readMaxBytes: o.readMaxBytes,
      writeMaxBytes: o.writeMaxBytes,
      socketRoot: o.socketRoot,
      socketGroup: o.socketGroup,
      secureConfig: options.secureConfig,
      stdin: options.stdin,
      spawner: this.#spawner,
      logger: this.logger.child({ plugin: options.name }),
      signal: options.signal,
      onStdio: o.onStdio,
      onStderrLine: options.onStderrLine,
    });
    return this.#track(plugin);
  }

  /**
   * Connects to a plugin that is already running (go-plugin's Reattach). Without AutoMTLS: go-plugin
   * reattach configs carry no certificates.
   */
  async reattach(
    name: string,
    config: ReattachConfig,
    options: { signal?: AbortSignal } = {},
  ): Promise<Plugin<V>> {
    this.#assertOpen(name);
    if (config.protocol !== undefined && config.protocol !== "grpc") {
      throw new PlugwireError(
        ErrorCode.ProtocolUnsupported,
        `reattach protocol ${config.protocol} is not supported; only grpc`,
        {
          plugin: name,
        },
      );
    }
    if (!(config.protocolVersion in this.#options.versions)) {
      throw new PlugwireError(
        ErrorCode.VersionMismatch,
        `reattach protocol version ${config.protocolVersion} is not one this host offers`,
        {
          plugin: name,
        },
      );
    }
    const logger = this.logger.child({ plugin: name });
    const address = { network: config.addr.network, address: config.addr.string };
    const connection = createPluginTransport({ address });
    const lifetime = new AbortController();
    const broker = createBroker({ plugin: name, socketDir: tmpdir() });
    const plugin = new Plugin<V>({
      name,
      negotiatedVersion: config.protocolVersion,
      versions: this.#options.versions,
      connection,
      broker,
      process: undefined,
      address,
      owned: !config.test,
      pid: config.pid,
      socketDir: undefined,
      closeGraceMs: this.#options.closeGraceMs ?? 2000,
      logger,
      lifetime,
    });
    try {
      await connectPlugin(plugin, {
        connection,
        broker,
        lifetime,
        logger,
        onStdio: this.#options.onStdio,
        signal: options.signal,
        address,
        verify: "health",
      });
    } catch (err) {
      connection.close();
      await broker.close();
      throw err;
    }
    return this.#track(plugin);
  }

  /** Closes every plugin this host launched (in parallel) and its idle launcher, then refuses new launches. */
  async close(): Promise<void> {
    this.#closed = true;
    // The launcher first: closing plugins would otherwise fork a fresh zygote only to kill it.
    await this.#spawner.close();
    await Promise.allSettled([...this.#plugins].map((p) => p.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #sources: ReturnType<typeof createAgentSources> | undefined;

  /** The launch command: `command` as given, or what `source` delivers (through resolvePluginSource). */
  async #command(options: LaunchOptions): Promise<{ command: string; args: string[] }> {
    const extra = options.args ?? [];
    if ((options.command === undefined) === (options.source === undefined))
      throw new PlugwireError(ErrorCode.ConfigInvalid, "give exactly one of command and source", {
        plugin: options.name,
      });
    if (options.command !== undefined) return { command: options.command, args: [...extra] };
    const delivery = this.#options.delivery;
    if (!delivery)
      throw new PlugwireError(
        ErrorCode.ConfigInvalid,
        `source ${options.source} needs the host's delivery options (stagingRoot, keys, policy)`,
        { plugin: options.name },
      );
    this.#sources ??= createAgentSources({ ...delivery, logger: this.logger });
    const resolved = await this.#sources.resolveSource(options.source as string, {
      signal: options.signal ?? new AbortController().signal,
      plugin: options.name,
    });
    return { command: resolved.command, args: [...resolved.args, ...extra] };
  }

  #track(plugin: Plugin<V>): Plugin<V> {
    this.#plugins.add(plugin);
    void plugin.exited.then(() => this.#plugins.delete(plugin));
    if (this.#closed) void plugin.close();
    return plugin;
  }

  #assertOpen(name: string): void {
    if (this.#closed)
      throw new PlugwireError(ErrorCode.Closed, "the plugin host is closed", { plugin: name });
  }
}
