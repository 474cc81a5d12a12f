// HTTP/2 framing (RFC 9113 §4–§6): the 9-byte frame header, the frame types and flags gRPC uses, and a
// reader that cuts a byte stream into frames without copying payloads.

/** Frame types (RFC 9113 §6). */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags (RFC 9113 §6): END_STREAM and ACK share a bit, on different frame types. */
export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** Error codes of RST_STREAM and GOAWAY (RFC 9113 §7). */
export const H2Code = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

/** SETTINGS identifiers (RFC 9113 §6.5.2). */
export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/** The client connection preface (RFC 9113 §3.4), sent before the client's SETTINGS. */
export const CLIENT_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** Default and smallest SETTINGS_MAX_FRAME_SIZE (RFC 9113 §6.5.2). */
export const DEFAULT_MAX_FRAME_SIZE = 16_384;
/** Default SETTINGS_INITIAL_WINDOW_SIZE and the initial connection window (RFC 9113 §6.9.2). */
export const DEFAULT_WINDOW = 65_535;
/** Largest flow-control window (RFC 9113 §6.9.1). */
export const MAX_WINDOW = 2 ** 31 - 1;

/** A connection error: the connection ends with GOAWAY carrying `code` (RFC 9113 §5.4.1). */
export class H2ConnectionError extends Error {
  override readonly name = "H2ConnectionError";
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** One frame: header fields plus a 9-byte header written in front of `payload`. */
export function encodeFrame(type: number, flags: number, streamId: number, payload?: Uint8Array): Buffer {
  const length = payload?.byteLength ?? 0;
  const out = Buffer.allocUnsafe(9 + length);
  writeFrameHeader(out, 0, length, type, flags, streamId);
  if (payload !== undefined && length > 0) out.set(payload, 9);
  return out;
}

/** Writes a 9-byte frame header at `offset`. */
export function writeFrameHeader(
  out: Buffer,
  offset: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  out[offset] = length >>> 16;
  out[offset + 1] = (length >>> 8) & 0xff;
  out[offset + 2] = length & 0xff;
  out[offset + 3] = type;
  out[offset + 4] = flags;
  out.writeUInt32BE(streamId & 0x7fffffff, offset + 5);
}

/** A frame as read: payload is a view into the received bytes (valid as long as the caller keeps it). */
export type FrameHandler = (type: number, flags: number, streamId: number, payload: Buffer) => void;

/**
 * Cuts received bytes into frames. Payloads are views into the socket's chunks (Node hands every read
 * a fresh buffer), so whole frames in one chunk cost no copy; a frame split across chunks is joined once.
 */
export class FrameReader {
  private pending: Buffer | undefined;

  constructor(
    private readonly onFrame: FrameHandler,
    /** Our SETTINGS_MAX_FRAME_SIZE: a longer frame is a FRAME_SIZE_ERROR (RFC 9113 §4.2). */
    private readonly maxFrameSize: number = DEFAULT_MAX_FRAME_SIZE,
  ) {}

  /** Feeds bytes; calls the handler for each complete frame. Throws H2ConnectionError. */
  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending !== undefined) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let offset = 0;
    const end = buf.byteLength;
    while (end - offset >= 9) {
      const length =
        ((buf[offset] as number) << 16) | ((buf[offset + 1] as number) << 8) | (buf[offset + 2] as number);
      if (length > this.maxFrameSize) {
        throw new H2ConnectionError(
          H2Code.FRAME_SIZE_ERROR,
          `frame of ${length} bytes exceeds SETTINGS_MAX_FRAME_SIZE ${this.maxFrameSize}`,
        );
      }
      if (end - offset < 9 + length) break;
      const type = buf[offset + 3] as number;
      const flags = buf[offset + 4] as number;
      const streamId = buf.readUInt32BE(offset + 5) & 0x7fffffff;
      const payload = buf.subarray(offset + 9, offset + 9 + length);
      offset += 9 + length;
      this.onFrame(type, flags, streamId, payload);
    }
    if (offset < end) this.pending = offset === 0 ? buf : buf.subarray(offset);
  }
}

/** Strips padding (and priority fields of HEADERS) from a payload (RFC 9113 §6.1, §6.2). */
export function unpad(type: number, flags: number, payload: Buffer): Buffer {
  let start = 0;
  let end = payload.byteLength;
  if (flags & Flag.PADDED) {
    if (end < 1) throw new H2ConnectionError(H2Code.PROTOCOL_ERROR, "padded frame without pad length");
    const pad = payload[0] as number;
    start = 1;
    end -= pad;
  }
  if (type === FrameType.HEADERS && flags & Flag.PRIORITY) start += 5;
  if (end < start) throw new H2ConnectionError(H2Code.PROTOCOL_ERROR, "padding exceeds the frame payload");
  return start === 0 && end === payload.byteLength ? payload : payload.subarray(start, end);
}

/** The stream (or call) ended because its connection did: closed, failed, or a protocol error. */
export class H2ConnectionLost extends Error {
  override readonly name = "H2ConnectionLost";
}

/** A SETTINGS frame (RFC 9113 §6.5). */
export function settingsFrame(entries: [number, number][]): Buffer {
  const payload = Buffer.allocUnsafe(entries.length * 6);
  entries.forEach(([key, value], i) => {
    payload.writeUInt16BE(key, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return encodeFrame(FrameType.SETTINGS, 0, 0, payload);
}

/** A WINDOW_UPDATE frame (RFC 9113 §6.9). */
export function windowUpdate(id: number, increment: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(increment, 0);
  return encodeFrame(FrameType.WINDOW_UPDATE, 0, id, payload);
}

/** A GOAWAY frame (RFC 9113 §6.8); `debug` is opaque diagnostic text. */
export function goAway(lastStreamId: number, code: number, debug = ""): Buffer {
  const payload = Buffer.allocUnsafe(8 + Buffer.byteLength(debug));
  payload.writeUInt32BE(lastStreamId, 0);
  payload.writeUInt32BE(code, 4);
  payload.write(debug, 8, "utf8");
  return encodeFrame(FrameType.GOAWAY, 0, 0, payload);
}

/** An RST_STREAM frame (RFC 9113 §6.4). */
export function resetFrame(id: number, code: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(code, 0);
  return encodeFrame(FrameType.RST_STREAM, 0, id, payload);
}

/**
 * What a connection sends first (RFC 9113 §3.4): the client preface (client role), our SETTINGS, and a
 * WINDOW_UPDATE growing the connection window past the default 64 KiB.
 */
export function openingFrames(
  role: "client" | "server",
  o: { streamWindow: number; connectionWindow: number; maxHeaderListSize: number },
): Uint8Array[] {
  const frames: Uint8Array[] = role === "client" ? [CLIENT_PREFACE] : [];
  frames.push(
    settingsFrame([
      [Setting.ENABLE_PUSH, 0],
      [Setting.INITIAL_WINDOW_SIZE, o.streamWindow],
      [Setting.MAX_HEADER_LIST_SIZE, o.maxHeaderListSize],
    ]),
  );
  if (o.connectionWindow > DEFAULT_WINDOW) frames.push(windowUpdate(0, o.connectionWindow - DEFAULT_WINDOW));
  return frames;
}

/** The 31-bit value at the start of a fixed-size control frame payload, its size checked (§6.4, §6.8, §6.9). */
export function controlValue(name: string, payload: Buffer, size: number, mask = 0xffffffff): number {
  if (name === "GOAWAY" ? payload.byteLength < size : payload.byteLength !== size) {
    throw new H2ConnectionError(H2Code.FRAME_SIZE_ERROR, `${name} must carry ${size} bytes`);
  }
  return (payload.readUInt32BE(0) & mask) >>> 0;
}

/** The peer's SETTINGS that change how we send (RFC 9113 §6.5.2). */
export interface PeerSettings {
  initialWindow?: number;
  maxFrameSize?: number;
  maxConcurrentStreams?: number;
}

/**
 * The SETTINGS a connection acts on (RFC 9113 §6.5.2), validated. HEADER_TABLE_SIZE needs nothing (our
 * encoder never uses the dynamic table).
 */
export function parseSettings(payload: Buffer): PeerSettings {
  if (payload.byteLength % 6 !== 0) {
    throw new H2ConnectionError(H2Code.FRAME_SIZE_ERROR, "SETTINGS length not a multiple of 6");
  }
  const out: PeerSettings = {};
  for (let offset = 0; offset < payload.byteLength; offset += 6) {
    const key = payload.readUInt16BE(offset);
    const value = payload.readUInt32BE(offset + 2);
    if (key === Setting.INITIAL_WINDOW_SIZE) {
      if (value > MAX_WINDOW) {
        throw new H2ConnectionError(H2Code.FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE too large");
      }
      out.initialWindow = value;
    } else if (key === Setting.MAX_FRAME_SIZE) {
      if (value < DEFAULT_MAX_FRAME_SIZE || value > 16_777_215) {
        throw new H2ConnectionError(H2Code.PROTOCOL_ERROR, `invalid SETTINGS_MAX_FRAME_SIZE ${value}`);
      }
      out.maxFrameSize = value;
    } else if (key === Setting.MAX_CONCURRENT_STREAMS) {
      out.maxConcurrentStreams = value;
    }
  }
  return out;
}

/**
 * Server role: the client preface must come first (RFC 9113 §3.4). Checks the next bytes of it
 * (`left` still expected) and returns what follows them.
 */
export function checkPreface(chunk: Buffer, left: number): Buffer {
  const offset = CLIENT_PREFACE.byteLength - left;
  const n = Math.min(left, chunk.byteLength);
  if (!chunk.subarray(0, n).equals(CLIENT_PREFACE.subarray(offset, offset + n))) {
    throw new H2ConnectionError(
      H2Code.PROTOCOL_ERROR,
      "invalid HTTP/2 client preface (not an h2 prior-knowledge client?)",
    );
  }
  return chunk.subarray(n);
}
