import { PluginEnv } from "@plugwire/contract/wire";
import type { StdioChannel, StdioChunk } from "../services/stdio.js";

/**
 * The process's stdio while it serves as a plugin. The real stdout carries ONLY the handshake line
 * (go-plugin-wire.md §2.4: anything before it breaks start-up, Go hosts ignore anything after it).
 */
export interface ProcessStdio {
  /** Writes to the real stdout: the handshake line and nothing else. */
  writeHandshake(line: string): void;
  /** Writes to the real stderr (fd 2): the SDK's hclog lines, fallback stdio, the cookie message. */
  writeStderr(data: string | Uint8Array): void;
  /**
   * After the handshake: every `process.stdout.write` / `process.stderr.write` (console.* included)
   * goes to `sink` instead (go-plugin redirects os.Stdout/os.Stderr into GRPCStdio the same way).
   */
  capture(sink: (chunk: StdioChunk) => void): void;
  /** Puts the original write methods back. */
  restore(): void;
}

type WriteFn = typeof process.stdout.write;
let current: ProcessStdio | undefined;

/**
 * Patches `process.stdout.write` and `process.stderr.write` (once per process; later calls return the
 * same object). Until {@link ProcessStdio.capture}, stdout writes are diverted to stderr, so stray
 * output (console.log at import time) cannot break the handshake.
 */
export function guardProcessStdio(): ProcessStdio {
  if (current) return current;
  const { stdout, stderr } = process;
  const realStdout = stdout.write;
  const realStderr = stderr.write;
  const toStderr = (data: string | Uint8Array) => {
    realStderr.call(stderr, data);
  };
  let sink: ((chunk: StdioChunk) => void) | undefined;

  const patch = (channel: StdioChannel): WriteFn =>
    function write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
      const cb = typeof encoding === "function" ? encoding : callback;
      const enc = typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8";
      const data = toBytes(chunk, enc);
      try {
        if (sink) sink({ channel, data });
        else toStderr(data);
      } catch {
        // Output must never throw into the code that printed it.
      }
      if (typeof cb === "function") process.nextTick(cb as () => void);
      return true;
    } as WriteFn;

  stdout.write = patch("stdout");
  stderr.write = patch("stderr");
  current = {
    writeHandshake(line) {
      realStdout.call(stdout, line);
    },
    writeStderr: toStderr,
    capture(next) {
      sink = next;
    },
    restore() {
      stdout.write = realStdout;
      stderr.write = realStderr;
      current = undefined;
    },
  };
  return current;
}

function toBytes(chunk: unknown, encoding: BufferEncoding): Uint8Array {
  if (typeof chunk === "string") return Buffer.from(chunk, encoding);
  if (chunk instanceof Uint8Array) return Uint8Array.from(chunk); // copy: callers may reuse buffers
  return Buffer.from(String(chunk));
}

/**
 * True when a go-plugin host launched this process: every Go host sets `PLUGIN_PROTOCOL_VERSIONS`
 * and the port range (go-plugin-wire.md §1). The SDK then guards stdout as soon as it is imported.
 */
export function launchedByHost(env: NodeJS.ProcessEnv): boolean {
  return env[PluginEnv.ProtocolVersions] !== undefined || env[PluginEnv.MinPort] !== undefined;
}
