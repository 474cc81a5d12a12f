import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline, Readable } from "node:stream";
import { createGunzip, createGzip, gzipSync } from "node:zlib";
import { ErrorCode } from "@plugwire/contract";
import { deliveryError } from "../failure.js";
import { assertSafeSegment } from "../safe-segment.js";

// ustar (POSIX.1-1988) written and read by hand: plugin tarballs are a handful of regular files, and a
// 150-line reader lets every limit be enforced while streaming (no npm tar reader exposes all of them
// before bytes reach the disk).
const BLOCK = 512;

/** Extraction limits (issue 6 defaults). */
export interface TarLimits {
  maxEntries: number;
  maxFileBytes: number;
  maxTotalBytes: number;
}

/** The default limits: ≤64 entries, ≤512 MiB per file, ≤1 GiB in total. */
export const DEFAULT_TAR_LIMITS: TarLimits = {
  maxEntries: 64,
  maxFileBytes: 512 * 1024 ** 2,
  maxTotalBytes: 1024 ** 3,
};

/** One file for {@link createTarGz}. */
export interface TarFile {
  name: string;
  bytes: Uint8Array;
  mode?: number;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function ustarHeader(name: string, size: number, mode = 0o644): Buffer {
  assertSafeSegment("tarball entry name", name);
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, "utf8");
  h.write(octal(mode, 8), 100, "ascii");
  h.write(octal(0, 8), 108, "ascii");
  h.write(octal(0, 8), 116, "ascii");
  h.write(octal(size, 12), 124, "ascii");
  h.write(octal(0, 12), 136, "ascii");
  h.write("        ", 148, "ascii");
  h.write("0", 156, "ascii");
  h.write("ustar\u000000", 257, "ascii");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return h;
}

const padding = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** A gzip'd ustar archive of regular files with single-segment names (deterministic: mtime 0, uid/gid 0). */
export function createTarGz(files: readonly TarFile[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const f of files)
    parts.push(ustarHeader(f.name, f.bytes.length, f.mode), Buffer.from(f.bytes), padding(f.bytes.length));
  parts.push(Buffer.alloc(BLOCK * 2));
  return gzipSync(Buffer.concat(parts));
}

/** One file on disk for {@link tarGzFromFiles}. */
export interface TarFileOnDisk {
  name: string;
  path: string;
  mode?: number;
}

/**
 * The same archive as {@link createTarGz}, streamed from files on disk so large binaries are never
 * held in memory. Sizes are taken up front (ustar headers precede the data); a file whose length
 * changes while it is read fails the stream with `ARTIFACT_INVALID` instead of writing a corrupt archive.
 */
export function tarGzFromFiles(files: readonly TarFileOnDisk[]): Readable {
  async function* blocks(): AsyncGenerator<Buffer> {
    for (const f of files) {
      const { size } = await stat(f.path);
      yield ustarHeader(f.name, size, f.mode);
      let read = 0;
      for await (const chunk of createReadStream(f.path) as AsyncIterable<Buffer>) {
        read += chunk.length;
        if (read > size) break;
        yield chunk;
      }
      if (read !== size)
        throw deliveryError(ErrorCode.ArtifactInvalid, `${f.path} changed size while it was archived`);
      yield padding(size);
    }
    yield Buffer.alloc(BLOCK * 2);
  }
  // pipeline (not .pipe) so a read error destroys the gzip stream and reaches whoever consumes it.
  return pipeline(Readable.from(blocks()), createGzip(), () => {});
}

function field(h: Buffer, start: number, len: number): string {
  const raw = h.subarray(start, start + len);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul === -1 ? len : nul).toString("utf8");
}

function parseHeader(h: Buffer, plugin?: string): { name: string; size: number; type: string; mode: number } {
  const bad = (why: string) => deliveryError(ErrorCode.ArtifactInvalid, `bad tarball: ${why}`, { plugin });
  const magic = h.subarray(257, 263).toString("latin1");
  if (magic !== "ustar\0" && magic !== "ustar ") throw bad("not a ustar archive");
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] ?? 0);
  if (Number.parseInt(field(h, 148, 8).trim(), 8) !== sum) throw bad("header checksum mismatch");
  const prefix = field(h, 345, 155);
  const name = prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100);
  const sizeText = field(h, 124, 12).trim();
  if (!/^[0-7]+$/.test(sizeText)) throw bad(`entry ${JSON.stringify(name)} has an invalid size`);
  return {
    name,
    size: Number.parseInt(sizeText, 8),
    type: String.fromCharCode(h[156] ?? 0),
    mode: Number.parseInt(field(h, 100, 8).trim() || "644", 8),
  };
}

/**
 * Extracts a gzip'd tarball into `dir` (which must exist and be empty), enforcing: regular files only,
 * names that are single safe path segments, no duplicates, at most `maxEntries`, `maxFileBytes` per
 * file and `maxTotalBytes` in total (checked while streaming, so a gzip bomb stops at the limit), and
 * `required` present. Files are created exclusively; `required` gets mode 0755, others keep at most
 * 0755 of their mode. Throws `ARTIFACT_INVALID` / `UNSAFE_PATH`; the caller removes `dir` on failure.
 */
export async function extractTarGz(
  archive: string,
  dir: string,
  required: string,
  options: { limits?: TarLimits; plugin?: string; signal?: AbortSignal } = {},
): Promise<string[]> {
  const limits = options.limits ?? DEFAULT_TAR_LIMITS;
  const { plugin } = options;
  const bad = (why: string) => deliveryError(ErrorCode.ArtifactInvalid, `bad tarball: ${why}`, { plugin });
  const names: string[] = [];
  let buffered: Buffer = Buffer.alloc(0);
  let total = 0;
  let current: { out: WriteStream; left: number; pad: number } | undefined;
  let ended = false;
  const source = createReadStream(archive).pipe(createGunzip());
  const abort = () =>
    source.destroy(deliveryError(ErrorCode.Aborted, "extraction aborted", { plugin, failure: "transient" }));
  options.signal?.addEventListener("abort", abort, { once: true });
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      while (!ended) {
        if (current) {
          const take = Math.min(current.left, buffered.length);
          if (take > 0 && !current.out.write(buffered.subarray(0, take))) await once(current.out, "drain");
          current.left -= take;
          buffered = buffered.subarray(take);
          if (current.left > 0) break;
          if (buffered.length < current.pad) break;
          buffered = buffered.subarray(current.pad);
          current.out.end();
          await once(current.out, "close");
          current = undefined;
          continue;
        }
        if (buffered.length < BLOCK) break;
        const header = buffered.subarray(0, BLOCK);
        buffered = buffered.subarray(BLOCK);
        if (header.every((b) => b === 0)) {
          ended = true;
          break;
        }
        const entry = parseHeader(header, plugin);
        if (entry.type !== "0" && entry.type !== "\0")
          throw bad(
            `entry ${JSON.stringify(entry.name)} is not a regular file (type ${JSON.stringify(entry.type)})`,
          );
        assertSafeSegment("tarball entry name", entry.name, plugin);
        if (names.includes(entry.name)) throw bad(`duplicate entry ${JSON.stringify(entry.name)}`);
        if (names.length >= limits.maxEntries) throw bad(`more than ${limits.maxEntries} entries`);
        if (entry.size > limits.maxFileBytes)
          throw bad(`entry ${JSON.stringify(entry.name)} is larger than ${limits.maxFileBytes} bytes`);
        total += entry.size;
        if (total > limits.maxTotalBytes) throw bad(`more than ${limits.maxTotalBytes} bytes in total`);
        names.push(entry.name);
        const mode = entry.name === required ? 0o755 : entry.mode & 0o755;
        const out = createWriteStream(join(dir, entry.name), { flags: "wx", mode });
        current = { out, left: entry.size, pad: (BLOCK - (entry.size % BLOCK)) % BLOCK };
      }
    }
  } catch (err) {
    current?.out.destroy();
    if (err instanceof Error && "code" in err && typeof err.code === "string" && err.code.startsWith("Z_"))
      throw deliveryError(ErrorCode.ArtifactInvalid, `bad tarball: ${err.message}`, { plugin, cause: err });
    throw err;
  } finally {
    options.signal?.removeEventListener("abort", abort);
    source.destroy();
  }
  if (current || !ended) throw bad("truncated archive");
  if (!names.includes(required))
    throw bad(`declared entry ${JSON.stringify(required)} is missing (has ${names.join(", ") || "nothing"})`);
  return names;
}
