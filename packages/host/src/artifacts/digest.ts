import { createHash, type Hash } from "node:crypto";
import { ErrorCode } from "@plugwire/contract";
import { deliveryError } from "./failure.js";

/** An OCI content digest `sha256:<64 lowercase hex>` (the only algorithm plugwire accepts). */
export type Digest = `sha256:${string}`;

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** True if `value` is a well-formed sha256 digest. */
export function isDigest(value: unknown): value is Digest {
  return typeof value === "string" && DIGEST.test(value);
}

/** The sha256 digest of `bytes` (OCI image-spec descriptor.digest). */
export function sha256Digest(bytes: Uint8Array | string): Digest {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** A streaming sha256 that also counts bytes: `update` per chunk, `digest` once at the end. */
export interface Sha256Stream {
  update(chunk: Uint8Array): void;
  readonly size: number;
  digest(): Digest;
}

/** Creates a {@link Sha256Stream} (for content written or read in chunks, never held whole). */
export function createSha256(): Sha256Stream {
  const hash: Hash = createHash("sha256");
  let size = 0;
  return {
    update(chunk) {
      size += chunk.length;
      hash.update(chunk);
    },
    get size() {
      return size;
    },
    digest: () => `sha256:${hash.digest("hex")}`,
  };
}

/** A streaming sha256 + size check for one descriptor: `update` per chunk, `verify` at the end. */
export interface DigestCheck {
  update(chunk: Uint8Array): void;
  readonly size: number;
  /** Throws `CHECKSUM_MISMATCH` (permanent) if size or digest differ from the expected ones. */
  verify(): void;
}

/** Creates a {@link DigestCheck}; exceeding `expectedSize` throws as soon as it happens. */
export function createDigestCheck(
  expected: Digest,
  expectedSize: number | undefined,
  what: string,
): DigestCheck {
  const hash = createSha256();
  const mismatch = (message: string) =>
    deliveryError(ErrorCode.ChecksumMismatch, `${what}: ${message}`, { details: { expected, expectedSize } });
  return {
    update(chunk) {
      if (expectedSize !== undefined && hash.size + chunk.length > expectedSize)
        throw mismatch(`more than the declared ${expectedSize} bytes`);
      hash.update(chunk);
    },
    get size() {
      return hash.size;
    },
    verify() {
      if (expectedSize !== undefined && hash.size !== expectedSize)
        throw mismatch(`size ${hash.size} differs from the declared ${expectedSize}`);
      const actual = hash.digest();
      if (actual !== expected) throw mismatch(`digest ${actual} differs from the expected ${expected}`);
    },
  };
}
