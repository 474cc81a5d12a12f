import type * as http2 from "node:http2";
import * as net from "node:net";
import * as tls from "node:tls";
import type { Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { PluginAddress } from "../handshake/handshake-line.js";
import { MAX_MESSAGE_BYTES, type MutualTls, tlsOptions } from "./mutual-tls.js";
import { createUnaryCall } from "./unary-call.js";

/** A Connect transport bound to one plugin (or broker) address, plus the means to release it. */
export interface PluginTransport {
  readonly transport: Transport;
  /** Closes the HTTP/2 session and every stream on it. Idempotent. */
  close(): void;
}

/** Options for {@link createPluginTransport}. */
export interface PluginTransportOptions {
  address: PluginAddress;
  /** AutoMTLS material; plain HTTP/2 (h2c prior knowledge) when absent. */
  tls?: MutualTls | undefined;
  /** Largest message accepted from the peer (default 2^31-1, go-plugin's host limit). */
  readMaxBytes?: number | undefined;
  /** Largest message sent; bigger ones fail locally with RESOURCE_EXHAUSTED (default 2^31-1). */
  writeMaxBytes?: number | undefined;
}

/**
 * gRPC over HTTP/2 to a go-plugin listener (go-plugin-wire.md §4): unix socket or TCP, plain or
 * mutual TLS with server name `localhost`. connect-node's default session manager dials a URL; we
 * hand it our own socket through `createConnection` and abort it on close, otherwise an idle
 * session keeps the process alive for its full idle timeout.
 */
export function createPluginTransport(options: PluginTransportOptions): PluginTransport {
  const { address } = options;
  const readMaxBytes = options.readMaxBytes ?? MAX_MESSAGE_BYTES;
  const writeMaxBytes = options.writeMaxBytes ?? MAX_MESSAGE_BYTES;
  const secure = options.tls !== undefined;
  const baseUrl = secure ? "https://localhost" : "http://localhost";
  const createConnection = (): net.Socket => {
    const target = address.network === "unix" ? { path: address.address } : parseHostPort(address.address);
    if (options.tls) {
      return tls.connect({ ...target, ...tlsOptions(options.tls), servername: "localhost" });
    }
    const socket = net.connect(target);
    socket.setNoDelay(true);
    return socket;
  };
  const sessionOptions: http2.SecureClientSessionOptions = {
    createConnection,
    settings: { enablePush: false, initialWindowSize: 4 * 1024 * 1024 },
  };
  // Long idle timeout: a plugin connection lives as long as the plugin; liveness is the host's job.
  const sessionManager = new Http2SessionManager(
    baseUrl,
    { idleConnectionTimeoutMs: 2 ** 31 - 1 },
    sessionOptions,
  );
  const grpc = createGrpcTransport({
    baseUrl,
    sessionManager,
    readMaxBytes,
    writeMaxBytes,
  });
  // Unary calls open their stream straight on the session the manager connected (the manager's
  // async `request` costs promise hops and a copy of the headers per call); until it is up, or
  // once it closes (GOAWAY, error), they go through the manager, which reconnects.
  let session: http2.ClientHttp2Session | undefined;
  const open = (headers: http2.OutgoingHttpHeaders) => {
    if (session !== undefined && !session.closed && !session.destroyed) {
      try {
        return session.request(headers);
      } catch {
        // Closing under us (GOAWAY in flight): the manager reconnects.
      }
    }
    return sessionManager.request("POST", headers[":path"] as string, headers, {}).then((stream) => {
      session = stream.session as http2.ClientHttp2Session;
      return stream;
    });
  };
  // Unary calls (nearly all plugin traffic) take a lean path on the same session; streams
  // (broker, stdio, user streams) keep connect-node's implementation.
  const transport: Transport = {
    unary: createUnaryCall(open, readMaxBytes, writeMaxBytes),
    stream: (...args) => grpc.stream(...args),
  };
  let closed = false;
  return {
    transport,
    close() {
      if (closed) return;
      closed = true;
      sessionManager.abort();
    },
  };
}

/** Splits `host:port` (IPv6 in brackets allowed). */
export function parseHostPort(hostPort: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(hostPort);
  if (!m) throw new TypeError(`invalid tcp address ${JSON.stringify(hostPort)}: expected host:port`);
  return { host: m[1] as string, port: Number(m[2]) };
}
