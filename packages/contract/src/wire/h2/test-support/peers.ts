// Test kit for the HTTP/2 layer: temp socket directories that must really go away, a count of this
// process's open sockets (the leak check), our connection in either role over a unix socket, and a
// stream handler that records everything a stream reports. Not shipped (excluded from the build).
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { H2Connection, type H2ConnectionOptions } from "../connection.js";
import type { H2Stream } from "../stream.js";

/** A temp directory for unix sockets. `remove()` throws if it is still there afterwards. */
export function socketDir(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    path: (name: string) => join(dir, name),
    remove() {
      rmSync(dir, { recursive: true, force: true });
      if (existsSync(dir)) throw new Error(`temp dir ${dir} was not removed`);
    },
  };
}

/** Open sockets of this process (Linux /proc): compared before and after a file's tests. */
export function openSockets(): number {
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith("socket:")) n++;
    } catch {
      // the fd closed while we looked
    }
  }
  return n;
}

/** Resolves with the value, or rejects naming `what` after `ms`: every wait in these tests is bounded. */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls a real condition every few ms until it holds; throws naming `what` after `ms`. */
export async function waitFor(what: string, condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const sha256 = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** Deterministic incompressible-looking bytes (so a corrupted or reordered chunk changes the hash). */
export function pattern(bytes: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Everything one stream reported, in order, once `onClose` ran. */
export interface StreamRecord {
  blocks: { fields: string[]; end: boolean }[];
  data: Buffer;
  code: number | undefined;
  cause: Error | undefined;
}

/**
 * Installs a recording handler on `stream`; `closed` resolves at its `onClose`. `onData` lets a test
 * react to bytes as they arrive.
 */
export function record(stream: H2Stream, onData?: (chunk: Buffer, total: number) => void) {
  const chunks: Buffer[] = [];
  let total = 0;
  const rec: StreamRecord = { blocks: [], data: Buffer.alloc(0), code: undefined, cause: undefined };
  const closed = new Promise<StreamRecord>((resolve) => {
    stream.handler = {
      onHeaders(fields, end) {
        rec.blocks.push({ fields, end });
      },
      onData(chunk, end) {
        // Payloads are views into socket reads: copy before keeping.
        chunks.push(Buffer.from(chunk));
        total += chunk.byteLength;
        onData?.(chunk, total);
        if (end) rec.blocks.push({ fields: [], end: true });
      },
      onClose(code, cause) {
        rec.data = Buffer.concat(chunks);
        rec.code = code;
        rec.cause = cause;
        resolve(rec);
      },
    };
  });
  return { rec, closed };
}

/** Calls `answer` with the request body once the request ended (END_STREAM on DATA or trailers). */
export function whenRequestEnds(stream: H2Stream, endStream: boolean, answer: (body: Buffer) => void): void {
  if (endStream) {
    answer(Buffer.alloc(0));
    return;
  }
  const chunks: Buffer[] = [];
  const done = () => answer(Buffer.concat(chunks));
  stream.handler = {
    onHeaders: (_, end) => end && done(),
    onData(chunk, end) {
      chunks.push(Buffer.from(chunk));
      if (end) done();
    },
    onClose() {},
  };
}

/** A flat field list as an object (last value wins), for assertions. */
export const fieldObject = (fields: readonly string[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) out[fields[i] as string] = fields[i + 1] as string;
  return out;
};

/** Our client role over a fresh unix socket connection; `closed` resolves with onClose's cause. */
export function dialClient(path: string, options: Partial<H2ConnectionOptions> = {}) {
  let onClose!: (cause: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((resolve) => {
    onClose = resolve;
  });
  const socket = net.connect(path);
  const conn = new H2Connection({ ...options, socket, role: "client", onClose });
  return { conn, socket, closed };
}

/** The request pseudo-headers of a POST to `path`, plus extra fields. */
export const post = (path: string, ...extra: string[]): string[] => [
  ":method",
  "POST",
  ":scheme",
  "http",
  ":authority",
  "localhost",
  ":path",
  path,
  ...extra,
];

/**
 * Our server role on a unix socket: `onStream` sees every new stream. `close()` destroys what is
 * left and resolves once the listener and every connection are gone.
 */
export async function listenServer(
  path: string,
  onStream: NonNullable<H2ConnectionOptions["onStream"]>,
  options: Partial<H2ConnectionOptions> = {},
  /** Sees each accepted socket before our connection reads from it (e.g. to sniff frames). */
  onSocket?: (socket: net.Socket) => void,
) {
  const connections = new Set<H2Connection>();
  const closes: Promise<Error | undefined>[] = [];
  const server = net.createServer((socket) => {
    onSocket?.(socket);
    closes.push(
      new Promise((resolve) => {
        const conn = new H2Connection({
          ...options,
          socket,
          role: "server",
          onStream,
          onClose: (cause) => {
            connections.delete(conn);
            resolve(cause);
          },
        });
        connections.add(conn);
      }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, resolve);
  });
  return {
    connections,
    /** onClose causes of every accepted connection so far, in accept order. */
    closes,
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const conn of connections) conn.destroy();
      await within(5000, "the test server to close", stopped);
    },
  };
}
