import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * One gRPC length-prefixed message (flag byte 0 = uncompressed, 4-byte big-endian length, bytes),
 * refused with RESOURCE_EXHAUSTED, Connect's message, when it exceeds `writeMaxBytes`. The writing
 * counterpart of {@link EnvelopeReader}, shared by the client and server unary paths.
 */
export function frameMessage(bytes: Uint8Array, writeMaxBytes: number): Buffer {
  if (bytes.byteLength > writeMaxBytes) {
    throw new ConnectError(
      `message size ${bytes.byteLength} is larger than configured writeMaxBytes ${writeMaxBytes}`,
      Code.ResourceExhausted,
    );
  }
  const frame = Buffer.allocUnsafe(5 + bytes.byteLength);
  frame[0] = 0;
  frame.writeUInt32BE(bytes.byteLength, 1);
  frame.set(bytes, 5);
  return frame;
}

/** A request message (or its init shape) serialized and framed, as the client sends it. */
export function frameInput<I extends DescMessage>(
  schema: I,
  input: MessageInitShape<I>,
  writeMaxBytes: number,
): Buffer {
  // create() returns a message of the schema as it is.
  return frameMessage(toBinary(schema, create(schema, input)), writeMaxBytes);
}

/**
 * Collects a unary gRPC request body (PROTOCOL-HTTP2.md: one length-prefixed message) with Connect's
 * size limit and its protocol errors (missing, incomplete or extra message), reported as early as
 * possible so an oversized or malformed body is not buffered to the end.
 */
export class EnvelopeReader {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private length = -1;
  constructor(private readonly maxBytes: number) {}

  /** Adds a chunk; returns an error as soon as the body can no longer be one acceptable envelope. */
  push(chunk: Buffer): ConnectError | undefined {
    this.chunks.push(chunk);
    this.size += chunk.byteLength;
    if (this.length < 0) {
      if (this.size < 5) return undefined;
      this.length = this.uint32At(1);
      if (this.length > this.maxBytes) return tooLarge(this.length, this.maxBytes);
    }
    // A second envelope: Connect reports an extra message once it is complete (a protocol violation).
    const rest = this.size - 5 - this.length;
    if (rest >= 5) {
      const next = this.uint32At(6 + this.length);
      if (next > this.maxBytes) return tooLarge(next, this.maxBytes);
      if (rest >= 5 + next) return extraMessage();
    }
    return undefined;
  }

  /** The single envelope's flags and payload, or Connect's error for a missing/partial/extra one. */
  message(): { flags: number; data: Uint8Array } {
    if (this.size === 0) {
      throw new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented);
    }
    if (this.length < 0 || this.size !== 5 + this.length) {
      // More than one envelope but not two complete ones (push() reports those).
      throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
    }
    const buf = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    // A plain Uint8Array view (not a Buffer): bytes fields of the message alias it.
    return { flags: buf[0] as number, data: new Uint8Array(buf.buffer, buf.byteOffset + 5, this.length) };
  }

  /** Big-endian uint32 at `offset` of the body, across chunk boundaries. */
  private uint32At(offset: number): number {
    let value = 0;
    for (let i = 0; i < 4; i++) value = value * 256 + this.byteAt(offset + i);
    return value;
  }

  private byteAt(offset: number): number {
    for (const chunk of this.chunks) {
      if (offset < chunk.byteLength) return chunk[offset] as number;
      offset -= chunk.byteLength;
    }
    return 0;
  }
}

const tooLarge = (size: number, max: number) =>
  new ConnectError(
    `message size ${size} is larger than configured readMaxBytes ${max}`,
    Code.ResourceExhausted,
  );
const extraMessage = () =>
  new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);

/** A request body of several gRPC length-prefixed messages (client and bidi streaming), cut as it arrives. */
export class EnvelopeSplitter {
  private rest: Buffer | undefined;

  constructor(private readonly maxBytes: number) {}

  /** The complete envelopes so far; RESOURCE_EXHAUSTED (thrown) as soon as one is announced too big. */
  push(chunk: Buffer): { flags: number; data: Uint8Array }[] {
    let buf = this.rest === undefined ? chunk : Buffer.concat([this.rest, chunk]);
    const out: { flags: number; data: Uint8Array }[] = [];
    while (buf.byteLength >= 5) {
      const length = buf.readUInt32BE(1);
      if (length > this.maxBytes) throw tooLarge(length, this.maxBytes);
      if (buf.byteLength < 5 + length) break;
      // Plain Uint8Array views (not Buffers): bytes fields of the message alias them.
      out.push({ flags: buf[0] as number, data: new Uint8Array(buf.buffer, buf.byteOffset + 5, length) });
      buf = buf.subarray(5 + length);
    }
    this.rest = buf.byteLength > 0 ? buf : undefined;
    return out;
  }

  /** Whether a partial envelope is left (an error once the request ended). */
  get pending(): boolean {
    return this.rest !== undefined;
  }
}
