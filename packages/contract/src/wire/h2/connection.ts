// An HTTP/2 connection (RFC 9113) specialised for local gRPC: both roles, flow control both ways, HPACK,
// graceful GOAWAY. Why not node:http2: its per-stream Duplex objects, event emitters and JS↔nghttp2 hops
// were most of a local call's CPU, and loading it costs a plugin's cold start; no maintained pure-JS
// HTTP/2 library exists, so this is hand-written and limited to what gRPC needs (no push, no priorities,
// no HTTP/1 upgrade).
import type { H2ConnectionOptions } from "./connection-options.js";
import {
  CLIENT_PREFACE,
  checkPreface,
  controlValue,
  DEFAULT_WINDOW,
  encodeFrame,
  Flag,
  FrameReader,
  FrameType,
  goAway,
  H2Code,
  H2ConnectionError,
  H2ConnectionLost,
  MAX_WINDOW,
  openingFrames,
  parseSettings,
  resetFrame,
  unpad,
  windowUpdate,
} from "./frame.js";
import { HeaderBlocks } from "./header-blocks.js";
import { Outbound } from "./outbound.js";
import { H2Stream, type StreamSink } from "./stream.js";
import { StreamAdmission } from "./stream-admission.js";

export type { H2ConnectionOptions } from "./connection-options.js";

const STREAM_ID_LIMIT = 2 ** 31 - 1;

/** One HTTP/2 connection over a socket. */
export class H2Connection implements StreamSink {
  /** No new streams: GOAWAY sent or received, or stream ids ran out. */
  goingAway = false;
  /** `:scheme` for requests on this connection. */
  readonly scheme: "http" | "https";
  closed = false;
  private readonly role: "client" | "server";
  private readonly streams = new Map<number, H2Stream>();
  private readonly reader: FrameReader;
  private readonly blocks: HeaderBlocks;
  readonly streamWindow: number;
  readonly connectionWindow: number;
  private readonly onStream: H2ConnectionOptions["onStream"];
  private readonly onCloseCb: H2ConnectionOptions["onClose"];
  private nextStreamId = 1;
  private peerSettingsSeen = false;
  private lastPeerStreamId = 0;
  private peerInitialWindow = DEFAULT_WINDOW;
  private recvUnacked = 0;
  private prefaceLeft: number;
  private readonly outbound: Outbound;
  readonly maxHeaderListSize: number;
  private readonly admission = new StreamAdmission((stream, fields, endStream) =>
    this.open(stream, fields, endStream),
  );

  constructor(options: H2ConnectionOptions) {
    const socket = options.socket;
    this.scheme = options.scheme ?? "http";
    this.outbound = new Outbound(socket, (stream) => this.localEnd(stream));
    this.role = options.role;
    this.onStream = options.onStream;
    this.onCloseCb = options.onClose;
    this.streamWindow = options.streamWindow ?? 4 * 1024 * 1024;
    this.connectionWindow = options.connectionWindow ?? 16 * 1024 * 1024;
    this.maxHeaderListSize = options.maxHeaderListSize ?? 16 * 1024 * 1024;
    this.blocks = new HeaderBlocks(this.maxHeaderListSize);
    this.reader = new FrameReader((type, flags, id, payload) => this.onFrame(type, flags, id, payload));
    this.prefaceLeft = this.role === "server" ? CLIENT_PREFACE.byteLength : 0;
    for (const frame of openingFrames(this.role, this)) this.outbound.push(frame);
    socket.on("data", (chunk: Buffer) => this.onBytes(chunk));
    socket.on("error", (err: Error) => this.destroy(err));
    // With nothing in flight the socket closing is just the end (a peer closing an idle connection,
    // or after GOAWAY); an error, with its stack, is made only for streams it cuts off.
    socket.on("close", () =>
      this.destroy(this.streams.size === 0 ? undefined : new Error("the connection closed")),
    );
  }

  /** Number of open streams. */
  get streamCount(): number {
    return this.streams.size;
  }

  /** Client role: opens a stream with its request headers (flat list or pre-encoded HPACK block). */
  request(fields: readonly string[] | Uint8Array, endStream = false): H2Stream {
    if (this.closed || this.goingAway) throw new Error("the HTTP/2 connection is closing: no new streams");
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    if (this.nextStreamId >= STREAM_ID_LIMIT) this.goingAway = true;
    const stream = new H2Stream(id, this, this.peerInitialWindow, this.initialRecvWindow);
    this.streams.set(id, stream);
    if (endStream) stream.ended = true;
    this.admission.request(stream, fields, endStream);
    return stream;
  }

  /** Streams waiting for the peer's SETTINGS_MAX_CONCURRENT_STREAMS to allow them. */
  get parkedCount(): number {
    return this.admission.parked;
  }

  /** Admission lets `stream` open: its HEADERS, then whatever it queued while parked. */
  private open(stream: H2Stream, fields: readonly string[] | Uint8Array, endStream: boolean): void {
    if (this.closed || this.goingAway) {
      this.release(stream, H2Code.REFUSED_STREAM); // the peer never saw it: safe to retry elsewhere
      return;
    }
    this.writeHeaders(stream, fields, endStream);
    if (stream.queue !== undefined) this.drain(stream);
  }

  /**
   * Graceful close: GOAWAY (NO_ERROR), no new streams; the socket ends once open streams finish
   * (RFC 9113 §6.8).
   */
  close(): void {
    if (this.closed) return;
    if (!this.goingAway || this.role === "server") {
      this.goingAway = true;
      this.outbound.push(goAway(this.lastPeerStreamId, H2Code.NO_ERROR));
    }
    if (this.streams.size === 0) this.outbound.end();
  }

  /** Ends every stream (with `cause`) and the socket now. Idempotent. */
  destroy(cause?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.goingAway = true;
    if (this.streams.size > 0) {
      const err = new H2ConnectionLost(
        cause === undefined ? "the connection was closed" : `the connection was lost: ${cause.message}`,
        { cause },
      );
      for (const stream of [...this.streams.values()]) this.release(stream, H2Code.CANCEL, err);
    }
    this.outbound.end(true);
    this.onCloseCb?.(cause);
  }

  // --- StreamSink: what streams write through ---

  writeHeaders(stream: H2Stream, fields: readonly string[] | Uint8Array, endStream: boolean): void {
    this.outbound.headers(stream, fields, endStream);
  }

  drain(stream: H2Stream): void {
    if (!stream.parked) this.outbound.drain(stream);
  }

  writeReset(stream: H2Stream, code: number): void {
    // A parked stream's id was never sent: RST_STREAM on it would be a protocol error (§5.1).
    if (!stream.parked) this.outbound.push(resetFrame(stream.id, code));
  }

  grant(stream: H2Stream, bytes: number): void {
    stream.recvUnacked += bytes;
    if (stream.recvUnacked >= this.streamWindow / 2) {
      this.outbound.push(windowUpdate(stream.id, stream.recvUnacked));
      stream.recvWindow += stream.recvUnacked;
      stream.recvUnacked = 0;
    }
  }

  release(stream: H2Stream, code: number | undefined, cause?: Error): void {
    if (stream.closed) return;
    stream.closed = true;
    stream.queue = undefined;
    stream.notifyDrained();
    this.streams.delete(stream.id);
    this.outbound.blocked.delete(stream);
    if (this.role === "client") this.admission.closed(stream);
    try {
      stream.handler.onClose(code, cause);
    } finally {
      if (this.goingAway && this.streams.size === 0 && !this.closed) this.outbound.end();
    }
  }

  // --- reading ---

  private onBytes(chunk: Buffer): void {
    if (this.closed) return;
    try {
      if (this.prefaceLeft > 0) {
        const rest = checkPreface(chunk, this.prefaceLeft);
        this.prefaceLeft -= chunk.byteLength - rest.byteLength;
        chunk = rest;
      }
      if (chunk.byteLength > 0) this.reader.push(chunk);
    } catch (err) {
      this.fail(err);
    }
  }

  private onFrame(type: number, flags: number, id: number, payload: Buffer): void {
    if (this.blocks.pending && type !== FrameType.CONTINUATION) {
      throw new H2ConnectionError(H2Code.PROTOCOL_ERROR, "expected CONTINUATION");
    }
    // PRIORITY and unknown frame types are ignored (RFC 9113 §5.5).
    if (type === FrameType.DATA) this.onData(flags, id, payload);
    else if (type === FrameType.HEADERS) this.onHeaders(flags, id, unpad(type, flags, payload));
    else if (type === FrameType.CONTINUATION) {
      const done = this.blocks.continue(id, flags, payload);
      if (done) this.onHeaderBlock(id, done.flags, done.block);
    } else if (type === FrameType.RST_STREAM) this.onReset(id, payload);
    else if (type === FrameType.SETTINGS) this.onSettings(flags, id, payload);
    else if (type === FrameType.PING) {
      if (payload.byteLength !== 8)
        throw new H2ConnectionError(H2Code.FRAME_SIZE_ERROR, "PING must carry 8 bytes");
      if (!(flags & Flag.ACK)) this.outbound.push(encodeFrame(FrameType.PING, Flag.ACK, 0, payload));
    } else if (type === FrameType.GOAWAY) this.onGoAway(payload);
    else if (type === FrameType.WINDOW_UPDATE) this.onWindowUpdate(id, payload);
    else if (type === FrameType.PUSH_PROMISE)
      throw new H2ConnectionError(H2Code.PROTOCOL_ERROR, "PUSH_PROMISE received with push disabled");
  }

  private onHeaders(flags: number, id: number, fragment: Buffer): void {
    if (id === 0) throw new H2ConnectionError(H2Code.PROTOCOL_ERROR, "HEADERS on stream 0");
    if (flags & Flag.END_HEADERS) this.onHeaderBlock(id, flags, fragment);
    else this.blocks.start(id, flags, fragment);
  }

  private onData(flags: number, id: number, payload: Buffer): void {
    if (id === 0) throw new H2ConnectionError(H2Code.PROTOCOL_ERROR, "DATA on stream 0");
    // Flow control counts the whole payload, padding included (RFC 9113 §6.9.1).
    this.recvUnacked += payload.byteLength;
    if (this.recvUnacked > this.connectionWindow) {
      throw new H2ConnectionError(H2Code.FLOW_CONTROL_ERROR, "peer overran the connection window");
    }
    if (this.recvUnacked >= this.connectionWindow / 2) {
      this.outbound.push(windowUpdate(0, this.recvUnacked));
      this.recvUnacked = 0;
    }
    const stream = this.streams.get(id);
    if (stream === undefined) {
      if (this.isIdle(id)) throw new H2ConnectionError(H2Code.PROTOCOL_ERROR, `DATA on idle stream ${id}`);
      return; // A stream we already reset: its frames may still be in flight.
    }
    if (stream.remoteEnded) {
      this.streamError(stream, H2Code.STREAM_CLOSED);
      return;
    }
    const end = (flags & Flag.END_STREAM) !== 0;
    const data = unpad(FrameType.DATA, flags, payload);
    // Past the window we granted: a stream error (RFC 9113 §6.9.1).
    stream.recvWindow -= payload.byteLength;
    if (stream.recvWindow < 0) {
      this.streamError(stream, H2Code.FLOW_CONTROL_ERROR);
      return;
    }
    if (end) stream.remoteEnded = true;
    // Padding is never read: returned at once, like everything when the reader does not hold the window.
    else this.grant(stream, stream.holdWindow ? payload.byteLength - data.byteLength : payload.byteLength);
    stream.handler.onData(data, end);
    if (end && stream.localEnded) this.release(stream, undefined);
  }

  private onHeaderBlock(id: number, flags: number, block: Buffer): void {
    // Every block is decoded, even for streams we dropped: the HPACK table is per connection.
    const fields = this.blocks.decode(block);
    const end = (flags & Flag.END_STREAM) !== 0;
    let stream = this.streams.get(id);
    if (stream === undefined) {
      if (this.role === "client") {
        if (this.isIdle(id))
          throw new H2ConnectionError(H2Code.PROTOCOL_ERROR, `HEADERS on idle stream ${id}`);
        return;
      }
      if (id % 2 === 0) throw new H2ConnectionError(H2Code.PROTOCOL_ERROR, `client stream id ${id} is even`);
      if (id <= this.lastPeerStreamId) {
        this.resetUnknown(id, H2Code.STREAM_CLOSED);
        return;
      }
      this.lastPeerStreamId = id;
      if (this.goingAway) {
        this.resetUnknown(id, H2Code.REFUSED_STREAM);
        return;
      }
      stream = new H2Stream(id, this, this.peerInitialWindow, this.initialRecvWindow);
      this.streams.set(id, stream);
      stream.headersReceived = true;
      stream.remoteEnded = end;
      this.onStream?.(stream, fields, end);
      return;
    }
    if (stream.remoteEnded) {
      this.streamError(stream, H2Code.STREAM_CLOSED);
      return;
    }
    stream.headersReceived = true;
    if (end) stream.remoteEnded = true;
    stream.handler.onHeaders(fields, end);
    if (end && stream.localEnded) this.release(stream, undefined);
  }

  private onReset(id: number, payload: Buffer): void {
    const code = controlValue("RST_STREAM", payload, 4);
    if (id === 0) throw new H2ConnectionError(H2Code.PROTOCOL_ERROR, "RST_STREAM on stream 0");
    const stream = this.streams.get(id);
    if (stream === undefined) return;
    // NO_ERROR after a complete response: "stop sending, we are done" (RFC 9113 §8.1).
    this.release(stream, code === H2Code.NO_ERROR && stream.remoteEnded ? undefined : code);
  }

  private onSettings(flags: number, id: number, payload: Buffer): void {
    if (id !== 0) throw new H2ConnectionError(H2Code.PROTOCOL_ERROR, "SETTINGS on a stream");
    if (flags & Flag.ACK) return;
    const { initialWindow, maxFrameSize, maxConcurrentStreams } = parseSettings(payload);
    if (initialWindow !== undefined) {
      const delta = initialWindow - this.peerInitialWindow;
      this.peerInitialWindow = initialWindow;
      for (const stream of this.streams.values()) stream.sendWindow += delta;
    }
    if (maxFrameSize !== undefined) this.outbound.peerMaxFrameSize = maxFrameSize;
    this.outbound.push(encodeFrame(FrameType.SETTINGS, Flag.ACK, 0));
    this.outbound.drainBlocked();
    // The first SETTINGS replaces the assumed limit (absent: unlimited); later ones change it if named.
    if (this.role === "client" && (maxConcurrentStreams !== undefined || !this.peerSettingsSeen))
      this.admission.setLimit(maxConcurrentStreams ?? Number.POSITIVE_INFINITY);
    this.peerSettingsSeen = true;
  }

  private onGoAway(payload: Buffer): void {
    const last = controlValue("GOAWAY", payload, 8, 0x7fffffff);
    this.goingAway = true;
    // Streams the peer never saw may be retried on a new connection (RFC 9113 §6.8).
    for (const stream of [...this.streams.values()]) {
      if (stream.id > last && stream.id % 2 === (this.role === "client" ? 1 : 0)) {
        this.release(stream, H2Code.REFUSED_STREAM);
      }
    }
    if (this.streams.size === 0) this.outbound.end();
  }

  private onWindowUpdate(id: number, payload: Buffer): void {
    const increment = controlValue("WINDOW_UPDATE", payload, 4, 0x7fffffff);
    if (id === 0) {
      if (increment === 0) throw new H2ConnectionError(H2Code.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
      this.outbound.sendWindow += increment;
      if (this.outbound.sendWindow > MAX_WINDOW)
        throw new H2ConnectionError(H2Code.FLOW_CONTROL_ERROR, "connection window overflow");
      this.outbound.drainBlocked();
      return;
    }
    const stream = this.streams.get(id);
    if (stream === undefined) return;
    if (increment === 0) {
      this.streamError(stream, H2Code.PROTOCOL_ERROR);
      return;
    }
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) {
      this.streamError(stream, H2Code.FLOW_CONTROL_ERROR);
      return;
    }
    this.drain(stream);
  }

  // --- helpers ---

  /** END_STREAM written; a server that answered before the request ended tells the client to stop (§8.1). */
  private localEnd(stream: H2Stream): void {
    stream.localEnded = true;
    stream.ended = true;
    if (stream.remoteEnded) this.release(stream, undefined);
    else if (this.role === "server") {
      this.writeReset(stream, H2Code.NO_ERROR);
      this.release(stream, undefined);
    }
  }

  /** A new stream's receive window: ours, or the default a peer may use before it saw our SETTINGS. */
  private get initialRecvWindow(): number {
    return Math.max(this.streamWindow, DEFAULT_WINDOW);
  }

  private isIdle(id: number): boolean {
    const ours = id % 2 === (this.role === "client" ? 1 : 0);
    return ours ? id >= this.nextStreamId : id > this.lastPeerStreamId;
  }

  private streamError(stream: H2Stream, code: number): void {
    this.writeReset(stream, code);
    this.release(stream, code);
  }

  private resetUnknown(id: number, code: number): void {
    this.outbound.push(resetFrame(id, code));
  }

  private fail(err: unknown): void {
    const code = err instanceof H2ConnectionError ? err.code : H2Code.INTERNAL_ERROR;
    const message = err instanceof Error ? err.message : String(err);
    this.outbound.push(goAway(this.lastPeerStreamId, code, message));
    this.destroy(new Error(`HTTP/2 protocol error: ${message}`, { cause: err }));
  }
}
