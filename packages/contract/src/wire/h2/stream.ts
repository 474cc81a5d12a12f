// One HTTP/2 stream (RFC 9113 §5.1) as gRPC uses it: headers, DATA, trailers, RST_STREAM. Plain callbacks
// instead of Node streams: a local gRPC call is a handful of frames, and node:http2's Duplex objects, their
// event emitters and write requests were most of a call's cost.

import { H2Code } from "./frame.js";

/** What a stream tells its owner. Every callback runs synchronously from the connection's read loop. */
export interface H2StreamHandler {
  /** A header block: response headers, request headers (server side) or trailers (`endStream` true). */
  onHeaders(fields: string[], endStream: boolean): void;
  /** A DATA payload (a view; may be empty when it only carries END_STREAM). */
  onData(chunk: Buffer, endStream: boolean): void;
  /**
   * The stream is over: `code` undefined when both sides ended cleanly, else the RST_STREAM code (sent
   * or received) or, with `cause`, the connection failure that ended it. Called exactly once.
   */
  onClose(code: number | undefined, cause?: Error): void;
}

/** The connection side a stream writes through (implemented by H2Connection). */
export interface StreamSink {
  /** Sends what windows allow from the stream's queue; returns when blocked or drained. */
  drain(stream: H2Stream): void;
  writeHeaders(stream: H2Stream, fields: readonly string[] | Uint8Array, endStream: boolean): void;
  writeReset(stream: H2Stream, code: number): void;
  /** Removes a closed stream; reports it to its handler. */
  release(stream: H2Stream, code: number | undefined, cause?: Error): void;
  /** Returns `bytes` of received DATA to the peer's window for this stream (WINDOW_UPDATE in batches). */
  grant(stream: H2Stream, bytes: number): void;
}

/** A queued send: DATA bytes (from `offset`) or a header block, each with its END_STREAM flag. */
export interface QueuedSend {
  data?: Uint8Array;
  offset: number;
  fields?: readonly string[] | Uint8Array;
  end: boolean;
}

const IGNORE: H2StreamHandler = { onHeaders() {}, onData() {}, onClose() {} };

/** An HTTP/2 stream of an {@link H2Connection}. */
export class H2Stream {
  /** Receives the peer's frames; set it before the current callback returns. */
  handler: H2StreamHandler = IGNORE;
  /** Our send window for this stream (the peer's SETTINGS_INITIAL_WINDOW_SIZE + its WINDOW_UPDATEs). */
  sendWindow: number;
  /** Bytes read (or received) since our last WINDOW_UPDATE for this stream. */
  recvUnacked = 0;
  /**
   * Receive flow control follows {@link consumed} instead of arrival: the peer's window only reopens
   * as the reader takes data, so a slow reader holds the sender back (RFC 9113 §6.9).
   */
  holdWindow = false;
  /** No more sends accepted (END_STREAM sent or queued). */
  ended = false;
  /** END_STREAM written to the connection. */
  localEnded = false;
  remoteEnded = false;
  closed = false;
  /** Sends waiting for flow-control window, in order (trailers wait behind data). */
  queue: QueuedSend[] | undefined;
  /** Set once a header block was received (the next one is trailers). */
  headersReceived = false;
  /** Waiting for a slot under the peer's SETTINGS_MAX_CONCURRENT_STREAMS: nothing sent yet. */
  parked = false;

  constructor(
    readonly id: number,
    private readonly sink: StreamSink,
    sendWindow: number,
    /** What the peer may still send on this stream: our window minus what arrived, plus our updates. */
    public recvWindow: number,
  ) {
    this.sendWindow = sendWindow;
  }

  /** With {@link holdWindow}: the reader took `bytes` of DATA; the peer may send that much more. */
  consumed(bytes: number): void {
    if (!this.closed && !this.remoteEnded && bytes > 0) this.sink.grant(this, bytes);
  }

  /** Sends a header block (a flat `[name, value, …]` list or a pre-encoded HPACK block). */
  sendHeaders(fields: readonly string[] | Uint8Array, endStream = false): void {
    if (this.closed || this.ended) return;
    if (endStream) this.ended = true;
    if (this.queue !== undefined) {
      this.queue.push({ fields, offset: 0, end: endStream });
      return;
    }
    this.sink.writeHeaders(this, fields, endStream);
  }

  /** Sends DATA, split to the peer's frame size and held back while flow control says so. */
  sendData(data: Uint8Array, endStream = false): void {
    if (this.closed || this.ended) return;
    if (endStream) this.ended = true;
    if (this.queue === undefined) this.queue = [];
    this.queue.push({ data, offset: 0, end: endStream });
    this.sink.drain(this);
  }

  /** Ends our side (an empty DATA frame with END_STREAM). */
  end(): void {
    this.sendData(EMPTY, true);
  }

  /** Aborts the stream with RST_STREAM (default CANCEL, gRPC's cancellation, PROTOCOL-HTTP2.md). */
  reset(code: number = H2Code.CANCEL): void {
    if (this.closed) return;
    this.queue = undefined;
    this.sink.writeReset(this, code);
    this.sink.release(this, code);
  }

  /** Whether our side has nothing left queued. */
  get idle(): boolean {
    return this.queue === undefined;
  }

  private waiters: (() => void)[] | undefined;

  /** Resolves once queued sends have left (or the stream closed): backpressure for producers. */
  drained(): Promise<void> {
    if (this.queue === undefined || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      if (this.waiters === undefined) this.waiters = [];
      this.waiters.push(resolve);
    });
  }

  /** Called by the connection when the queue emptied or the stream closed. */
  notifyDrained(): void {
    const waiters = this.waiters;
    this.waiters = undefined;
    if (waiters) for (const wake of waiters) wake();
  }
}

const EMPTY = new Uint8Array(0);

/**
 * `body` (a stream's received DATA, in order) with the stream's receive window returned as its reader
 * takes each chunk rather than as it arrives: Connect's readers pull, so flow control reaches the
 * peer and nothing buffers without bound (RFC 9113 §6.9). Call before the stream's first DATA.
 */
export function grantAsRead(stream: H2Stream, body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  stream.holdWindow = true;
  return (async function* () {
    for await (const chunk of body) {
      stream.consumed(chunk.byteLength);
      yield chunk;
    }
  })();
}

/**
 * Sends a body as it is produced, waiting while flow control holds data back, then END_STREAM when
 * `end` (else the caller sends trailers). Rejects with the source's error; stops if the stream closed.
 */
export async function sendBody(
  stream: H2Stream,
  source: AsyncIterable<Uint8Array>,
  end: boolean,
): Promise<void> {
  for await (const chunk of source) {
    if (stream.closed) return;
    stream.sendData(chunk);
    if (!stream.idle) await stream.drained();
  }
  if (end) stream.end();
}
