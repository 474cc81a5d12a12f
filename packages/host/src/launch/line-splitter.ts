import type { Readable } from "node:stream";

/**
 * Splits a byte stream into lines without ever buffering more than `maxLine` bytes: a plugin that
 * floods megabyte lines must not grow the host's memory. An over-long line is delivered in
 * `maxLine` pieces with `truncated: true` on all but the last. (readline has no such bound.)
 */
export function splitLines(
  stream: Readable | undefined,
  maxLine: number,
  onLine: (line: string, truncated: boolean) => void,
): Promise<void> {
  // No stream (a process whose spawn failed before its pipes existed): nothing to read.
  if (!stream) return Promise.resolve();
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = (truncated: boolean) => {
    const buf = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    let line = buf.toString("utf8");
    if (line.endsWith("\r")) line = line.slice(0, -1);
    onLine(line, truncated);
  };
  stream.on("data", (chunk: Buffer) => {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      let piece = chunk.subarray(start, end);
      while (pendingBytes + piece.length > maxLine) {
        const room = maxLine - pendingBytes;
        pending.push(piece.subarray(0, room));
        pendingBytes += room;
        piece = piece.subarray(room);
        flush(true);
      }
      if (piece.length > 0) {
        pending.push(piece);
        pendingBytes += piece.length;
      }
      if (nl === -1) break;
      flush(false);
      start = nl + 1;
    }
  });
  return new Promise<void>((resolve) => {
    const done = () => {
      if (pendingBytes > 0) flush(false);
      resolve();
    };
    stream.once("end", done);
    stream.once("close", done);
    stream.once("error", done);
  });
}
