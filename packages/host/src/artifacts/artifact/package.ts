import { basename } from "node:path";
import { ErrorCode } from "@plugwire/contract";
import type { Digest } from "../digest.js";
import { deliveryError } from "../failure.js";
import { type OciLayout, openLayout } from "../oci/layout.js";
import { type Descriptor, type ImageIndex, type ImageManifest, OciMediaType } from "../oci/media-types.js";
import { assertSafeSegment } from "../safe-segment.js";
import { tarGzFromFiles } from "../staging/tarball.js";
import { Annotation, EMPTY_CONFIG, PluginMediaType, type PluginRuntime, parsePlatform } from "./format.js";
import {
  encodeEnvelope,
  SIGNATURE_SUBJECT_ANNOTATION,
  type SignatureEnvelope,
  signatureManifest,
  signDigest,
} from "./sign.js";

/** One platform's payload for {@link packageArtifact}. */
export interface PackagePlatform {
  /** `os/arch` (`linux/amd64`) or `any` for runtime-independent payloads such as a Node entry script. */
  platform: string;
  /** The file to run. Its base name becomes the staged file name. */
  entry: string;
  /** Extra files shipped next to the entry; any extra file makes the layer a tarball. */
  files?: string[];
  /** Force a gzip tarball layer even for a single file. */
  tarball?: boolean;
  /** `exec` (default) runs the entry; `node` runs it with the host's Node. */
  runtime?: PluginRuntime;
}

/** What {@link packageArtifact} builds. */
export interface PackageInput {
  name: string;
  version: string;
  /** Written as `org.ccf.plugin.protocol.version`. */
  protocolVersion?: 1 | 2;
  platforms: PackagePlatform[];
  annotations?: Record<string, string>;
}

/** The layout's artifact entry: the index descriptor and its digest. */
export interface PackagedArtifact {
  digest: Digest;
  descriptor: Descriptor;
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

async function layerFor(layout: OciLayout, p: PackagePlatform): Promise<Descriptor> {
  const entry = assertSafeSegment("entry name", basename(p.entry));
  const annotations: Record<string, string> = { [Annotation.Entry]: entry, [Annotation.OciTitle]: entry };
  if (p.runtime && p.runtime !== "exec") annotations[Annotation.Runtime] = p.runtime;
  // Streamed into the layout: binaries may be hundreds of MiB.
  if (!p.tarball && !p.files?.length) return layout.putBlobFrom(p.entry, PluginMediaType.Binary, annotations);
  const files = [{ name: entry, path: p.entry, mode: 0o755 }];
  for (const f of p.files ?? [])
    files.push({ name: assertSafeSegment("file name", basename(f)), path: f, mode: 0o644 });
  return layout.putBlobFrom(tarGzFromFiles(files), OciMediaType.LayerTarGzip, annotations);
}

/**
 * Builds a plugin artifact in an OCI image layout (docs/artifact-format.md): one image manifest per
 * platform (empty config, one layer: the binary, or a gzip tarball), wrapped in an image index whose
 * descriptors carry the platforms; name, version and protocol version are annotations on the index and
 * on each manifest. The layout's `index.json` then lists that index (tagged with the version).
 */
export async function packageArtifact(dir: string, input: PackageInput): Promise<PackagedArtifact> {
  assertSafeSegment("plugin name", input.name);
  assertSafeSegment("plugin version", input.version);
  if (input.platforms.length === 0) throw deliveryError(ErrorCode.ConfigInvalid, "no platforms to package");
  const annotations: Record<string, string> = {
    ...input.annotations,
    [Annotation.PluginName]: input.name,
    [Annotation.PluginVersion]: input.version,
    [Annotation.OciVersion]: input.version,
  };
  if (input.protocolVersion !== undefined)
    annotations[Annotation.ProtocolVersion] = String(input.protocolVersion);
  const layout = await openLayout(dir, { create: true });
  const config = await layout.putBlob(EMPTY_CONFIG, OciMediaType.Empty);
  const seen = new Set<string>();
  const manifests: Descriptor[] = [];
  for (const p of input.platforms) {
    const platform = parsePlatform(p.platform);
    const key = `${platform.os}/${platform.architecture}`;
    if (seen.has(key)) throw deliveryError(ErrorCode.ConfigInvalid, `platform ${key} given twice`);
    seen.add(key);
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: OciMediaType.Manifest,
      artifactType: PluginMediaType.Artifact,
      config,
      layers: [await layerFor(layout, p)],
      annotations,
    };
    const desc = await layout.putBlob(json(manifest), OciMediaType.Manifest);
    manifests.push({ ...desc, artifactType: PluginMediaType.Artifact, platform });
  }
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: OciMediaType.Index,
    artifactType: PluginMediaType.Artifact,
    manifests,
    annotations,
  };
  const descriptor = await layout.putBlob(json(index), OciMediaType.Index);
  await layout.writeIndex({
    schemaVersion: 2,
    mediaType: OciMediaType.Index,
    manifests: [{ ...descriptor, annotations: { "org.opencontainers.image.ref.name": input.version } }],
  });
  return { digest: descriptor.digest as Digest, descriptor };
}

/** The artifact entry of a layout (the one that is not a signature). */
export async function layoutArtifact(layout: OciLayout): Promise<Descriptor> {
  const index = await layout.readIndex();
  const entry = index.manifests.find((m) => m.artifactType !== PluginMediaType.Signature);
  if (!entry) throw deliveryError(ErrorCode.ArtifactInvalid, `${layout.dir} holds no plugin artifact`);
  return entry;
}

/** The signature envelopes a layout holds for `digest`. */
export async function layoutSignatures(
  layout: OciLayout,
  digest: string,
): Promise<{ manifest?: Descriptor; envelopes: Descriptor[] }> {
  const index = await layout.readIndex();
  const manifest = index.manifests.find(
    (m) =>
      m.artifactType === PluginMediaType.Signature &&
      m.annotations?.[SIGNATURE_SUBJECT_ANNOTATION] === digest,
  );
  if (!manifest) return { envelopes: [] };
  const parsed = JSON.parse(
    Buffer.from(await layout.getBlob(manifest.digest)).toString("utf8"),
  ) as ImageManifest;
  return { manifest, envelopes: parsed.layers };
}

/**
 * Signs the layout's artifact with an ed25519 private key: adds an envelope layer to the signature
 * manifest for its digest (signing again with another key keeps earlier signatures; the same key
 * replaces its own) and lists that manifest in `index.json`.
 */
export async function signLayout(dir: string, privateKeyPem: string): Promise<SignatureEnvelope> {
  const layout = await openLayout(dir);
  const subject = await layoutArtifact(layout);
  const envelope = signDigest(subject.digest as Digest, privateKeyPem);
  const previous = await layoutSignatures(layout, subject.digest);
  const kept: Descriptor[] = [];
  for (const d of previous.envelopes) {
    const old = JSON.parse(Buffer.from(await layout.getBlob(d.digest)).toString("utf8")) as SignatureEnvelope;
    if (old.keyId !== envelope.keyId) kept.push(d);
  }
  await layout.putBlob(EMPTY_CONFIG, OciMediaType.Empty);
  const layer = await layout.putBlob(encodeEnvelope(envelope), PluginMediaType.Signature);
  const manifest = signatureManifest(
    subject,
    [...kept, layer].map((descriptor) => ({ descriptor })),
  );
  const desc = await layout.putBlob(json(manifest), OciMediaType.Manifest);
  const index = await layout.readIndex();
  index.manifests = [
    ...index.manifests.filter((m) => m !== previous.manifest && m.digest !== previous.manifest?.digest),
    {
      ...desc,
      artifactType: PluginMediaType.Signature,
      annotations: { [SIGNATURE_SUBJECT_ANNOTATION]: subject.digest },
    },
  ];
  await layout.writeIndex(index);
  return envelope;
}
