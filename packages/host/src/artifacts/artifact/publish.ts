import type { Digest } from "../digest.js";
import type { RegistryClient } from "../oci/client.js";
import { type OciLayout, openLayout } from "../oci/layout.js";
import {
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  isIndexMediaType,
  OciMediaType,
} from "../oci/media-types.js";
import { type OciReference, withTarget } from "../oci/reference.js";
import { readSignatures } from "./fetch.js";
import { EMPTY_CONFIG, PluginMediaType } from "./format.js";
import { layoutArtifact, layoutSignatures } from "./package.js";
import { encodeEnvelope, signatureManifest, signatureTag, signDigest } from "./sign.js";

/** What {@link pushLayout} uploaded. */
export interface PushResult {
  digest: Digest;
  /** The reference pinned by digest (`registry/repo:tag@sha256:…`). */
  pinned: string;
  signatures: number;
}

async function pushManifestTree(
  client: RegistryClient,
  ref: OciReference,
  layout: OciLayout,
  desc: Descriptor,
  target: string,
  signal?: AbortSignal,
) {
  const bytes = await layout.getBlob(desc.digest);
  const parsed = JSON.parse(Buffer.from(bytes).toString("utf8")) as ImageManifest & ImageIndex;
  if (isIndexMediaType(desc.mediaType)) {
    for (const child of parsed.manifests)
      await pushManifestTree(client, ref, layout, child, child.digest, signal);
  } else {
    // Streamed from the layout: plugin layers may be hundreds of MiB.
    for (const blob of [parsed.config, ...parsed.layers])
      await client.pushBlobFile(ref, layout.blobFile(blob), { signal });
  }
  await client.putManifest(ref, target, bytes, desc.mediaType, { signal });
}

/**
 * Uploads a layout's artifact to `ref` (blobs, per-platform manifests by digest, then the index under
 * the reference's tag, or by digest when the reference has none) and its signature manifest under the
 * `sha256-<hex>.sig` tag.
 */
export async function pushLayout(
  client: RegistryClient,
  dir: string,
  ref: OciReference,
  signal?: AbortSignal,
): Promise<PushResult> {
  const layout = await openLayout(dir);
  const artifact = await layoutArtifact(layout);
  const digest = artifact.digest as Digest;
  await pushManifestTree(client, ref, layout, artifact, ref.tag ?? digest, signal);
  const sigs = await layoutSignatures(layout, digest);
  if (sigs.manifest) await pushManifestTree(client, ref, layout, sigs.manifest, signatureTag(digest), signal);
  return {
    digest,
    pinned: `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}@${digest}`,
    signatures: sigs.envelopes.length,
  };
}

/**
 * Signs an artifact already in a registry (like `cosign sign`): resolves `ref` to its digest, adds an
 * envelope to the signature manifest under `sha256-<hex>.sig` (replacing this key's earlier one).
 */
export async function signRemote(
  client: RegistryClient,
  ref: OciReference,
  privateKeyPem: string,
  signal?: AbortSignal,
) {
  const top = await client.getManifest(ref, { signal });
  const envelope = signDigest(top.digest, privateKeyPem);
  const existing = await readSignatures(client, ref, top.digest, signal);
  const envelopes: Uint8Array[] = [
    ...existing.filter((e) => e.keyId !== envelope.keyId).map(encodeEnvelope),
    encodeEnvelope(envelope),
  ];
  await client.pushBlob(ref, EMPTY_CONFIG, { signal });
  const layers: { descriptor: Descriptor }[] = [];
  for (const bytes of envelopes) {
    const d = await client.pushBlob(ref, bytes, { signal });
    layers.push({ descriptor: { ...d, mediaType: PluginMediaType.Signature } });
  }
  const subject: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length };
  const manifest = new TextEncoder().encode(JSON.stringify(signatureManifest(subject, layers)));
  await client.putManifest(
    withTarget(ref, signatureTag(top.digest)),
    signatureTag(top.digest),
    manifest,
    OciMediaType.Manifest,
    { signal },
  );
  return envelope;
}
