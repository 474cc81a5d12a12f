import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type DaemonPlugin,
  type DaemonPluginDefinition,
  daemonProto,
  ErrorCode,
  initPlugin,
  type PluginTransport,
  PlugwireError,
  shutdownPlugin,
} from "@plugwire/contract";
import { getPluginContext } from "../plugin-context.js";
import { connectDaemon, type RemoteDaemon } from "./remote-daemon.js";

interface Running {
  instance: DaemonPlugin;
  daemon: RemoteDaemon;
  connection: PluginTransport;
}

/**
 * daemon.proto's `LifecycleService` for one definition, in the order the proto describes: Describe
 * names it; Init dials DaemonService by broker id, runs a fresh instance's `init` and replies once
 * its subscriptions are active and its publishes/logs delivered; Shutdown runs `shutdown` bounded
 * by `timeout_ms`, flushes and ends the subscriptions. Failures carry the plugin's own message
 * (init: FAILED_PRECONDITION, shutdown timeout: DEADLINE_EXCEEDED) so the host can report them as
 * it does for in-process plugins.
 */
export function lifecycleService(
  definition: DaemonPluginDefinition,
): ServiceImpl<typeof daemonProto.LifecycleService> {
  let running: Running | undefined;
  let busy = false;
  return {
    async describe() {
      return create(daemonProto.DescribeResponseSchema, { name: definition.name });
    },
    async init(req, ctx) {
      if (running || busy) throw new ConnectError("already initialised", Code.FailedPrecondition);
      busy = true;
      const { broker, logger } = getPluginContext(ctx);
      let connection: PluginTransport | undefined;
      try {
        connection = await broker.dial(req.daemonServerId, { signal: ctx.signal });
        const daemon = await connectDaemon(connection.transport, {
          fallbackLogger: logger,
          signal: ctx.signal,
        });
        const instance = definition.create();
        try {
          await initPlugin(daemon.plugin, instance, daemon);
        } catch (err) {
          await daemon.close();
          throw asConnectError(err);
        }
        await daemon.settle();
        running = { instance, daemon, connection };
        return create(daemonProto.InitResponseSchema);
      } catch (err) {
        connection?.close();
        throw err;
      } finally {
        busy = false;
      }
    },
    async shutdown(req) {
      const current = running;
      running = undefined;
      if (!current) return create(daemonProto.ShutdownResponseSchema);
      try {
        await shutdownPlugin(current.daemon.plugin, current.instance, { timeoutMs: req.timeoutMs });
      } catch (err) {
        throw asConnectError(err);
      } finally {
        await current.daemon.close();
        current.connection.close();
      }
      return create(daemonProto.ShutdownResponseSchema);
    },
  };
}

/** The plugin's error as the RPC's: its message without our `plugin <name>: ` prefix, a fitting code. */
function asConnectError(err: unknown): ConnectError {
  if (err instanceof PlugwireError) {
    const code =
      err.code === ErrorCode.InitFailed
        ? Code.FailedPrecondition
        : err.code === ErrorCode.ShutdownTimeout
          ? Code.DeadlineExceeded
          : Code.Unknown;
    return new ConnectError(err.rawMessage, code, undefined, undefined, err);
  }
  return new ConnectError(
    err instanceof Error ? err.message : String(err),
    Code.Unknown,
    undefined,
    undefined,
    err,
  );
}
