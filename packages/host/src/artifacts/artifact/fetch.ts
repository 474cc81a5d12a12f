import type { KeyObject } from "node:crypto";
import { ErrorCode, type Logger } from "@plugwire/contract";
import type { Digest } from "../digest.js";
import { deliveryError } from "../failure.js";
import type { FetchedManifest, RegistryClient } from "../oci/client.js";
import { type ImageIndex, type ImageManifest, isManifestMediaType } from "../oci/media-types.js";
import { type OciReference, withTarget } from "../oci/reference.js";
import {
  Annotation,
  type ArtifactSummary,
  chooseIndexEntry,
  chooseManifestLayer,
  hostPlatform,
  type Platform,
  type PlatformLayer,
  PluginMediaType,
  summarizeArtifact,
} from "./format.js";
import { type SignatureEnvelope, signatureTag } from "./sign.js";
import { decodeEnvelope, type SignaturePolicy, type SignatureStatus, verifySignatures } from "./verify.js";

const MAX_ENVELOPE_BYTES = 64 * 1024;

/** The signature envelopes stored for `digest` under its `sha256-<hex>.sig` tag (none → empty list). */
export async function readSignatures(
  client: RegistryClient,
  ref: OciReference,
  digest: Digest,
  signal?: AbortSignal,
  plugin?: string,
): Promise<SignatureEnvelope[]> {
  const sig = await client.findManifest(withTarget(ref, signatureTag(digest)), { signal });
  if (!sig) return [];
  const layers = ((sig.json as unknown as ImageManifest).layers ?? []).filter(
    (l) => l.mediaType === PluginMediaType.Signature,
  );
  const out: SignatureEnvelope[] = [];
  for (const layer of layers)
    out.push(
      decodeEnvelope(await client.fetchBlob(ref, layer, { signal, maxBytes: MAX_ENVELOPE_BYTES }), plugin),
    );
  return out;
}

/** An artifact resolved for this host: verified top-level digest, signature status and the chosen layer. */
export interface ResolvedArtifact {
  ref: OciReference;
  digest: Digest;
  summary: ArtifactSummary;
  /** Top-level annotations merged over the chosen platform manifest's. */
  annotations: Record<string, string>;
  signature: SignatureStatus;
  /** Digest of the signature envelope set (part of the re-staging identity). */
  signatureKeyId: string | undefined;
  layer: PlatformLayer;
}

/** Options for {@link resolveArtifact}. */
export interface ResolveArtifactOptions {
  keys: readonly (string | KeyObject)[];
  policy?: SignaturePolicy;
  platform?: Platform;
  plugin?: string;
  logger?: Logger;
  signal?: AbortSignal;
}

/**
 * Resolves `ref` to what this host should run, verifying before anything is downloaded: the manifest's
 * sha256 (against the reference's digest when pinned), the signatures (issue 6 rules, see
 * {@link verifySignatures}), then picks the host platform's manifest (index) or layer (single manifest).
 */
export async function resolveArtifact(
  client: RegistryClient,
  ref: OciReference,
  options: ResolveArtifactOptions,
): Promise<ResolvedArtifact> {
  const { plugin, signal } = options;
  const top = await client.getManifest(ref, { signal });
  const summary = summarizeArtifact(top.json, top.mediaType, plugin);
  const envelopes = await readSignatures(client, ref, top.digest, signal, plugin);
  const signature = verifySignatures({
    digest: top.digest,
    envelopes,
    keys: options.keys,
    policy: options.policy,
    plugin,
    logger: options.logger,
  });
  const want = options.platform ?? hostPlatform();
  let manifest: FetchedManifest = top;
  if (summary.kind === "index") {
    const entry = chooseIndexEntry(top.json as unknown as ImageIndex, want, plugin);
    // Fetched by digest: the client checks the bytes hash to the digest the (verified) index names.
    manifest = await client.getManifest(withTarget(ref, entry.digest), { signal });
    if (!isManifestMediaType(manifest.mediaType))
      throw deliveryError(ErrorCode.ArtifactInvalid, `index entry ${entry.digest} is not an image manifest`, {
        plugin,
      });
  }
  const layer = chooseManifestLayer(manifest.json as unknown as ImageManifest, want, plugin);
  const annotations = {
    ...((manifest.json.annotations ?? {}) as Record<string, string>),
    ...summary.annotations,
  };
  return {
    ref,
    digest: top.digest,
    summary,
    annotations,
    signature,
    signatureKeyId: signature.status === "verified" ? signature.keyId : undefined,
    layer,
  };
}

/**
 * The raw `org.ccf.plugin.protocol.version` annotation of `ref`: from the top-level manifest or index,
 * else from the host platform's manifest; undefined when neither has it.
 */
export async function readProtocolAnnotation(
  client: RegistryClient,
  ref: OciReference,
  options: { signal?: AbortSignal | undefined; platform?: Platform | undefined } = {},
): Promise<string | undefined> {
  const top = await client.getManifest(ref, { signal: options.signal });
  const fromTop = (top.json.annotations as Record<string, string> | undefined)?.[Annotation.ProtocolVersion];
  if (fromTop !== undefined) return fromTop;
  if (summarizeArtifact(top.json, top.mediaType).kind !== "index") return undefined;
  const entry = chooseIndexEntry(top.json as unknown as ImageIndex, options.platform ?? hostPlatform());
  const child = await client.getManifest(withTarget(ref, entry.digest), { signal: options.signal });
  return (child.json.annotations as Record<string, string> | undefined)?.[Annotation.ProtocolVersion];
}
