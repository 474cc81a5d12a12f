// HPACK (RFC 7541) header compression for plugwire's own HTTP/2 layer: a full decoder (every
// representation of §6, the dynamic table of §4, Huffman strings of §5.2) and a deliberately
// stateless encoder. Written by hand: no well-kept npm package offers HPACK alone (the maintained
// implementations live inside node:http2/nghttp2 and full HTTP/2 stacks), and this one is shaped for
// our hot path: flat string arrays, no per-field objects, table-driven Huffman.
import { STATIC_TABLE, STATIC_TABLE_LENGTH } from "./hpack-tables.js";
import { HUFFMAN_EOS, huffmanDecode, huffmanMaxDecodedLength } from "./huffman.js";

/** Thrown for any malformed header block: the connection must end with GOAWAY COMPRESSION_ERROR (RFC 7540 §4.3). */
export class HpackError extends Error {
  override readonly name = "HpackError";
}

/** §4.1: an entry's size is its name and value length in octets plus 32. */
const ENTRY_OVERHEAD = 32;
/** The largest integer we accept (§5.1 leaves the limit to the implementation). */
const MAX_INTEGER = 2 ** 31;
/** Continuation octets allowed after the prefix: 5 × 7 bits already exceed {@link MAX_INTEGER}. */
const MAX_INTEGER_CONTINUATIONS = 5;
/** Default SETTINGS_MAX_HEADER_LIST_SIZE we enforce (RFC 7540 §6.5.2 leaves it unlimited). */
const DEFAULT_MAX_HEADER_LIST_SIZE = 16 * 1024 * 1024;
/**
 * Below this length a `String.fromCharCode` loop beats a call into Buffer's native latin1 slice
 * (Node 20, measured: 3 octets 23 vs 58 ns, 8 octets equal, 16 octets 107 vs 56 ns).
 */
const SHORT_STRING = 8;

/**
 * Node's native `Buffer#latin1Slice` (what `toString("latin1", …)` calls after its encoding switch;
 * not in @types/node). It accepts any Uint8Array as `this`, which spares wrapping every block in a
 * Buffer (measured ~75 ns per decode). Fallback if a Node version ever drops it: a Buffer view.
 */
const nativeLatin1Slice = (Buffer.prototype as unknown as { latin1Slice?: unknown }).latin1Slice as
  | ((this: Uint8Array, start: number, end: number) => string)
  | undefined;
const latin1Slice: (bytes: Uint8Array, start: number, end: number) => string = nativeLatin1Slice
  ? (bytes, start, end) => nativeLatin1Slice.call(bytes, start, end)
  : (bytes, start, end) =>
      Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("latin1");

/** Decodes `bytes[start..end)` as latin1: HTTP/2 field values are octets (RFC 7540 §8.1.2). */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  if (end - start < SHORT_STRING) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i] as number);
    return s;
  }
  return latin1Slice(bytes, start, end);
}

const EMPTY = new Uint8Array(0);
/**
 * Huffman output before it becomes a string; shared by all decoders (decoding is synchronous, and
 * the octets are copied into a string at once), so creating a decoder allocates no buffer.
 */
let huffmanScratch = new Uint8Array(1024);

/**
 * One connection's HPACK decoder (RFC 7541 §3): decodes complete header blocks in order and keeps
 * the dynamic table across them. After an {@link HpackError} the table state is undefined (the
 * connection must end, RFC 7540 §4.3) — except for the header-list-size error, which is raised
 * only after the whole block was processed, so the table stays in sync with the peer's.
 */
export class HpackDecoder {
  readonly #maxTableSize: number;
  readonly #maxHeaderListSize: number;
  /** Current dynamic table limit (§4.2): starts at the SETTINGS value; lowered by size updates. */
  #capacity: number;
  /** Current dynamic table size in §4.1 octets. */
  #size = 0;
  /** Ring of entries, flat [name, value] per slot; the newest (HPACK index 62) is at slot #head. */
  #ring: string[] = new Array<string>(32).fill("");
  #mask = 15;
  #head = 0;
  #count = 0;
  // Cursor into the block being decoded; fields (not locals) so the integer/string readers can
  // advance it without returning tuples.
  #block: Uint8Array = EMPTY;
  #pos = 0;

  /** maxTableSize = our SETTINGS_HEADER_TABLE_SIZE (default 4096); maxHeaderListSize bounds the decoded list (RFC 7540 §6.5.2 size: sum of name+value+32), default 16 MiB → HpackError when exceeded. */
  constructor(maxTableSize = 4096, maxHeaderListSize = DEFAULT_MAX_HEADER_LIST_SIZE) {
    this.#maxTableSize = maxTableSize;
    this.#capacity = maxTableSize;
    this.#maxHeaderListSize = maxHeaderListSize;
  }

  /** Decodes one complete header block (HEADERS + CONTINUATION payloads already joined). Returns a FLAT array [name0, value0, name1, value1, …] in wire order. Names are returned as sent (the caller validates lowercase). Keeps the dynamic table across calls (one decoder per connection). */
  decode(block: Uint8Array): string[] {
    const end = block.length;
    const out: string[] = [];
    let listSize = 0;
    this.#block = block;
    this.#pos = 0;
    try {
      while (this.#pos < end) {
        const first = block[this.#pos] as number;
        let name: string;
        let value: string;
        if (first & 0x80) {
          // §6.1 indexed header field.
          const index = this.#readInteger(7);
          if (index === 0) throw new HpackError(`HPACK: index 0 in an indexed header field (RFC 7541 §6.1)`);
          name = this.#name(index);
          value = this.#value(index);
        } else if (first & 0x40) {
          // §6.2.1 literal with incremental indexing.
          const index = this.#readInteger(6);
          name = index === 0 ? this.#readString() : this.#name(index);
          value = this.#readString();
          this.#insert(name, value);
        } else if (first & 0x20) {
          // §6.3 dynamic table size update: only before the first field (§4.2).
          if (listSize > 0) {
            throw new HpackError("HPACK: dynamic table size update after a header field (RFC 7541 §4.2)");
          }
          const size = this.#readInteger(5);
          if (size > this.#maxTableSize) {
            throw new HpackError(
              `HPACK: dynamic table size update to ${size} above SETTINGS_HEADER_TABLE_SIZE ${this.#maxTableSize} (RFC 7541 §6.3)`,
            );
          }
          this.#capacity = size;
          this.#evictTo(size);
          continue;
        } else {
          // §6.2.2 without indexing (0000) and §6.2.3 never indexed (0001): same shape; the
          // never-indexed flag only matters to intermediaries re-encoding, which we are not.
          const index = this.#readInteger(4);
          name = index === 0 ? this.#readString() : this.#name(index);
          value = this.#readString();
        }
        listSize += name.length + value.length + ENTRY_OVERHEAD;
        // Over the limit: keep decoding (the table must stay in sync) but stop collecting.
        if (listSize <= this.#maxHeaderListSize) out.push(name, value);
      }
    } finally {
      this.#block = EMPTY;
    }
    if (listSize > this.#maxHeaderListSize) {
      throw new HpackError(
        `HPACK: header list size ${listSize} exceeds the limit ${this.#maxHeaderListSize} (RFC 7540 §6.5.2)`,
      );
    }
    return out;
  }

  /** §5.1 integer with an N-bit prefix at the cursor. */
  #readInteger(prefixBits: number): number {
    const buf = this.#block;
    const max = (1 << prefixBits) - 1;
    let value = (buf[this.#pos++] as number) & max;
    if (value < max) return value;
    const start = this.#pos - 1;
    let factor = 1;
    for (let n = 0; n < MAX_INTEGER_CONTINUATIONS; n++) {
      if (this.#pos >= buf.length) throw new HpackError(`HPACK: truncated integer at offset ${start}`);
      const byte = buf[this.#pos++] as number;
      value += (byte & 0x7f) * factor;
      if (value > MAX_INTEGER) throw new HpackError(`HPACK: integer over 2^31 at offset ${start}`);
      if ((byte & 0x80) === 0) return value;
      factor *= 128;
    }
    throw new HpackError(
      `HPACK: integer at offset ${start} longer than ${MAX_INTEGER_CONTINUATIONS} continuation octets`,
    );
  }

  /** §5.2 string literal at the cursor: H flag, 7-bit-prefix length, raw or Huffman octets. */
  #readString(): string {
    const buf = this.#block;
    if (this.#pos >= buf.length) throw new HpackError(`HPACK: missing string literal at offset ${this.#pos}`);
    const start = this.#pos;
    const huffman = ((buf[start] as number) & 0x80) !== 0;
    const length = this.#readInteger(7);
    const from = this.#pos;
    const to = from + length;
    if (to > buf.length) {
      throw new HpackError(
        `HPACK: truncated string literal at offset ${start}: length ${length}, ${buf.length - from} octets left`,
      );
    }
    this.#pos = to;
    if (!huffman) return latin1(buf, from, to);
    const need = huffmanMaxDecodedLength(length);
    if (huffmanScratch.length < need)
      huffmanScratch = new Uint8Array(Math.max(need, huffmanScratch.length * 2));
    const n = huffmanDecode(buf, from, to, huffmanScratch);
    if (n < 0) {
      throw new HpackError(
        n === HUFFMAN_EOS
          ? `HPACK: Huffman string at offset ${start} contains EOS (RFC 7541 §5.2)`
          : `HPACK: Huffman string at offset ${start} has invalid padding: over 7 bits or not all 1s (RFC 7541 §5.2)`,
      );
    }
    return latin1(huffmanScratch, 0, n);
  }

  /** Slot in #ring of HPACK `index`, static (1..61) → -1, validated against the table (§2.3.3). */
  #slot(index: number): number {
    if (index <= STATIC_TABLE_LENGTH) return -1;
    const d = index - STATIC_TABLE_LENGTH - 1;
    if (d >= this.#count) {
      throw new HpackError(
        `HPACK: index ${index} past the table (${STATIC_TABLE_LENGTH} static + ${this.#count} dynamic entries)`,
      );
    }
    return (this.#head + d) & this.#mask;
  }

  #name(index: number): string {
    const slot = this.#slot(index);
    return (slot < 0 ? STATIC_TABLE[(index - 1) * 2] : this.#ring[slot * 2]) as string;
  }

  #value(index: number): string {
    const slot = this.#slot(index);
    return (slot < 0 ? STATIC_TABLE[(index - 1) * 2 + 1] : this.#ring[slot * 2 + 1]) as string;
  }

  /** §4.4: evict until the entry fits; an entry larger than the table empties it and is not added. */
  #insert(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    if (size > this.#capacity) {
      this.#evictTo(0);
      return;
    }
    this.#evictTo(this.#capacity - size);
    if (this.#count > this.#mask) this.#grow();
    this.#head = (this.#head - 1) & this.#mask;
    this.#ring[this.#head * 2] = name;
    this.#ring[this.#head * 2 + 1] = value;
    this.#count++;
    this.#size += size;
  }

  /** §4.3: evict oldest entries until the table size is at most `limit`. */
  #evictTo(limit: number): void {
    while (this.#size > limit) {
      const slot = (this.#head + this.#count - 1) & this.#mask;
      const name = this.#ring[slot * 2] as string;
      const value = this.#ring[slot * 2 + 1] as string;
      this.#size -= name.length + value.length + ENTRY_OVERHEAD;
      // Drop the references so evicted strings can be collected.
      this.#ring[slot * 2] = "";
      this.#ring[slot * 2 + 1] = "";
      this.#count--;
    }
  }

  #grow(): void {
    const slots = (this.#mask + 1) * 2;
    const ring = new Array<string>(slots * 2).fill("");
    for (let d = 0; d < this.#count; d++) {
      const from = (this.#head + d) & this.#mask;
      ring[d * 2] = this.#ring[from * 2] as string;
      ring[d * 2 + 1] = this.#ring[from * 2 + 1] as string;
    }
    this.#ring = ring;
    this.#mask = slots - 1;
    this.#head = 0;
  }
}

/** Static table lookups for the encoder: name → lowest index, and name → value → index. */
const STATIC_NAME = new Map<string, number>();
const STATIC_EXACT = new Map<string, Map<string, number>>();
for (let i = STATIC_TABLE_LENGTH; i >= 1; i--) {
  const name = STATIC_TABLE[(i - 1) * 2] as string;
  const value = STATIC_TABLE[(i - 1) * 2 + 1] as string;
  STATIC_NAME.set(name, i);
  const values = STATIC_EXACT.get(name) ?? new Map<string, number>();
  values.set(value, i);
  STATIC_EXACT.set(name, values);
}

/** Encoder output before its exact-size copy; shared like `huffmanScratch` (encoding is synchronous). */
let encodeScratch = new Uint8Array(1024);

/** Octets a §5.1 integer with an N-bit prefix takes at most: 1 + ceil(31 / 7). */
const MAX_INTEGER_OCTETS = 6;

/**
 * HPACK encoder for the header blocks we send (RFC 7541 §6.1 / §6.2.2 only): no dynamic table, no
 * Huffman, so its output depends on the input alone and a peer's table size never matters.
 */
export class HpackEncoder {
  /** Encodes a FLAT [name, value, …] list. Stateless: never inserts into the dynamic table and never Huffman-codes (both optional per RFC 7541), so the same input always gives the same bytes (callers cache per-method header blocks) and the peer's SETTINGS_HEADER_TABLE_SIZE never matters. Exact static-table matches → indexed field (§6.1); static name match → literal without indexing, indexed name (§6.2.2); else literal without indexing, new name. */
  encode(headers: readonly string[]): Uint8Array {
    if (headers.length % 2 !== 0) {
      throw new RangeError(
        `HPACK encode: expected a flat [name, value, …] list, got ${headers.length} items`,
      );
    }
    let bound = 0;
    for (const s of headers) bound += s.length + MAX_INTEGER_OCTETS;
    if (encodeScratch.length < bound)
      encodeScratch = new Uint8Array(Math.max(bound, encodeScratch.length * 2));
    const out = encodeScratch;
    let pos = 0;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as string;
      const value = headers[i + 1] as string;
      const exact = STATIC_EXACT.get(name)?.get(value);
      if (exact !== undefined) {
        pos = writeInteger(out, pos, 0x80, 7, exact);
        continue;
      }
      const nameIndex = STATIC_NAME.get(name);
      if (nameIndex !== undefined) {
        pos = writeInteger(out, pos, 0x00, 4, nameIndex);
      } else {
        out[pos++] = 0x00;
        pos = writeString(out, pos, name, name);
      }
      pos = writeString(out, pos, value, name);
    }
    return out.slice(0, pos);
  }
}

/** §5.1: writes `value` with an N-bit prefix, OR-ed into the first octet's `flags`; returns the new position. */
export function writeInteger(
  out: Uint8Array,
  pos: number,
  flags: number,
  prefixBits: number,
  value: number,
): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out[pos++] = flags | value;
    return pos;
  }
  out[pos++] = flags | max;
  let rest = value - max;
  while (rest >= 128) {
    out[pos++] = (rest % 128) | 0x80;
    rest = Math.floor(rest / 128);
  }
  out[pos++] = rest;
  return pos;
}

/** §5.2 raw (H = 0) string literal, latin1; a character above U+00FF cannot be an octet → RangeError. */
function writeString(out: Uint8Array, pos: number, s: string, headerName: string): number {
  pos = writeInteger(out, pos, 0x00, 7, s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) {
      throw new RangeError(
        `HPACK encode: header "${headerName}" has character U+${c.toString(16).padStart(4, "0")} at ${i}; HTTP/2 fields are octets`,
      );
    }
    out[pos++] = c;
  }
  return pos;
}
