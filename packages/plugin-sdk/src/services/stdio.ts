import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { type stdioProto as StdioTypes, stdioProto } from "@plugwire/contract/wire";

/** Which stream a chunk came from (`plugin.StdioData.Channel`). */
export type StdioChannel = "stdout" | "stderr";

/** One captured write. */
export interface StdioChunk {
  channel: StdioChannel;
  data: Uint8Array;
}

/** Options for {@link createStdioStream}. */
export interface StdioStreamOptions {
  /** Largest amount held while nobody reads (default 1 MiB); beyond it, chunks go to `fallback`. */
  maxBufferBytes?: number;
  /**
   * How long to hold output for a host that has not opened `StreamStdio` yet (default 2 s). Hosts
   * that never do (go-plugin < v1.1) get everything through `fallback` after it.
   */
  fallbackMs?: number;
  /** Where output goes when no host reads it, e.g. the real stderr: nothing is lost, nothing blocks. */
  fallback: (chunk: StdioChunk) => void;
}

/**
 * The plugin side of `plugin.GRPCStdio` (go-plugin-wire.md §3–§4): captured stdout/stderr writes are
 * queued until the host opens `StreamStdio`, then streamed. Unlike Go plugins it never blocks the
 * writer: a bounded buffer, and `fallback` when nobody reads (or the reader falls behind).
 */
export interface StdioStream {
  /** Queues one chunk. Never blocks, never throws. */
  write(chunk: StdioChunk): void;
  /** The host's side: buffered chunks, then live ones, until `signal` aborts or close(). */
  subscribe(signal: AbortSignal): AsyncIterable<StdioChunk>;
  /**
   * Stops queueing (later writes go to `fallback`); a subscriber receives what is queued, then its
   * stream ends. Without one, the queue goes to `fallback`. Idempotent.
   */
  close(): void;
}

/** Creates a {@link StdioStream}; the fallback clock starts now (call it right after the handshake). */
export function createStdioStream(options: StdioStreamOptions): StdioStream {
  const maxBytes = options.maxBufferBytes ?? 1024 * 1024;
  const queue: StdioChunk[] = [];
  let queued = 0;
  // buffering → (subscriber) streaming → (subscriber gone) passthrough; buffering → passthrough on timeout.
  let mode: "buffering" | "streaming" | "passthrough" = "buffering";
  let wake: (() => void) | undefined;
  let closed = false;

  const drainToFallback = () => {
    for (const chunk of queue.splice(0)) safe(options.fallback, chunk);
    queued = 0;
  };
  const timer = setTimeout(() => {
    if (mode === "buffering") {
      mode = "passthrough";
      drainToFallback();
    }
  }, options.fallbackMs ?? 2000);
  timer.unref();

  return {
    write(chunk) {
      if (closed || mode === "passthrough" || queued + chunk.data.byteLength > maxBytes) {
        safe(options.fallback, chunk);
        return;
      }
      queue.push(chunk);
      queued += chunk.data.byteLength;
      wake?.();
    },
    async *subscribe(signal) {
      if (closed) return;
      mode = "streaming";
      clearTimeout(timer);
      const onAbort = () => wake?.();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        while (!signal.aborted) {
          const chunk = queue.shift();
          if (chunk) {
            queued -= chunk.data.byteLength;
            yield chunk;
            continue;
          }
          if (closed) break;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
      } finally {
        signal.removeEventListener("abort", onAbort);
        mode = "passthrough";
        drainToFallback();
      }
    },
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      if (wake) wake();
      else if (mode !== "streaming") drainToFallback();
    },
  };
}

function safe(fallback: (chunk: StdioChunk) => void, chunk: StdioChunk): void {
  try {
    fallback(chunk);
  } catch {
    // Output that cannot be written anywhere is dropped rather than crashing the plugin.
  }
}

const CHANNELS: Record<StdioChannel, StdioTypes.StdioData_Channel> = {
  stdout: stdioProto.StdioData_Channel.STDOUT,
  stderr: stdioProto.StdioData_Channel.STDERR,
};

/** `plugin.GRPCStdio.StreamStdio` (go-plugin v1.1+) over a {@link StdioStream}. */
export function stdioService(stream: StdioStream): ServiceImpl<typeof stdioProto.GRPCStdio> {
  return {
    async *streamStdio(_req, ctx) {
      for await (const chunk of stream.subscribe(ctx.signal)) {
        yield create(stdioProto.StdioDataSchema, { channel: CHANNELS[chunk.channel], data: chunk.data });
      }
    },
  };
}
