import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCode } from "@plugwire/contract";
import { type Digest, isDigest, sha256Digest } from "../digest.js";
import { deliveryError } from "../failure.js";
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
  /** Reads a blob, verifying its digest. */
  getBlob(digest: string): Promise<Uint8Array>;
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
    async getBlob(digest) {
      if (!isDigest(digest))
        throw deliveryError(ErrorCode.ArtifactInvalid, `bad digest ${JSON.stringify(digest)} in ${dir}`);
      const bytes = await readFile(join(blobs, digest.slice(7)));
      if (sha256Digest(bytes) !== (digest as Digest))
        throw deliveryError(ErrorCode.ChecksumMismatch, `blob ${digest} in ${dir} does not match its digest`);
      return bytes;
    },
  };
}
