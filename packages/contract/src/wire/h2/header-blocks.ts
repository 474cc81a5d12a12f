// Header blocks as they arrive: a HEADERS frame, possibly continued by CONTINUATION frames on the same
// stream with nothing in between (RFC 9113 §6.10), then HPACK-decoded with the connection's table.
import { H2Code, H2ConnectionError } from "./frame.js";
import { HpackDecoder, HpackError } from "./hpack.js";

/** Assembles and decodes the peer's header blocks for one connection. */
export class HeaderBlocks {
  private readonly decoder: HpackDecoder;
  private streamId = 0;
  private flags = 0;
  private chunks: Buffer[] | undefined;
  private size = 0;

  constructor(private readonly maxHeaderListSize: number) {
    this.decoder = new HpackDecoder(4096, maxHeaderListSize);
  }

  /** A block is open: only CONTINUATION frames may come next. */
  get pending(): boolean {
    return this.chunks !== undefined;
  }

  /** A HEADERS frame without END_HEADERS. */
  start(streamId: number, flags: number, fragment: Buffer): void {
    this.streamId = streamId;
    this.flags = flags;
    this.chunks = [fragment];
    this.size = fragment.byteLength;
  }

  /** A CONTINUATION frame; the whole block (and the HEADERS flags) once END_HEADERS arrives. */
  continue(streamId: number, flags: number, fragment: Buffer): { flags: number; block: Buffer } | undefined {
    const chunks = this.chunks;
    if (chunks === undefined || streamId !== this.streamId) {
      throw new H2ConnectionError(H2Code.PROTOCOL_ERROR, "unexpected CONTINUATION");
    }
    chunks.push(fragment);
    this.size += fragment.byteLength;
    if (this.size > this.maxHeaderListSize) {
      throw new H2ConnectionError(
        H2Code.ENHANCE_YOUR_CALM,
        "header block larger than SETTINGS_MAX_HEADER_LIST_SIZE",
      );
    }
    if ((flags & 0x4) === 0) return undefined; // END_HEADERS not yet
    this.chunks = undefined;
    return { flags: this.flags, block: Buffer.concat(chunks) };
  }

  /** HPACK-decodes a complete block; a malformed one is a connection error (RFC 9113 §4.3). */
  decode(block: Uint8Array): string[] {
    try {
      return this.decoder.decode(block);
    } catch (err) {
      if (err instanceof HpackError) throw new H2ConnectionError(H2Code.COMPRESSION_ERROR, err.message);
      throw err;
    }
  }
}
