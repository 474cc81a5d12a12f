import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ErrorCode } from "@plugwire/contract";
import { createSha256, type Digest, isDigest, sha256Digest } from "../digest.js";
import { deliveryError } from "../failure.js";
import type { BlobFile } from "./blob-body.js";
import { type Descriptor, type ImageIndex, OciMediaType } from "./media-types.js";

/**
 * An OCI image layout directory (image-spec image-layout.md: `oci-layout`, `index.json`,
 * `blobs/sha256/<hex>`): what `plugwire package` writes, `plugwire sign` extends and `plugwire push`
 * uploads. Blobs are content-addressed, so writing is idempotent.
 */
export interface OciLayout {
  readonly dir: string;
  /** The layout's `index.json`. */
  readIndex(): Promise<ImageIndex>;
  writeIndex(index: ImageIndex): Promise<void>;
  /** Stores bytes as a blob and returns its descriptor. */
  putBlob(bytes: Uint8Array, mediaType: string, annotations?: Record<string, string>): Promise<Descriptor>;
  /**
   * Stores a file's contents (a path) or a stream as a blob without holding it in memory: copied into a
   * temp file in the blobs directory while hashing, then renamed to `blobs/sha256/<hex>`.
   */
  putBlobFrom(
    source: string | Readable,
    mediaType: string,
    annotations?: Record<string, string>,
  ): Promise<Descriptor>;
  /** Reads a small blob (manifest, index, envelope) into memory, verifying its digest. */
  getBlob(digest: string): Promise<Uint8Array>;
  /** Where a blob lives, to stream it (its digest is checked by whoever reads it, e.g. the upload). */
  blobFile(desc: Descriptor): BlobFile;
}

async function writeAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}

/** Opens (and with `create`, initialises) an OCI image layout at `dir`. */
export async function openLayout(dir: string, options: { create?: boolean } = {}): Promise<OciLayout> {
  const blobs = join(dir, "blobs", "sha256");
  if (options.create) {
    await mkdir(blobs, { recursive: true });
    await writeAtomic(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}\n');
    await writeAtomic(
      join(dir, "index.json"),
      `${JSON.stringify({ schemaVersion: 2, mediaType: OciMediaType.Index, manifests: [] })}\n`,
    );
  } else {
    try {
      const marker = JSON.parse(await readFile(join(dir, "oci-layout"), "utf8")) as {
        imageLayoutVersion?: string;
      };
      if (marker.imageLayoutVersion !== "1.0.0")
        throw new Error(`unsupported imageLayoutVersion ${marker.imageLayoutVersion}`);
    } catch (cause) {
      throw deliveryError(ErrorCode.ArtifactInvalid, `${dir} is not an OCI image layout`, { cause });
    }
  }
  const checkedDigest = (digest: string): Digest => {
    if (!isDigest(digest))
      throw deliveryError(ErrorCode.ArtifactInvalid, `bad digest ${JSON.stringify(digest)} in ${dir}`);
    return digest;
  };
  return {
    dir,
    async readIndex() {
      const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as ImageIndex;
      if (!Array.isArray(index.manifests))
        throw deliveryError(ErrorCode.ArtifactInvalid, `${dir}/index.json has no manifests`);
      return index;
    },
    async writeIndex(index) {
      await writeAtomic(join(dir, "index.json"), `${JSON.stringify(index, null, 2)}\n`);
    },
    async putBlob(bytes, mediaType, annotations) {
      const digest = sha256Digest(bytes);
      await writeAtomic(join(blobs, digest.slice(7)), bytes);
      return { mediaType, digest, size: bytes.length, ...(annotations ? { annotations } : {}) };
    },
    async putBlobFrom(source, mediaType, annotations) {
      const tmp = join(blobs, `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
      const hash = createSha256();
      try {
        await pipeline(
          typeof source === "string" ? createReadStream(source) : source,
          async function* (chunks: AsyncIterable<Buffer>) {
            for await (const chunk of chunks) {
              hash.update(chunk);
              yield chunk;
            }
          },
          createWriteStream(tmp, { flags: "wx", mode: 0o644 }),
        );
        const digest = hash.digest();
        await rename(tmp, join(blobs, digest.slice(7)));
        return { mediaType, digest, size: hash.size, ...(annotations ? { annotations } : {}) };
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    },
    blobFile(desc) {
      const digest = checkedDigest(desc.digest);
      return { path: join(blobs, digest.slice(7)), digest, size: desc.size };
    },
    async getBlob(digest) {
      const bytes = await readFile(join(blobs, checkedDigest(digest).slice(7)));
      if (sha256Digest(bytes) !== (digest as Digest))
        throw deliveryError(ErrorCode.ChecksumMismatch, `blob ${digest} in ${dir} does not match its digest`);
      return bytes;
    },
  };
}
