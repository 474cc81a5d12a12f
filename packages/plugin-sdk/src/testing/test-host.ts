import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import {
  createBroker,
  type GrpcBroker,
  type PluginAddress,
  silentLogger,
  socketPath,
  startGrpcServer,
} from "@plugwire/contract";
import { type PluginDefinition, pluginSetFor, type VersionDescriptors } from "../define-plugin.js";
import type { PluginContext } from "../plugin-context.js";
import { pluginRoutes } from "../services/register.js";
import { createStdioStream } from "../services/stdio.js";

/** Options for {@link createTestHost}. */
export interface TestHostOptions<N> {
  /** App protocol version to serve (default: the definition's highest). */
  version?: N;
  /** Logger handed to handlers (default: silent). */
  logger?: PluginContext["logger"];
}

/** Typed clients for every service of one plugin set, keyed by set name. */
export type PluginClients<S> = { readonly [K in keyof S]: Client<Extract<S[K], DescService>> };

/** An in-process go-plugin host around a plugin definition: no subprocess, a real gRPC server. */
export interface TestHost<S> extends AsyncDisposable {
  readonly version: number;
  /** The plugin server's unix socket. */
  readonly address: PluginAddress;
  /** Typed clients for the negotiated plugin set, e.g. `host.clients.kv_grpc.get({ key })`. */
  readonly clients: PluginClients<S>;
  /** The host's broker, joined to the plugin's over `GRPCBroker.StartStream`. */
  readonly broker: GrpcBroker;
  /** A typed Connect client for any service on the plugin's server. */
  client<S2 extends DescService>(service: S2): Client<S2>;
  /** Text received so far through `GRPCStdio` (what a Go host's SyncStdout / SyncStderr get). */
  stdout(): string;
  stderr(): string;
  /** The plugin side's broker (what handlers see through `getPluginContext`). */
  readonly pluginBroker: GrpcBroker;
  /** Stops the server and removes the temp dir with its sockets. Idempotent. */
  close(): Promise<void>;
}

/**
 * Runs `definition` in-process under a real gRPC server on a temp unix socket, with the same services
 * as `serve()` (health, controller, stdio, broker and the plugin set), connects a host side to it
 * (broker stream open, so handlers can `broker.dial`), and returns typed Connect clients. Process
 * stdio is not captured. `await using host = await createTestHost(plugin)` cleans everything up.
 */
export async function createTestHost<V extends VersionDescriptors, N extends keyof V = keyof V>(
  definition: PluginDefinition<V>,
  // Version keys of an object literal may be typed as numeric strings ("1"), so N is not narrowed
  // from `options.version`; the clients cover the definition's sets.
  options: TestHostOptions<number> = {},
): Promise<TestHost<V[N]>> {
  const version =
    options.version !== undefined ? Number(options.version) : Math.max(...definition.versionNumbers);
  const pluginSet = pluginSetFor(definition, version);
  if (!pluginSet) throw new RangeError(`plugin ${definition.name} has no version ${version}`);
  const socketDir = mkdtempSync(join(tmpdir(), "pw-test-"));
  const controller = new AbortController();
  const pluginBroker = createBroker({ plugin: definition.name, socketDir });
  const stdio = createStdioStream({ fallback: () => {} });
  const context: PluginContext = {
    broker: pluginBroker,
    logger: options.logger ?? definition.logger ?? silentLogger,
    version,
    signal: controller.signal,
  };
  let host: TestHost<V[N]> | undefined;
  const server = await startGrpcServer({
    routes: pluginRoutes({ pluginSet, context, stdio, onShutdown: () => void host?.close() }),
    listen: { unix: socketPath(socketDir) },
  });
  // The host side is the real one: @plugwire/host reattached to the in-process server (go-plugin's
  // Reattach with Test=true: close() disconnects, the server's lifetime is ours).
  const { PluginHost } = await import("@plugwire/host");
  const text = { stdout: "", stderr: "" };
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const pluginHost = new PluginHost({
    handshake: definition.handshake,
    versions: { [version]: {} },
    logger: silentLogger,
    socketRoot: socketDir,
    onStdio: (_plugin, channel, data) => {
      text[channel] += decoders[channel].decode(data, { stream: true });
    },
  });
  const side = await pluginHost.reattach(definition.name, {
    protocolVersion: version,
    addr: { network: server.address.network, string: server.address.address },
    test: true,
  });
  const client = <S2 extends DescService>(service: S2) => createClient(service, side.transport);
  const clients = Object.fromEntries(
    Object.entries(pluginSet).map(([name, binding]) => [name, client(binding.service)]),
  ) as PluginClients<V[N]>;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      controller.abort();
      stdio.close();
      await pluginHost.close();
      await pluginBroker.close();
      await server.close(0);
      rmSync(socketDir, { recursive: true, force: true });
    })();
    return closing;
  };
  host = {
    broker: side.broker,
    client,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    version,
    address: server.address,
    clients,
    pluginBroker,
    close,
    [Symbol.asyncDispose]: close,
  };
  return host;
}
