// Client streams over the peer's SETTINGS_MAX_CONCURRENT_STREAMS wait their turn instead of being
// refused (RFC 9113 §5.1.2). go-plugin's servers leave the limit unset, but a Go plugin can pass
// grpc.MaxConcurrentStreams to its server, and node:http2 defaults to 100.
import type { H2Stream } from "./stream.js";

interface Waiting {
  stream: H2Stream;
  fields: readonly string[] | Uint8Array;
  endStream: boolean;
}

/** Counts our open streams against the peer's limit and opens waiting ones, in id order, as others end. */
export class StreamAdmission {
  /**
   * The peer's SETTINGS_MAX_CONCURRENT_STREAMS. Before its SETTINGS arrive: 100, the least RFC 9113
   * §6.5.2 recommends a peer allow (grpc-go's client assumes the same), so a burst on a new connection
   * is not refused by a server with a limit.
   */
  private limit = 100;
  private open = 0;
  private readonly waiting: Waiting[] = [];

  /** `open(stream, fields, endStream)` writes the stream's HEADERS (and whatever it queued since). */
  constructor(
    private readonly openStream: (
      stream: H2Stream,
      fields: readonly string[] | Uint8Array,
      endStream: boolean,
    ) => void,
  ) {}

  /**
   * Opens the stream now, or parks it (true) until a slot frees. A parked stream holds sends in its
   * queue and sends nothing — not even RST_STREAM: the peer has never seen its id.
   */
  request(stream: H2Stream, fields: readonly string[] | Uint8Array, endStream: boolean): void {
    // Behind others already waiting, even if a slot is free: ids must open in increasing order.
    if (this.open < this.limit && this.waiting.length === 0) {
      this.open++;
      this.openStream(stream, fields, endStream);
      return;
    }
    stream.parked = true;
    stream.queue ??= [];
    this.waiting.push({ stream, fields, endStream });
  }

  /** A stream of ours is over: its slot (if it had one) goes to the next waiting stream. */
  closed(stream: H2Stream): void {
    if (stream.parked) {
      stream.parked = false;
      const at = this.waiting.findIndex((w) => w.stream === stream);
      if (at >= 0) this.waiting.splice(at, 1);
      return;
    }
    this.open--;
    this.admit();
  }

  /** The peer's SETTINGS_MAX_CONCURRENT_STREAMS changed; a lower one only stops new opens (§5.1.2). */
  setLimit(limit: number): void {
    this.limit = limit;
    this.admit();
  }

  /** Streams waiting for a slot. */
  get parked(): number {
    return this.waiting.length;
  }

  private admit(): void {
    while (this.open < this.limit && this.waiting.length > 0) {
      const next = this.waiting.shift() as Waiting;
      next.stream.parked = false;
      this.open++;
      this.openStream(next.stream, next.fields, next.endStream);
    }
  }
}
