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
  // Settles when the current connection's socket is open (or failed to open).
  let opened: Promise<void> = Promise.resolve();
  const dial = (): net.Socket => {
    const target = address.network === "unix" ? { path: address.address } : parseHostPort(address.address);
    const socket = options.tls
      ? nodeTls().connect({ ...target, ...tlsOptions(options.tls), servername: "localhost" })
      : net.connect(target);
    socket.setNoDelay(true);
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
    return socket;
  };
  let current: H2Connection | undefined;
  let closed = false;
  const connection = (): H2Connection => {
    if (closed) throw new ConnectError("the plugin connection is closed", Code.Unavailable);
    if (current === undefined || current.closed || current.goingAway) {
      current = new H2Connection({ socket: dial(), role: "client", scheme: options.tls ? "https" : "http" });
    }
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
    },
  };
}

/** Splits `host:port` (IPv6 in brackets allowed). */
export function parseHostPort(hostPort: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(hostPort);
  if (!m) throw new TypeError(`invalid tcp address ${JSON.stringify(hostPort)}: expected host:port`);
  return { host: m[1] as string, port: Number(m[2]) };
}
