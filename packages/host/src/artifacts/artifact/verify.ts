import { type KeyObject, verify } from "node:crypto";
import { ErrorCode, type Logger } from "@plugwire/contract";
import type { Digest } from "../digest.js";
import { deliveryError } from "../failure.js";
import { keyIdOf, parsePublicKey, type SignatureEnvelope, signedMessage } from "./sign.js";

/** What the host demands of signatures. */
export interface SignaturePolicy {
  /** Reject unsigned artifacts (default false: they run with a warning). */
  requireSignature?: boolean;
}

/** The outcome of {@link verifySignatures} when it does not throw. */
export type SignatureStatus = { status: "verified"; keyId: string } | { status: "unsigned" };

/** Parses an envelope layer's bytes; malformed envelopes are `SIGNATURE_INVALID`. */
export function decodeEnvelope(bytes: Uint8Array, plugin?: string): SignatureEnvelope {
  try {
    const e = JSON.parse(Buffer.from(bytes).toString("utf8")) as SignatureEnvelope;
    if (
      e.schema !== "plugwire.signature.v1" ||
      typeof e.digest !== "string" ||
      typeof e.keyId !== "string" ||
      typeof e.signature !== "string"
    )
      throw new Error("missing fields");
    return e;
  } catch (cause) {
    throw deliveryError(ErrorCode.SignatureInvalid, "signature envelope is malformed", { plugin, cause });
  }
}

/**
 * Applies the signature rules of issue 6 to an artifact digest:
 * - signatures present, no key configured → `SIGNATURE_INVALID` (fail closed);
 * - signatures present → one must be by a configured key and verify (ed25519 over the digest), else
 *   `SIGNATURE_INVALID`;
 * - no signature and `requireSignature` → `SIGNATURE_INVALID`; otherwise `unsigned` with a warning.
 */
export function verifySignatures(args: {
  digest: Digest;
  envelopes: SignatureEnvelope[];
  keys: readonly (string | KeyObject)[];
  policy?: SignaturePolicy;
  plugin?: string;
  logger?: Logger;
}): SignatureStatus {
  const { digest, envelopes, plugin } = args;
  const fail = (message: string, details: Record<string, unknown> = {}) =>
    deliveryError(ErrorCode.SignatureInvalid, message, { plugin, details: { digest, ...details } });
  if (envelopes.length === 0) {
    if (args.policy?.requireSignature)
      throw fail(`artifact ${digest} is unsigned and the policy requires a signature`);
    args.logger?.warn(
      { plugin, digest },
      "artifact is unsigned; running it because signatures are not required",
    );
    return { status: "unsigned" };
  }
  if (args.keys.length === 0)
    throw fail(`artifact ${digest} is signed but no public key is configured to verify it (failing closed)`);
  const keys = new Map<string, KeyObject>();
  for (const [i, k] of args.keys.entries()) {
    const key = parsePublicKey(k, `public key #${i + 1}`);
    keys.set(keyIdOf(key), key);
  }
  const seen: string[] = [];
  for (const envelope of envelopes) {
    seen.push(envelope.keyId);
    const key = keys.get(envelope.keyId);
    if (!key || envelope.digest !== digest) continue;
    const ok = verify(null, signedMessage(digest), key, Buffer.from(envelope.signature, "base64"));
    if (ok) return { status: "verified", keyId: envelope.keyId };
    throw fail(`signature by key ${envelope.keyId} does not verify for ${digest}`, { keyId: envelope.keyId });
  }
  throw fail(
    `no signature of ${digest} is by a configured key (signed by ${seen.join(", ")}; configured ${[...keys.keys()].join(", ")})`,
    {
      signedBy: seen,
      configured: [...keys.keys()],
    },
  );
}
