import { lstatSync, unlinkSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ConnectRouter, createConnectRouter } from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import type { PluginAddress } from "../handshake/handshake-line.js";
import { H2Connection } from "./h2/connection.js";
import { fieldsToRecord } from "./h2/fields.js";
import type { H2Stream } from "./h2/stream.js";
import { MAX_MESSAGE_BYTES, type MutualTls, nodeTls, tlsOptions } from "./mutual-tls.js";
import { serveStream } from "./stream-handler.js";
import { type LeanRoute, recordLeanRoutes, serveUnary } from "./unary-handler.js";
import { answerUnimplemented, serveUniversal } from "./universal-serve.js";

/** A gRPC server on one listener; `close()` drains it. */
export interface GrpcServer {
  readonly address: PluginAddress;
  /**
   * Stops accepting, lets in-flight calls finish for up to `graceMs` (default 2 s), then destroys
   * what is left and removes the socket file. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
  /** Number of open HTTP/2 connections (one per connected peer). */
  readonly sessionCount: number;
}

/** Options for {@link startGrpcServer}. */
export interface GrpcServerOptions {
  /** Registers the services on a ConnectRouter. */
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
  const lean = new Map<string, LeanRoute | null>();
  const readMaxBytes = options.readMaxBytes ?? MAX_MESSAGE_BYTES;
  const writeMaxBytes = options.writeMaxBytes ?? MAX_MESSAGE_BYTES;
  const router = recordLeanRoutes(createConnectRouter({ readMaxBytes, writeMaxBytes }), lean);
  options.routes(router);
  // Plain binary gRPC calls (all go-plugin traffic) are served straight off the HTTP/2 stream;
  // anything unusual (other codecs, compression, interceptors on streams) goes to Connect's
  // handlers, built on the first such call.
  let handlers: Map<string, UniversalHandler> | undefined;
  const handler = (path: string) => {
    handlers ??= new Map(router.handlers.map((h) => [h.requestPath, h]));
    return handlers.get(path);
  };
  const secure = options.tls !== undefined;
  const onStream = (stream: H2Stream, fields: string[], endStream: boolean) => {
    const headers = fieldsToRecord(fields);
    const path = String(headers[":path"] ?? "");
    const route = lean.get(path);
    const serve = route?.method.methodKind === "unary" ? serveUnary : serveStream;
    if (route && serve(route, stream, { headers, endStream, secure, readMaxBytes, writeMaxBytes })) return;
    const universal = handler(path);
    if (universal) serveUniversal(universal, stream, headers, endStream, secure);
    else answerUnimplemented(stream, path);
  };
  const connections = new Set<H2Connection>();
  const accept = (socket: net.Socket) => {
    socket.setNoDelay(true);
    const connection = new H2Connection({
      socket,
      role: "server",
      onStream,
      onClose: () => connections.delete(connection),
    });
    connections.add(connection);
  };
  const server = options.tls
    ? nodeTls().createServer({ ...tlsOptions(options.tls), requestCert: true }, accept)
    : net.createServer(accept);
  // TLS handshake failures (wrong peer cert) are the peer's problem, not ours.
  server.on("tlsClientError", () => {});

  const { listen } = options;
  let address: PluginAddress;
  if ("unix" in listen) {
    await listenUnix(server, listen.unix);
    address = { network: "unix", address: listen.unix };
  } else {
    await listenOn(server, () => server.listen(listen.tcp.port, listen.tcp.host));
    const info = server.address() as net.AddressInfo;
    address = { network: "tcp", address: `${listen.tcp.host}:${info.port}` };
  }

  let closing: Promise<void> | undefined;
  return {
    address,
    get sessionCount() {
      return connections.size;
    },
    close(graceMs = 2000) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          for (const c of connections) c.destroy();
        }, graceMs);
        timer.unref();
        // libuv unlinks a unix socket it bound when the listener closes: nothing left to remove.
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        // GOAWAY: peers stop opening streams; in-flight ones may finish.
        for (const c of connections) c.close();
      });
      return closing;
    },
  };
}

function listenOn(server: net.Server, start: () => void): Promise<void> {
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
 * Listens on a unix socket path. A socket file already there (left by a process that died before
 * its listener closed) is replaced; anything else there fails the bind (EADDRINUSE). Tried only
 * after the bind failed: a fresh path costs no lstat, and no exception (~70 µs per broker server).
 */
async function listenUnix(server: net.Server, path: string): Promise<void> {
  try {
    await listenOn(server, () => server.listen(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE" || !(await isStaleSocket(path))) throw err;
    unlinkSync(path);
    await listenOn(server, () => server.listen(path));
  }
}

/** A socket file at `path` that nobody accepts on (connect() is refused at once); a live one is left alone. */
async function isStaleSocket(path: string): Promise<boolean> {
  if (!lstatSync(path, { throwIfNoEntry: false })?.isSocket()) return false;
  return new Promise((resolve) => {
    const probe = net.connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(false);
    });
    probe.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
  });
}

/**
 * A fresh socket path in `dir` (go-plugin names them `plugin<random>`). The name only has to be
 * unused, not secret: the directory is the host's private one (or the temp dir, as go-plugin's), and
 * bind fails on anything already there instead of following it. So the random part comes from
 * `Math.random` — as go-plugin's from Go's fast non-crypto source — not node:crypto, whose load is
 * ~2.5 ms of a plugin's start, nor a reserving mkdtemp (~0.1 ms, per broker server). Unix socket
 * paths are limited to ~104 (macOS) / 108 (Linux) bytes: checked here so the error is clear, not
 * EINVAL.
 */
export function socketPath(dir: string = tmpdir(), prefix = "plugin"): string {
  const random = Math.floor(Math.random() * 2 ** 40)
    .toString(16)
    .padStart(10, "0");
  const path = join(dir, `${prefix}${random}`);
  if (Buffer.byteLength(path) > MAX_UNIX_PATH) {
    throw new RangeError(
      `unix socket path ${path} is ${Buffer.byteLength(path)} bytes, over the ${MAX_UNIX_PATH}-byte limit: use a shorter socket directory`,
    );
  }
  return path;
}

/** Longest unix socket path that works on both Linux (108) and macOS (104), minus the NUL. */
export const MAX_UNIX_PATH = 103;
