// A peer that speaks HTTP/2 as bytes: it writes whatever frames a test builds (valid or not) and parses
// what comes back with its own few lines of framing code, independent of frame.ts' reader, so protocol
// edge cases can be driven against our connection exactly.
import * as net from "node:net";
import { CLIENT_PREFACE, FrameType } from "../frame.js";
import { within } from "./peers.js";

/** A frame as received by the raw peer. */
export interface RawFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** One frame as bytes. */
export function rawFrame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = Buffer.alloc(0),
) {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.byteLength, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

/** A uint32 payload (WINDOW_UPDATE increment, RST_STREAM code). */
export const u32 = (value: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
};

/** The GOAWAY fields of a payload (RFC 9113 §6.8). */
export const goAwayOf = (f: RawFrame) => ({
  lastStreamId: f.payload.readUInt32BE(0) & 0x7fffffff,
  code: f.payload.readUInt32BE(4),
  debug: f.payload.subarray(8).toString("utf8"),
});

/** A raw HTTP/2 client connection to a unix socket. */
export class RawPeer {
  readonly frames: RawFrame[] = [];
  /** Resolves when the server closed the socket (FIN or reset). */
  readonly closed: Promise<void>;
  private readonly split = frameSplitter((f) => this.frames.push(f));
  private waiters: (() => void)[] = [];
  private readonly socket: net.Socket;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => {}); // a reset after GOAWAY is an expected ending here
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
  }

  /** Connects; with `preface` (default) sends the client preface and an empty SETTINGS. */
  static async connect(path: string, preface = true): Promise<RawPeer> {
    const socket = net.connect(path);
    await within(5000, "the raw connection", new Promise((resolve) => socket.once("connect", resolve)));
    const peer = new RawPeer(socket);
    if (preface) peer.send(CLIENT_PREFACE, rawFrame(FrameType.SETTINGS, 0, 0));
    return peer;
  }

  send(...bufs: Uint8Array[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(bufs));
  }

  /** The first received frame (already or later) matching `predicate`, within `ms`. */
  async next(predicate: (f: RawFrame) => boolean, what: string, ms = 5000): Promise<RawFrame> {
    const find = () => this.frames.find(predicate);
    return within(
      ms,
      what,
      new Promise<RawFrame>((resolve) => {
        const check = () => {
          const f = find();
          if (f) resolve(f);
          else this.waiters.push(check);
        };
        check();
      }),
    );
  }

  /** The GOAWAY the server sent, then waits for it to close the socket. */
  async goAwayAndClose(): Promise<ReturnType<typeof goAwayOf>> {
    const f = await this.next((f) => f.type === FrameType.GOAWAY, "GOAWAY");
    await within(5000, "the server to close the socket", this.closed);
    return goAwayOf(f);
  }

  destroy(): Promise<void> {
    this.socket.destroy();
    return this.closed;
  }

  private onData(chunk: Buffer): void {
    this.split(chunk);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Cuts a byte stream into frames (payloads copied), calling `onFrame` for each complete one. */
export function frameSplitter(onFrame: (f: RawFrame) => void): (chunk: Buffer) => void {
  let buffered: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buffered = buffered.byteLength === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.byteLength >= 9) {
      const length = buffered.readUIntBE(0, 3);
      if (buffered.byteLength < 9 + length) break;
      onFrame({
        type: buffered[3] as number,
        flags: buffered[4] as number,
        streamId: buffered.readUInt32BE(5) & 0x7fffffff,
        payload: Buffer.from(buffered.subarray(9, 9 + length)),
      });
      buffered = buffered.subarray(9 + length);
    }
  };
}

/**
 * Frame headers seen on a socket our connection reads (a second 'data' listener: it sees the same
 * chunks), to check what a peer actually sent, e.g. that node split a header block. A server-side
 * socket starts with the client preface: `skipPreface`.
 */
export function sniffFrames(socket: net.Socket, skipPreface = false): RawFrame[] {
  const seen: RawFrame[] = [];
  const split = frameSplitter((f) => seen.push(f));
  let skip = skipPreface ? CLIENT_PREFACE.byteLength : 0;
  socket.on("data", (chunk: Buffer) => {
    const n = Math.min(skip, chunk.byteLength);
    skip -= n;
    if (n < chunk.byteLength) split(chunk.subarray(n));
  });
  return seen;
}
