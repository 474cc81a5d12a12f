import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Daemon, daemonProto, ErrorCode, PlugwireError } from "@plugwire/contract";
import type { Plugin } from "../host/plugin.js";
import type { PluginHost } from "../host/plugin-host.js";
import { daemonService } from "./daemon-service.js";

/** The go-plugin versions a daemon plugin process serves (daemon.proto, app protocol version 1). */
export const DAEMON_VERSIONS = { 1: { lifecycle: daemonProto.LifecycleService } } as const;
/** A daemon plugin's go-plugin handle. */
export type DaemonProcess = Plugin<typeof DAEMON_VERSIONS>;
/** The internal host that launches daemon plugin processes. */
export type DaemonProcessHost = PluginHost<typeof DAEMON_VERSIONS>;

function lifecycle(plugin: DaemonProcess) {
  const clients = plugin.clientsFor(1);
  if (!clients) {
    throw new PlugwireError(ErrorCode.VersionMismatch, "plugin does not speak daemon protocol version 1", {
      plugin: plugin.name,
    });
  }
  return clients.lifecycle;
}

/** LifecycleService.Describe: the name the plugin's definition declares. */
export async function describeProcess(plugin: DaemonProcess, signal?: AbortSignal): Promise<string> {
  try {
    const res = await lifecycle(plugin).describe(create(daemonProto.DescribeRequestSchema), {
      signal,
      timeoutMs: 10_000,
    });
    return res.name;
  } catch (cause) {
    throw fromRpc(cause, ErrorCode.ConnectFailed, plugin.name, "describe failed: ");
  }
}

/**
 * Serves DaemonService for `daemon` through the plugin's broker (shared listener, re-announced for
 * this hand-out) and calls LifecycleService.Init with its id. Errors are reported as the in-process
 * path reports them: `INIT_FAILED` with the plugin's own message.
 */
export async function initProcess(
  plugin: DaemonProcess,
  daemon: Daemon,
  signal?: AbortSignal,
): Promise<void> {
  const id = await plugin.serveShared("plugwire.daemon.v1.DaemonService", (router) => {
    router.service(daemonProto.DaemonService, daemonService(daemon));
  });
  try {
    await lifecycle(plugin).init(create(daemonProto.InitRequestSchema, { daemonServerId: id }), { signal });
  } catch (cause) {
    // FAILED_PRECONDITION carries the plugin's own "init failed: …" (as in-process); else dial/transport.
    const own = cause instanceof ConnectError && cause.code === Code.FailedPrecondition;
    throw fromRpc(cause, ErrorCode.InitFailed, daemon.plugin, own ? "" : "init failed: ");
  }
}

/** LifecycleService.Shutdown bounded by `timeoutMs` on the plugin's side (plus a margin for the reply). */
export async function shutdownProcess(
  plugin: DaemonProcess,
  name: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await lifecycle(plugin).shutdown(create(daemonProto.ShutdownRequestSchema, { timeoutMs }), {
      signal,
      ...(timeoutMs > 0 ? { timeoutMs: timeoutMs + 1000 } : {}),
    });
  } catch (cause) {
    const timedOut = cause instanceof ConnectError && cause.rawMessage.startsWith("shutdown did not finish");
    throw fromRpc(cause, timedOut ? ErrorCode.ShutdownTimeout : ErrorCode.Internal, name, "");
  }
}

/** A PlugwireError from a failed lifecycle RPC, keeping the plugin's message. */
function fromRpc(cause: unknown, code: ErrorCode, plugin: string, prefix: string): PlugwireError {
  const message = cause instanceof ConnectError ? cause.rawMessage : (cause as Error)?.message;
  return new PlugwireError(code, `${prefix}${message}`, { plugin, cause });
}
