// A Node HTTP service with a plugin behind it: one PluginHost, one KV plugin launched at start-up
// (any go-plugin KV plugin — the TypeScript one from examples/go-plugin-kv, or go-plugin's Go one),
// and two routes that are plain gRPC calls to it. Closing stops the server, then the plugin.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KV } from "@plugwire/example-go-plugin-kv/gen";
import { type Logger, type Plugin, PluginHost, PlugwireError } from "@plugwire/host";

/** go-plugin's examples/grpc handshake, spoken by every KV plugin in this repository. */
const KV_HANDSHAKE = { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" };
const VERSIONS = { 1: { kv: KV } } as const;
const MAX_BODY = 1024 * 1024;

/** Options for {@link startHostApp}. */
export interface HostAppOptions {
  /** The KV plugin executable (and arguments). */
  plugin: { command: string; args?: readonly string[] };
  /** Listen address; default 127.0.0.1 and an ephemeral port (0). */
  host?: string;
  port?: number;
  logger?: Logger;
  signal?: AbortSignal;
}

/** A running host app. */
export interface HostApp extends AsyncDisposable {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The plugin process (pid, exit status). */
  readonly plugin: Plugin<typeof VERSIONS>;
  /** Stops accepting requests, waits for in-flight ones, then closes the plugin. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the service: `PUT /kv/:key` (body = value) → `KV.Put`, `GET /kv/:key` → `KV.Get` (404 when
 * the value is empty, which is how go-plugin's KV example reports a missing key). A plugin error
 * answers 502 with its typed code.
 */
export async function startHostApp(options: HostAppOptions): Promise<HostApp> {
  const host = new PluginHost({
    handshake: KV_HANDSHAKE,
    versions: VERSIONS,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const plugin = await host.launch({
    name: "kv",
    command: options.plugin.command,
    args: options.plugin.args ?? [],
    signal: options.signal,
  });
  const server = createServer((req, res) => {
    handle(plugin, req, res).catch((err: unknown) => {
      const code = err instanceof PlugwireError ? err.code : "INTERNAL";
      send(res, 502, `${code}: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  });
  try {
    await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  } catch (err) {
    await host.close();
    throw err;
  }
  const { address, port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await host.close();
    })();
    return closing;
  };
  return {
    url: `http://${address.includes(":") ? `[${address}]` : address}:${port}`,
    plugin,
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function handle(plugin: Plugin<typeof VERSIONS>, req: IncomingMessage, res: ServerResponse) {
  const match = /^\/kv\/([^/?]+)$/.exec(req.url ?? "");
  if (!match?.[1]) return send(res, 404, "not found: use /kv/:key\n");
  const key = decodeURIComponent(match[1]);
  if (req.method === "GET") {
    const { value } = await plugin.clients.kv.get({ key });
    if (value.byteLength === 0) return send(res, 404, `no value for ${key}\n`);
    return send(res, 200, value);
  }
  if (req.method === "PUT") {
    const value = await readBody(req);
    if (value === undefined) return send(res, 413, `value over ${MAX_BODY} bytes\n`);
    await plugin.clients.kv.put({ key, value });
    return send(res, 204);
  }
  res.setHeader("allow", "GET, PUT");
  return send(res, 405, "method not allowed\n");
}

function send(res: ServerResponse, status: number, body?: string | Uint8Array) {
  res.writeHead(status, body === undefined ? {} : { "content-type": "application/octet-stream" });
  res.end(body);
}

/** The request body, or undefined when it is over MAX_BODY. */
async function readBody(req: IncomingMessage): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
