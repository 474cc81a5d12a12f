// The sending half of an HTTP/2 connection: frames queued per tick and written together, header blocks
// split into CONTINUATION frames, DATA held back by flow control (RFC 9113 §6.9) and resumed on
// WINDOW_UPDATE.
import type { Duplex } from "node:stream";
import {
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  encodeFrame,
  Flag,
  FrameType,
  writeFrameHeader,
} from "./frame.js";
import { HpackEncoder } from "./hpack.js";
import type { H2Stream } from "./stream.js";

const SMALL_WRITE = 64 * 1024;

/** Frames leaving one connection. */
export class Outbound {
  /** The connection send window (RFC 9113 §6.9.1). */
  sendWindow = DEFAULT_WINDOW;
  /** The peer's SETTINGS_MAX_FRAME_SIZE. */
  peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  /** Streams waiting for window. */
  readonly blocked = new Set<H2Stream>();
  private readonly encoder = new HpackEncoder();
  private out: Uint8Array[] = [];
  private outBytes = 0;
  private flushScheduled = false;

  constructor(
    private readonly socket: Duplex,
    /** END_STREAM was written for a stream. */
    private readonly onLocalEnd: (stream: H2Stream) => void,
  ) {}

  /** Writes a header block (HEADERS, then CONTINUATION past the peer's frame size, RFC 9113 §6.10). */
  headers(stream: H2Stream, fields: readonly string[] | Uint8Array, endStream: boolean): void {
    const block = fields instanceof Uint8Array ? fields : this.encoder.encode(fields);
    const max = this.peerMaxFrameSize;
    const end = endStream ? Flag.END_STREAM : 0;
    if (block.byteLength <= max) {
      this.push(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | end, stream.id, block));
    } else {
      // A block over the peer's frame size continues in CONTINUATION frames (RFC 9113 §6.10).
      for (let offset = 0; offset < block.byteLength; offset += max) {
        const last = offset + max >= block.byteLength;
        const part = block.subarray(offset, offset + max);
        const type = offset === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
        this.push(
          encodeFrame(type, (last ? Flag.END_HEADERS : 0) | (offset === 0 ? end : 0), stream.id, part),
        );
      }
    }
    if (endStream) this.onLocalEnd(stream);
  }

  /** Sends what the stream and connection windows allow from the stream's queue (RFC 9113 §6.9). */
  drain(stream: H2Stream): void {
    const queue = stream.queue;
    if (queue === undefined) return;
    while (queue.length > 0) {
      const item = queue[0] as (typeof queue)[number];
      if (item.fields !== undefined) {
        queue.shift();
        this.headers(stream, item.fields, item.end);
        continue;
      }
      const data = item.data as Uint8Array;
      const remaining = data.byteLength - item.offset;
      const allowed = Math.min(remaining, stream.sendWindow, this.sendWindow, this.peerMaxFrameSize);
      if (remaining > 0 && allowed <= 0) {
        this.blocked.add(stream);
        return;
      }
      const last = allowed === remaining;
      const header = Buffer.allocUnsafe(9);
      writeFrameHeader(header, 0, allowed, FrameType.DATA, last && item.end ? Flag.END_STREAM : 0, stream.id);
      this.push(header);
      if (allowed > 0) this.push(data.subarray(item.offset, item.offset + allowed));
      stream.sendWindow -= allowed;
      this.sendWindow -= allowed;
      item.offset += allowed;
      if (last) {
        queue.shift();
        if (item.end) this.onLocalEnd(stream);
        if (stream.closed) return;
      }
    }
    stream.queue = undefined;
    this.blocked.delete(stream);
    stream.notifyDrained();
  }

  /** Resumes streams held back by flow control after a window grew. */
  drainBlocked(): void {
    for (const stream of [...this.blocked]) {
      if (this.sendWindow <= 0) return;
      this.blocked.delete(stream);
      this.drain(stream);
    }
  }

  /** Queues bytes for the next write. */
  push(buf: Uint8Array): void {
    this.out.push(buf);
    this.outBytes += buf.byteLength;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // One write per tick: calls issued together leave in one syscall.
      process.nextTick(() => this.flush());
    }
  }

  /** Writes everything queued, in one syscall where it is small. */
  flush(): void {
    this.flushScheduled = false;
    const out = this.out;
    if (out.length === 0) return;
    this.out = [];
    const bytes = this.outBytes;
    this.outBytes = 0;
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return;
    if (out.length === 1) socket.write(out[0] as Uint8Array);
    else if (bytes <= SMALL_WRITE) socket.write(Buffer.concat(out, bytes));
    else {
      socket.cork();
      for (const buf of out) socket.write(buf);
      socket.uncork();
    }
  }

  /**
   * Ends the socket after what is queued (a GOAWAY): FIN, and with `destroy` the socket is closed
   * once that is written, or at once if it is already broken. A peer may keep its half open
   * (node:http2 does while it holds streams): every wait is bounded.
   */
  end(destroy = false): void {
    this.flush();
    const socket = this.socket;
    if (destroy && !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(destroy ? () => socket.destroy() : undefined);
    setTimeout(() => socket.destroy(), 1000).unref();
  }
}
