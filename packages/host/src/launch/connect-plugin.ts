import { statSync } from "node:fs";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import {
  brokerProto,
  ErrorCode,
  type GrpcBroker,
  health,
  type Logger,
  type PluginAddress,
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
  address: PluginAddress;
  /**
   * How the address is proven before the handle is handed out. `"health"`: a `Health.Check` round
   * trip, for reattach (the address comes from outside and may be stale). `"socket"`: the connection to the
   * address the handshake named must open, for launch (the plugin printed it after listening; a
   * missing path or one that is no socket is named as such); go-plugin's host proves nothing here and
   * fails on the first call, and a round trip on a cold connection costs ~0.7 ms of a ~7 ms start.
   */
  verify: "health" | "socket";
}

/**
 * Right after connecting (go-plugin-wire.md §4): open `GRPCBroker.StartStream` and
 * `GRPCStdio.StreamStdio` and keep both drained for the plugin's lifetime; an address that cannot
 * work fails here (see {@link ConnectParts.verify}), not on the first call.
 *
 * The connection is open before this returns (as a Go host's blocking dial), so the plugin sets up
 * its side while the caller goes on. The two streams open a loop turn later, as go-plugin's host
 * opens them from goroutines: the caller's first call goes out first instead of queueing behind
 * their set-up. Nothing is lost by the wait: the plugin buffers its output until the stdio stream
 * reads it, and waits for broker announcements.
 */
export async function connectPlugin<V extends VersionedServices>(
  plugin: Plugin<V>,
  parts: ConnectParts<V>,
): Promise<void> {
  const { connection, broker, lifetime, logger } = parts;
  try {
    await connection.connect();
  } catch (cause) {
    // Why, when the handshake named a unix path that is missing or no socket (stat only on failure).
    if (parts.verify === "socket") assertSocket(parts.address, plugin.name);
    throw new PlugwireError(
      ErrorCode.ConnectFailed,
      `could not reach the plugin at ${parts.address.address}: ${ConnectError.from(cause).rawMessage}`,
      { plugin: plugin.name, cause },
    );
  }
  setImmediate(() => {
    if (lifetime.signal.aborted) return;
    const brokerClient = createClient(brokerProto.GRPCBroker, connection.transport);
    void broker.consume(brokerClient.startStream(broker.outgoing, { signal: lifetime.signal }));
    void drainStdio(connection.transport, lifetime.signal, logger, (channel, data) => {
      plugin.emitStdio(channel, data);
      parts.onStdio?.(plugin, channel, data);
    });
  });
  if (parts.verify !== "health") return;
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

/** A unix address must name an existing socket (one stat, no round trip); TCP is left to the dial. */
function assertSocket(address: PluginAddress, plugin: string): void {
  if (address.network !== "unix") return;
  let isSocket = false;
  try {
    isSocket = statSync(address.address).isSocket();
  } catch (cause) {
    throw new PlugwireError(
      ErrorCode.ConnectFailed,
      `could not reach the plugin: its handshake names ${address.address}, which does not exist`,
      { plugin, cause },
    );
  }
  if (!isSocket) {
    throw new PlugwireError(
      ErrorCode.ConnectFailed,
      `could not reach the plugin: its handshake names ${address.address}, which is not a unix socket`,
      { plugin },
    );
  }
}
