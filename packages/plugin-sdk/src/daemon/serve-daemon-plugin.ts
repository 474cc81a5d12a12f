import {
  DAEMON_HANDSHAKE,
  DAEMON_LIFECYCLE_PLUGIN,
  DAEMON_PROTOCOL_VERSION,
  type DaemonPluginDefinition,
  daemonProto,
} from "@plugwire/contract";
import { definePlugin, implement } from "../define-plugin.js";
import { type PluginServer, type ServeOptions, serve } from "../serve/serve.js";
import { lifecycleService } from "./lifecycle-service.js";

/**
 * The go-plugin plugin that runs a daemon plugin out of process: the daemon handshake cookie and,
 * for app protocol version 1, daemon.proto's `LifecycleService` (hand it to `createTestHost` too).
 */
export function daemonPluginServer(definition: DaemonPluginDefinition) {
  return definePlugin({
    name: definition.name,
    handshake: DAEMON_HANDSHAKE,
    versions: {
      [DAEMON_PROTOCOL_VERSION]: {
        [DAEMON_LIFECYCLE_PLUGIN]: implement(daemonProto.LifecycleService, lifecycleService(definition)),
      },
    },
  });
}

/**
 * Serves a daemon plugin as a subprocess of a plugwire host (`load(…, { isolation: "process" })`):
 * go-plugin's start-up sequence via {@link serve}, then the host drives `LifecycleService`. Use it
 * as the body of a plugin executable: `await serveDaemonPlugin(plugin)`.
 */
export function serveDaemonPlugin(
  definition: DaemonPluginDefinition,
  options?: ServeOptions,
): Promise<PluginServer> {
  return serve(daemonPluginServer(definition), options);
}
