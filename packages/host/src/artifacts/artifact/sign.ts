import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from "node:crypto";
import { ErrorCode } from "@plugwire/contract";
import type { Digest } from "../digest.js";
import { deliveryError } from "../failure.js";
import { type Descriptor, type ImageManifest, OciMediaType } from "../oci/media-types.js";
import { EMPTY_DESCRIPTOR, PluginMediaType } from "./format.js";

/** An ed25519 key pair as PEM (PKCS#8 private, SPKI public) plus its key id. */
export interface SigningKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
  keyId: string;
}

/**
 * One signature (docs/artifact-format.md): ed25519 over {@link signedMessage}(digest), base64, with the
 * signer's key id so verifiers pick the right public key.
 */
export interface SignatureEnvelope {
  schema: "plugwire.signature.v1";
  digest: Digest;
  keyId: string;
  signature: string;
}

/** Annotation on signature manifests naming the signed digest (the `subject` says it too). */
export const SIGNATURE_SUBJECT_ANNOTATION = "org.plugwire.signature.subject";

/**
 * The bytes that are signed: a fixed context line and the artifact digest. The context keeps a
 * plugwire signature from being replayed as a signature of anything else.
 */
export function signedMessage(digest: Digest): Uint8Array {
  return new TextEncoder().encode(`plugwire-signature-v1\n${digest}\n`);
}

/** The key id of a public key: the first 16 hex digits of sha256 over its SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("hex")
    .slice(0, 16);
}

/** A fresh ed25519 key pair (node:crypto). */
export function generateSigningKey(): SigningKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return {
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/** Parses an ed25519 public key from PEM, with a clear error for anything else. */
export function parsePublicKey(pem: string | KeyObject, label = "public key"): KeyObject {
  try {
    const key = typeof pem === "string" ? createPublicKey(pem) : pem;
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`not ed25519 but ${key.asymmetricKeyType}`);
    return key.type === "private" ? createPublicKey(key) : key;
  } catch (cause) {
    throw deliveryError(ErrorCode.ConfigInvalid, `${label} is not an ed25519 public key PEM`, { cause });
  }
}

/** Signs `digest` with an ed25519 private key PEM. */
export function signDigest(digest: Digest, privateKeyPem: string): SignatureEnvelope {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`not ed25519 but ${key.asymmetricKeyType}`);
  } catch (cause) {
    throw deliveryError(ErrorCode.ConfigInvalid, "signing key is not an ed25519 private key PEM", { cause });
  }
  return {
    schema: "plugwire.signature.v1",
    digest,
    keyId: keyIdOf(createPublicKey(key)),
    signature: sign(null, signedMessage(digest), key).toString("base64"),
  };
}

/** The registry tag signatures of `digest` live under (cosign's convention: `sha256-<hex>.sig`). */
export function signatureTag(digest: Digest): string {
  return `${digest.replace(":", "-")}.sig`;
}

/**
 * A signature manifest: OCI 1.1 artifact (`artifactType` {@link PluginMediaType.Signature}, empty config)
 * with one envelope layer per signature and `subject` pointing at the signed artifact, so registries with
 * the referrers API list it as well as the tag.
 */
export function signatureManifest(
  subject: Descriptor,
  envelopes: { descriptor: Descriptor }[],
): ImageManifest {
  return {
    schemaVersion: 2,
    mediaType: OciMediaType.Manifest,
    artifactType: PluginMediaType.Signature,
    config: EMPTY_DESCRIPTOR,
    layers: envelopes.map((e) => e.descriptor),
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: { [SIGNATURE_SUBJECT_ANNOTATION]: subject.digest },
  };
}

/** Serialises an envelope (the bytes of its layer). */
export function encodeEnvelope(envelope: SignatureEnvelope): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(envelope)}\n`);
}
