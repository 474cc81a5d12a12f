import { createHash, timingSafeEqual } from "node:crypto";
import { createReadStream } from "node:fs";
import { ErrorCode, PlugwireError } from "@plugwire/contract";

/**
 * go-plugin's SecureConfig (go-plugin-wire.md §4): the executable's hash must equal the expected one,
 * compared in constant time, checked before exec.
 */
export interface SecureConfig {
  /** Expected digest, hex. */
  checksum: string;
  /** Hash algorithm; go-plugin users almost always use sha256. */
  hash?: "sha256" | "sha512";
}

/** Hashes `path` and throws CHECKSUM_MISMATCH when it differs from `config.checksum`. */
export async function verifyChecksum(path: string, config: SecureConfig, plugin: string): Promise<void> {
  const algorithm = config.hash ?? "sha256";
  if (!/^[0-9a-fA-F]+$/.test(config.checksum)) {
    throw new PlugwireError(ErrorCode.ConfigInvalid, "secureConfig.checksum must be a hex digest", {
      plugin,
    });
  }
  const expected = Buffer.from(config.checksum, "hex");
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const actual = hash.digest();
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new PlugwireError(
      ErrorCode.ChecksumMismatch,
      `checksum of ${path} does not match the configured ${algorithm}`,
      {
        plugin,
        details: { expected: config.checksum.toLowerCase(), actual: actual.toString("hex") },
      },
    );
  }
}
