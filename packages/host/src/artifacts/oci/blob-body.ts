import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { ErrorCode } from "@plugwire/contract";
import { createDigestCheck, type Digest } from "../digest.js";
import { deliveryError } from "../failure.js";

/** A blob to upload from a file: its path and the descriptor facts the upload must match. */
export interface BlobFile {
  path: string;
  digest: Digest;
  size: number;
}

/**
 * The body of a monolithic blob upload (distribution spec: `PUT <location>?digest=…` with
 * `Content-Length`), read from `file` in chunks instead of into memory. Every chunk is hashed before it
 * is sent, and the final chunk is held back until size and digest are verified: a file that changed
 * after it was described fails with `CHECKSUM_MISMATCH` and the registry never receives a complete body,
 * so nothing bad is committed. `onChunk` gets the bytes read so far (idle timer, progress).
 */
export function verifiedFileBody(
  file: BlobFile,
  onChunk: (bytesRead: number) => void,
): ReadableStream<Uint8Array> {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    const check = createDigestCheck(file.digest, file.size, `blob ${file.digest} from ${file.path}`);
    let held: Uint8Array | undefined;
    for await (const chunk of createReadStream(file.path) as AsyncIterable<Buffer>) {
      check.update(chunk);
      onChunk(check.size);
      if (held) yield held;
      held = chunk;
    }
    check.verify();
    if (held) yield held;
  }
  return ReadableStream.from(chunks());
}

/**
 * Checks, before any request, that `file` is a readable regular file of the declared size: a missing
 * file is `ARTIFACT_INVALID` and a wrong size `CHECKSUM_MISMATCH` (both permanent), not a network error.
 */
export async function assertBlobFile(file: BlobFile): Promise<void> {
  let size: number;
  try {
    const s = await stat(file.path);
    if (!s.isFile()) throw new Error("not a regular file");
    size = s.size;
  } catch (cause) {
    throw deliveryError(ErrorCode.ArtifactInvalid, `blob ${file.digest}: cannot read ${file.path}`, {
      cause,
    });
  }
  if (size !== file.size)
    throw deliveryError(
      ErrorCode.ChecksumMismatch,
      `blob ${file.digest} from ${file.path}: size ${size} differs from the declared ${file.size}`,
      { details: { expected: file.digest, expectedSize: file.size } },
    );
}
