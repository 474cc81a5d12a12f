import * as net from "node:net";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import type { PluginAddress } from "../handshake/handshake-line.js";
import { H2Connection } from "./h2/connection.js";
import { MAX_MESSAGE_BYTES, type MutualTls, nodeTls, tlsOptions } from "./mutual-tls.js";
import { createStreamCall } from "./stream-call.js";
import { createUnaryCall } from "./unary-call.js";

/** A Connect transport bound to one plugin (or broker) address, plus the means to release it. */
export interface PluginTransport {
  readonly transport: Transport;
  /**
   * Dials now rather than at the first call and resolves once the connection is open (TLS: the
   * handshake done) and the HTTP/2 preface written — as a Go host's blocking dial. Rejects with
   * UNAVAILABLE when the dial fails. Resolves at once when already open.
   */
  connect(): Promise<void>;
  /** Closes the HTTP/2 connection and fails every call on it (UNAVAILABLE). Idempotent. */
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
  /**
   * A connection from {@link prepareConnection} to use for the first dial (plaintext only: with
   * `tls` it is discarded). Later dials make their own.
   */
  prepared?: PreparedConnection | undefined;
}

/**
 * A plaintext HTTP/2 client connection built before its address is known: the socket object, the
 * connection state and its opening frames (held back, corked), made while a plugin boots so the host
 * only has to dial once the handshake names the address. Give it to {@link createPluginTransport}
 * or `discard()` it.
 */
export interface PreparedConnection {
  /** Drops it unused. No-op once a transport has taken it. */
  discard(): void;
}

interface PreparedParts {
  socket: net.Socket;
  h2: H2Connection;
}
const preparedParts = new WeakMap<PreparedConnection, PreparedParts>();

/** The parts of `prepared`, once: whoever takes them owns them. */
function takeParts(prepared: PreparedConnection): PreparedParts | undefined {
  const parts = preparedParts.get(prepared);
  preparedParts.delete(prepared);
  return parts;
}

function dropParts(parts: PreparedParts): void {
  parts.h2.destroy();
  parts.socket.destroy();
}

/** Builds a {@link PreparedConnection}. */
export function prepareConnection(): PreparedConnection {
  const socket = new net.Socket();
  // Writes queue until the dial: uncorked after connect(), when the socket sends them once open.
  socket.cork();
  const h2 = new H2Connection({ socket, role: "client", scheme: "http" });
  const prepared: PreparedConnection = {
    discard() {
      const parts = takeParts(prepared);
      if (parts) dropParts(parts);
    },
  };
  preparedParts.set(prepared, { socket, h2 });
  return prepared;
}

/**
 * gRPC over HTTP/2 to a go-plugin listener (go-plugin-wire.md §4): unix socket or TCP, plain (h2c prior
 * knowledge) or mutual TLS with server name `localhost` and ALPN `h2`. One connection, dialled on
 * first use and again after it closed or the peer sent GOAWAY (as a gRPC channel reconnects). Unary
 * calls take `unary-call.ts`, streaming calls `stream-call.ts`: Connect's client API and error
 * behaviour, without its generic pipeline.
 */
export function createPluginTransport(options: PluginTransportOptions): PluginTransport {
  const { address } = options;
  const readMaxBytes = options.readMaxBytes ?? MAX_MESSAGE_BYTES;
  const writeMaxBytes = options.writeMaxBytes ?? MAX_MESSAGE_BYTES;
  const target = () =>
    address.network === "unix" ? { path: address.address } : parseHostPort(address.address);
  // Settles when the current connection's socket is open (or failed to open).
  let opened: Promise<void> = Promise.resolve();
  const watchOpen = (socket: net.Socket) => {
    opened = new Promise((resolve, reject) => {
      const event = options.tls ? "secureConnect" : "connect";
      const onOpen = () => {
        socket.off("close", onClose);
        resolve();
      };
      // The error itself goes to the connection (and to every call on it); here only the fact.
      const onClose = () => {
        socket.off(event, onOpen);
        reject(new ConnectError(`could not connect to ${address.address}`, Code.Unavailable));
      };
      socket.once(event, onOpen);
      socket.once("close", onClose);
    });
    opened.catch(() => {});
  };
  let prepared = options.prepared && takeParts(options.prepared);
  if (prepared && options.tls) {
    dropParts(prepared);
    prepared = undefined;
  }
  /** Dials `to`: on the prepared connection the first time, on a new one after. */
  const dial = (to: ReturnType<typeof target>): H2Connection => {
    const parts = prepared;
    prepared = undefined;
    if (parts) {
      parts.socket.connect(to);
      parts.socket.uncork(); // its opening frames leave once the socket is open
    }
    const socket =
      parts?.socket ??
      (options.tls
        ? nodeTls().connect({ ...to, ...tlsOptions(options.tls), servername: "localhost" })
        : net.connect(to));
    socket.setNoDelay(true);
    watchOpen(socket);
    if (parts) return parts.h2;
    return new H2Connection({ socket, role: "client", scheme: options.tls ? "https" : "http" });
  };
  let current: H2Connection | undefined;
  let closed = false;
  const connection = (): H2Connection => {
    if (closed) throw new ConnectError("the plugin connection is closed", Code.Unavailable);
    if (current === undefined || current.closed || current.goingAway) current = dial(target());
    return current;
  };
  const transport: Transport = {
    unary: createUnaryCall(connection, readMaxBytes, writeMaxBytes),
    stream: createStreamCall(connection, readMaxBytes, writeMaxBytes),
  };
  return {
    transport,
    connect() {
      try {
        connection();
      } catch (err) {
        return Promise.reject(err);
      }
      return opened;
    },
    close() {
      if (closed) return;
      closed = true;
      current?.destroy();
      if (prepared) dropParts(prepared);
      prepared = undefined;
    },
  };
}

/** Splits `host:port` (IPv6 in brackets allowed). */
export function parseHostPort(hostPort: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(hostPort);
  if (!m) throw new TypeError(`invalid tcp address ${JSON.stringify(hostPort)}: expected host:port`);
  return { host: m[1] as string, port: Number(m[2]) };
}
