import { chmodSync, chownSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  ErrorCode,
  type GrpcServer,
  type MutualTls,
  PluginEnv,
  type PluginNetwork,
  PlugwireError,
  socketPath,
  startGrpcServer,
} from "@plugwire/contract/wire";

/** Options for {@link listenForHost}. */
export interface ListenOptions {
  routes: (router: ConnectRouter) => void;
  env: NodeJS.ProcessEnv;
  tls?: MutualTls | undefined;
  /** Default `process.platform`; `win32` listens on TCP like go-plugin. */
  platform?: NodeJS.Platform;
  plugin?: string | undefined;
  /** Largest request message the plugin accepts (default 2^31-1, go-plugin's `grpc.MaxRecvMsgSize`). */
  readMaxBytes?: number | undefined;
  /** Largest response message the plugin sends (default 2^31-1, go-plugin's `grpc.MaxSendMsgSize`). */
  writeMaxBytes?: number | undefined;
}

/** Where the plugin's listeners (main server and broker) go. */
export interface ListenTarget {
  network: PluginNetwork;
  /** Directory for unix sockets: `PLUGIN_UNIX_SOCKET_DIR`, else the temp dir. */
  socketDir: string;
}

/** go-plugin's `serverListener` choice: TCP on Windows, a unix socket elsewhere. */
export function listenTarget(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): ListenTarget {
  return {
    network: platform === "win32" ? "tcp" : "unix",
    socketDir: env[PluginEnv.UnixSocketDir] || tmpdir(),
  };
}

/**
 * Starts the plugin's gRPC server the way go-plugin's `serverListener` does (go-plugin-wire.md §2.3):
 * a unix socket `plugin<random>` in `PLUGIN_UNIX_SOCKET_DIR` or the temp dir (path length checked;
 * `PLUGIN_UNIX_SOCKET_GROUP` → chown to that group name/gid and chmod 0660), or on Windows the first
 * free TCP port on 127.0.0.1 in [`PLUGIN_MIN_PORT`, `PLUGIN_MAX_PORT`].
 */
export async function listenForHost(options: ListenOptions): Promise<GrpcServer> {
  const { env, plugin } = options;
  const target = listenTarget(env, options.platform);
  if (target.network === "tcp") return listenTcp(options);

  let path: string;
  try {
    path = socketPath(target.socketDir);
  } catch (err) {
    throw new PlugwireError(ErrorCode.ConfigInvalid, (err as Error).message, { plugin, cause: err });
  }
  let server: GrpcServer;
  try {
    server = await startGrpcServer({ ...serverOptions(options), listen: { unix: path } });
  } catch (err) {
    // ENOENT/EACCES: PLUGIN_UNIX_SOCKET_DIR names a directory we cannot make a socket in.
    throw new PlugwireError(
      ErrorCode.ConfigInvalid,
      `cannot listen on a unix socket in ${target.socketDir}: ${(err as Error).message}`,
      { plugin, cause: err },
    );
  }
  const group = env[PluginEnv.UnixSocketGroup];
  if (group) {
    try {
      chownSync(path, -1, resolveGid(group));
      chmodSync(path, 0o660);
    } catch (err) {
      await server.close(0);
      throw PlugwireError.is(err)
        ? err
        : new PlugwireError(ErrorCode.ConfigInvalid, `cannot give socket ${path} to group ${group}: ${err}`, {
            plugin,
            cause: err,
          });
    }
  }
  return server;
}

async function listenTcp(options: ListenOptions): Promise<GrpcServer> {
  const port = (name: string) => {
    const raw = options.env[name];
    if (!raw) return 0;
    if (!/^\d{1,5}$/.test(raw)) {
      throw new PlugwireError(
        ErrorCode.ConfigInvalid,
        `couldn't get value from ${name}: ${JSON.stringify(raw)}`,
      );
    }
    return Number(raw);
  };
  const min = port(PluginEnv.MinPort);
  const max = port(PluginEnv.MaxPort);
  if (min > max) {
    throw new PlugwireError(
      ErrorCode.ConfigInvalid,
      `${PluginEnv.MinPort} value of ${min} is greater than ${PluginEnv.MaxPort} value of ${max}`,
    );
  }
  for (let p = min; p <= max; p++) {
    try {
      return await startGrpcServer({
        ...serverOptions(options),
        listen: { tcp: { host: "127.0.0.1", port: p } },
      });
    } catch {
      // Port taken: try the next one, as go-plugin does.
    }
  }
  throw new PlugwireError(ErrorCode.ConfigInvalid, "couldn't bind plugin TCP listener", {
    plugin: options.plugin,
    details: { min, max },
  });
}

/** Routes, TLS and message limits, as startGrpcServer takes them. */
function serverOptions(options: ListenOptions) {
  const { routes, tls, readMaxBytes, writeMaxBytes } = options;
  return { routes, tls, readMaxBytes, writeMaxBytes };
}

/** A gid from a number, or a group name looked up in /etc/group (Go: `user.LookupGroup`). */
export function resolveGid(group: string, groupFile = "/etc/group"): number {
  if (/^\d+$/.test(group)) return Number(group);
  let text = "";
  try {
    text = readFileSync(groupFile, "utf8");
  } catch {
    // No group database: fall through to the error below.
  }
  for (const line of text.split("\n")) {
    const [name, , gid] = line.split(":");
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new PlugwireError(ErrorCode.ConfigInvalid, `failed to find gid from ${JSON.stringify(group)}`, {
    details: { group },
  });
}
