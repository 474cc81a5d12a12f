import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { PluginAddress } from "../handshake/handshake-line.js";
import { MAX_MESSAGE_BYTES, type MutualTls, tlsOptions } from "./mutual-tls.js";
import { recordUnaryRoutes, serveUnary, type UnaryRoute } from "./unary-handler.js";

/** A gRPC server on one listener; `close()` drains it. */
export interface GrpcServer {
  readonly address: PluginAddress;
  /**
   * Stops accepting, lets in-flight calls finish for up to `graceMs` (default 2 s), then destroys
   * what is left and removes the socket file. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
  /** Number of open HTTP/2 sessions (one per connected peer). */
  readonly sessionCount: number;
}

/** Options for {@link startGrpcServer}. */
export interface GrpcServerOptions {
  /** Registers the services, as with connect-node's adapter. */
  routes: (router: ConnectRouter) => void;
  /** Unix socket path to listen on, or `{ tcp: { host, port } }` (port 0 = any). */
  listen: { unix: string } | { tcp: { host: string; port: number } };
  /** AutoMTLS: require and verify the peer's certificate. */
  tls?: MutualTls | undefined;
  /** Largest request message accepted (default 2^31-1, go-plugin's server limit); bigger → RESOURCE_EXHAUSTED. */
  readMaxBytes?: number | undefined;
  /** Largest response message sent (default 2^31-1); bigger → RESOURCE_EXHAUSTED to the caller. */
  writeMaxBytes?: number | undefined;
}

/**
 * Serves gRPC over HTTP/2 the way go-plugin peers expect (go-plugin-wire.md §3–§6): h2c prior
 * knowledge or TLS with a required client certificate, message limits raised, `:authority` never
 * validated (Go hosts send `unused`).
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const unary = new Map<string, UnaryRoute | null>();
  const readMaxBytes = options.readMaxBytes ?? MAX_MESSAGE_BYTES;
  const writeMaxBytes = options.writeMaxBytes ?? MAX_MESSAGE_BYTES;
  const handler = connectNodeAdapter({
    routes: (router) => options.routes(recordUnaryRoutes(router, unary)),
    readMaxBytes,
    writeMaxBytes,
  });
  const settings: http2.Settings = { initialWindowSize: 4 * 1024 * 1024 };
  const server = options.tls
    ? http2.createSecureServer({ ...tlsOptions(options.tls), requestCert: true, settings }, handler)
    : http2.createServer({ settings }, handler);
  // Unary calls (nearly all plugin traffic) are served straight off the HTTP/2 stream; the rest goes
  // through node:http2's compatibility layer (the 'stream' listener that passing `handler` installed)
  // to Connect's adapter.
  const compat = server.listeners("stream") as ((...args: unknown[]) => void)[];
  server.removeAllListeners("stream");
  server.on("stream", (stream, headers, ...rest) => {
    const path = headers[":path"];
    const route = path === undefined ? undefined : unary.get(path);
    if (route && serveUnary(route, stream, headers, readMaxBytes, writeMaxBytes)) return;
    for (const listener of compat) listener.call(server, stream, headers, ...rest);
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    // A peer that vanishes mid-stream must not crash the process.
    session.on("error", () => {});
  });
  // TLS handshake failures (wrong peer cert) and client resets are the peer's problem, not ours.
  server.on("tlsClientError", () => {});
  server.on("sessionError", () => {});

  const { listen } = options;
  let address: PluginAddress;
  if ("unix" in listen) {
    rmSync(listen.unix, { force: true });
    await listenOn(server, () => server.listen(listen.unix));
    address = { network: "unix", address: listen.unix };
  } else {
    await listenOn(server, () => server.listen(listen.tcp.port, listen.tcp.host));
    const info = server.address() as AddressInfo;
    address = { network: "tcp", address: `${listen.tcp.host}:${info.port}` };
  }

  let closing: Promise<void> | undefined;
  return {
    address,
    get sessionCount() {
      return sessions.size;
    },
    close(graceMs = 2000) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          for (const s of sessions) s.destroy();
        }, graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          if (address.network === "unix") rmSync(address.address, { force: true });
          resolve();
        });
        // Ask peers to stop opening streams; in-flight ones may finish.
        for (const s of sessions) if (!s.closed) s.close();
      });
      return closing;
    },
  };
}

function listenOn(server: http2.Http2Server, start: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.once("listening", () => {
      server.off("error", reject);
      resolve();
    });
    start();
  });
}

/**
 * A fresh socket path in `dir` (go-plugin names them `plugin<random>`). Unix socket paths are
 * limited to ~104 (macOS) / 108 (Linux) bytes: checked here so the error is clear, not EINVAL.
 */
export function socketPath(dir: string = tmpdir(), prefix = "plugin"): string {
  const path = join(dir, `${prefix}${randomBytes(5).toString("hex")}`);
  if (Buffer.byteLength(path) > MAX_UNIX_PATH) {
    throw new RangeError(
      `unix socket path ${path} is ${Buffer.byteLength(path)} bytes, over the ${MAX_UNIX_PATH}-byte limit: use a shorter socket directory`,
    );
  }
  return path;
}

/** Longest unix socket path that works on both Linux (108) and macOS (104), minus the NUL. */
export const MAX_UNIX_PATH = 103;
