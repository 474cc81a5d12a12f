import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { type HandshakeConfig, type LogFields, type Logger, levelMethods } from "@plugwire/contract";
import type { Plugin, PluginExit } from "@plugwire/host";

/** Options for {@link launchPluginProcess}. */
export interface LaunchPluginOptions {
  command: string;
  args?: readonly string[];
  handshake: HandshakeConfig;
  /** App protocol versions offered in `PLUGIN_PROTOCOL_VERSIONS`. */
  versions: readonly number[];
  /** Extra environment for the plugin. */
  env?: Record<string, string>;
  /** Turn on AutoMTLS like a Go host with `AutoMTLS: true`. */
  autoMtls?: boolean;
  /** Handshake timeout (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A plugin subprocess launched by a real `@plugwire/host` PluginHost, with test conveniences. */
export interface LaunchedPlugin extends AsyncDisposable {
  /** The host's handle: clients, broker, ping, close, exit. */
  readonly plugin: Plugin;
  readonly pid: number;
  /** A typed Connect client for any service on the plugin's server. */
  client<S extends DescService>(service: S): Client<S>;
  /** Text received through `GRPCStdio` (what a Go host's SyncStdout / SyncStderr get). */
  stdout(): string;
  stderr(): string;
  /** The plugin's log lines (its real stderr, as the host parsed them), one message per entry. */
  logs(): string[];
  /** go-plugin's Kill: Shutdown → grace → SIGKILL. Resolves with the exit. */
  close(graceMs?: number): Promise<PluginExit>;
}

/**
 * Launches a built plugin as a subprocess through `@plugwire/host` — the real host, not a test
 * double — and completes the handshake. Needs `@plugwire/host` installed (an optional peer dependency).
 */
export async function launchPluginProcess(options: LaunchPluginOptions): Promise<LaunchedPlugin> {
  const { PluginHost } = await import("@plugwire/host");
  const logs: string[] = [];
  const text = { stdout: "", stderr: "" };
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const host = new PluginHost({
    handshake: options.handshake,
    versions: Object.fromEntries(options.versions.map((v) => [v, {}])),
    logger: collectingLogger(logs),
    autoMtls: options.autoMtls ?? false,
    startTimeoutMs: options.timeoutMs ?? 30_000,
    onStdio: (_plugin, channel, data) => {
      text[channel] += decoders[channel].decode(data, { stream: true });
    },
  });
  const launch: Parameters<typeof host.launch>[0] = { name: "plugin-under-test", command: options.command };
  if (options.args) launch.args = options.args;
  if (options.env) launch.env = options.env;
  if (options.signal) launch.signal = options.signal;
  const plugin = await host.launch(launch);
  const close = async (graceMs?: number) => {
    const exit = await plugin.close(graceMs === undefined ? {} : { graceMs });
    await host.close();
    return exit;
  };
  return {
    plugin,
    pid: plugin.pid ?? -1,
    client: (service) => createClient(service, plugin.transport),
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    logs: () => [...logs],
    close,
    [Symbol.asyncDispose]: async () => {
      await close();
    },
  };
}

function collectingLogger(into: string[]): Logger {
  const at = (obj: LogFields | string, msg?: string) => {
    into.push(typeof obj === "string" ? obj : (msg ?? ""));
  };
  const logger: Logger = { ...levelMethods(() => at), child: () => logger };
  return logger;
}
