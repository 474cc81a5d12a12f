import type { Duplex } from "node:stream";
import type { H2Stream } from "./stream.js";

/** Options for {@link H2Connection}. */
export interface H2ConnectionOptions {
  /** Connected (or connecting: writes are buffered) socket, plain or TLS with ALPN `h2`. */
  socket: Duplex;
  role: "client" | "server";
  /** `:scheme` of requests on this connection: `https` over TLS (RFC 9113 §8.3.1). Default `http`. */
  scheme?: "http" | "https" | undefined;
  /** Server role: a peer opened a stream. Set `stream.handler` before returning. */
  onStream?: ((stream: H2Stream, fields: string[], endStream: boolean) => void) | undefined;
  /** The connection is gone (`cause` set when it failed rather than closed). Called once. */
  onClose?: ((cause?: Error) => void) | undefined;
  /** Per-stream receive window we advertise (SETTINGS_INITIAL_WINDOW_SIZE). Default 4 MiB. */
  streamWindow?: number | undefined;
  /** Connection receive window. Default 16 MiB. */
  connectionWindow?: number | undefined;
  /** Largest decoded header list accepted (RFC 9113 §6.5.2). Default 16 MiB, as grpc-go. */
  maxHeaderListSize?: number | undefined;
}
