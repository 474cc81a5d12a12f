import { Code, ConnectError, createClient } from "@connectrpc/connect";
import {
  brokerProto,
  ErrorCode,
  type GrpcBroker,
  health,
  type Logger,
  type PluginTransport,
  PlugwireError,
} from "@plugwire/contract";
import { drainStdio } from "../connection/stdio.js";
import type { Plugin } from "../host/plugin.js";
import type { VersionedServices } from "../host/types.js";

/** @internal Inputs of {@link connectPlugin}. */
export interface ConnectParts<V extends VersionedServices> {
  connection: PluginTransport;
  broker: GrpcBroker;
  lifetime: AbortController;
  logger: Logger;
  onStdio?: ((plugin: Plugin<V>, channel: "stdout" | "stderr", data: Uint8Array) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Right after connecting (go-plugin-wire.md §4): open `GRPCBroker.StartStream` and
 * `GRPCStdio.StreamStdio` and keep both drained for the plugin's lifetime; then prove the connection
 * with a health check so a bad address fails the launch, not the first call.
 */
export async function connectPlugin<V extends VersionedServices>(
  plugin: Plugin<V>,
  parts: ConnectParts<V>,
): Promise<void> {
  const { connection, broker, lifetime, logger } = parts;
  const brokerClient = createClient(brokerProto.GRPCBroker, connection.transport);
  void broker.consume(brokerClient.startStream(broker.outgoing, { signal: lifetime.signal }));
  void drainStdio(connection.transport, lifetime.signal, logger, (channel, data) => {
    plugin.emitStdio(channel, data);
    parts.onStdio?.(plugin, channel, data);
  });
  const check = createClient(health.Health, connection.transport);
  try {
    await check.check({ service: "plugin" }, { timeoutMs: 10_000, signal: parts.signal });
  } catch (err) {
    const ce = ConnectError.from(err);
    // A plugin without the health service is still reachable; anything else is not.
    if (ce.code === Code.Unimplemented) return;
    throw new PlugwireError(ErrorCode.ConnectFailed, `could not reach the plugin: ${ce.message}`, {
      plugin: plugin.name,
      cause: err,
    });
  }
}
