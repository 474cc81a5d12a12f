import { create } from "@bufbuild/protobuf";
import { createClient, type Transport } from "@connectrpc/connect";
import { createServiceRegistry, type Daemon, daemonProto, type Logger } from "@plugwire/contract";
import { createOutbox } from "./outbox.js";
import { createRemoteEventBus } from "./remote-event-bus.js";
import { createRemoteLogger } from "./remote-logger.js";

/** A {@link Daemon} backed by the host's DaemonService. */
export interface RemoteDaemon extends Daemon {
  /** Resolves once subscriptions made so far are active and publishes/logs so far are delivered. */
  settle(): Promise<void>;
  /** Settles, then ends every subscription. The transport stays the caller's. */
  close(): Promise<void>;
}

/** Options for {@link connectDaemon}. */
export interface ConnectDaemonOptions {
  /** Reports what could not be delivered to the host (the plugin process's stderr logger). */
  fallbackLogger: Logger;
  signal?: AbortSignal;
}

/**
 * Builds the same `Daemon` an in-process plugin gets, over daemon.proto's DaemonService (dialed
 * through the go-plugin broker): reads `GetConfig` once (config, host info, the plugin's name),
 * then publish/log go through an ordered outbox and subscriptions are server streams. Services are
 * a registry local to this process (objects cannot cross the process boundary).
 */
export async function connectDaemon(
  transport: Transport,
  options: ConnectDaemonOptions,
): Promise<RemoteDaemon> {
  const client = createClient(daemonProto.DaemonService, transport);
  const config = await client.getConfig(create(daemonProto.GetConfigRequestSchema), {
    signal: options.signal,
  });
  const plugin = config.pluginName;
  const outbox = createOutbox({ client, fallback: options.fallbackLogger });
  const events = createRemoteEventBus(client, outbox, plugin);
  const settle = async () => {
    await events.settle();
    await outbox.flush();
  };
  return {
    plugin,
    events,
    logger: createRemoteLogger(outbox),
    config: Object.freeze(config.config ?? {}),
    info: Object.freeze({ name: config.hostName, version: config.hostVersion }),
    services: createServiceRegistry(),
    settle,
    async close() {
      await settle();
      events.close();
    },
  };
}
