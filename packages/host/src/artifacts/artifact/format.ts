import { ErrorCode } from "@plugwire/contract";
import { deliveryError } from "../failure.js";
import {
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  isIndexMediaType,
  isManifestMediaType,
  isTarGzipMediaType,
  OciMediaType,
} from "../oci/media-types.js";

/** Annotation keys of a plugwire plugin artifact (docs/artifact-format.md). */
export const Annotation = {
  /** Runner protocol version "1" or "2" (runner-wire.md: decides when config has no protocol_version). */
  ProtocolVersion: "org.ccf.plugin.protocol.version",
  PluginName: "org.plugwire.plugin.name",
  PluginVersion: "org.plugwire.plugin.version",
  /** On a layer: the file to run — the binary's staged name, or the entry inside a tarball. */
  Entry: "org.plugwire.plugin.entry",
  /** On a layer: `exec` (run the entry itself, default) or `node` (run it with the host's Node). */
  Runtime: "org.plugwire.plugin.runtime",
  /** On a layer of a single-manifest artifact: `os/arch` it is for (absent or `any/any`: every platform). */
  Platform: "org.plugwire.platform",
  OciVersion: "org.opencontainers.image.version",
  OciTitle: "org.opencontainers.image.title",
} as const;

/** Media types plugwire defines for its artifacts. */
export const PluginMediaType = {
  /** `artifactType` of plugin manifests and indexes. */
  Artifact: "application/vnd.plugwire.plugin.v1",
  /** A layer that is the executable itself. */
  Binary: "application/vnd.plugwire.plugin.binary.v1",
  /** `artifactType` of signature manifests, and the media type of their envelope layers. */
  Signature: "application/vnd.plugwire.signature.v1+json",
} as const;

/** The empty config blob `{}` OCI 1.1 artifacts use. */
export const EMPTY_CONFIG = new TextEncoder().encode("{}");
/** Descriptor of {@link EMPTY_CONFIG}. */
export const EMPTY_DESCRIPTOR: Descriptor = {
  mediaType: OciMediaType.Empty,
  digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
  size: 2,
};

/** The wildcard platform of runtime-independent layers (e.g. a Node entry script). */
export const ANY_PLATFORM = "any/any";

/** An OCI os/arch pair. */
export interface Platform {
  os: string;
  architecture: string;
}

/** The OCI platform of this Node process (`process.platform`/`process.arch` mapped to GOOS/GOARCH names). */
export function hostPlatform(): Platform {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const arch = { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x" }[
    process.arch as string
  ];
  return { os, architecture: arch ?? process.arch };
}

/** Parses `os/arch` (or `any`). */
export function parsePlatform(text: string): Platform {
  if (text === "any") return { os: "any", architecture: "any" };
  const [os, architecture, ...rest] = text.split("/");
  if (!os || !architecture || rest.length > 0)
    throw deliveryError(ErrorCode.ConfigInvalid, `platform ${JSON.stringify(text)} is not os/arch`);
  return { os, architecture };
}

/** How the host runs a staged layer. */
export type PluginRuntime = "exec" | "node";

/** One platform's layer of a plugin artifact. */
export interface PlatformLayer {
  platform: string;
  layer: Descriptor;
  kind: "binary" | "tarball";
  entry: string;
  runtime: PluginRuntime;
}

/** What a top-level manifest or index says about the plugin. */
export interface ArtifactSummary {
  kind: "index" | "manifest";
  annotations: Record<string, string>;
  /** Platforms on offer, `os/arch`. */
  platforms: string[];
}

function bad(message: string, plugin?: string) {
  return deliveryError(ErrorCode.ArtifactInvalid, message, { plugin });
}

const platformText = (p: Descriptor["platform"]) => (p ? `${p.os}/${p.architecture}` : ANY_PLATFORM);

/** Summarises a top-level manifest or index (no further fetches). */
export function summarizeArtifact(
  json: Record<string, unknown>,
  mediaType: string,
  plugin?: string,
): ArtifactSummary {
  const annotations = (json.annotations ?? {}) as Record<string, string>;
  if (isIndexMediaType(mediaType)) {
    const index = json as unknown as ImageIndex;
    if (!Array.isArray(index.manifests)) throw bad("index without manifests", plugin);
    return { kind: "index", annotations, platforms: index.manifests.map((m) => platformText(m.platform)) };
  }
  if (isManifestMediaType(mediaType)) {
    const manifest = json as unknown as ImageManifest;
    if (!Array.isArray(manifest.layers)) throw bad("manifest without layers", plugin);
    return {
      kind: "manifest",
      annotations,
      platforms: manifest.layers.map((l) => l.annotations?.[Annotation.Platform] ?? ANY_PLATFORM),
    };
  }
  throw bad(`unsupported manifest media type ${JSON.stringify(mediaType)}`, plugin);
}

/** Picks the entry for `want` among `options` (exact os/arch first, then `any/any`), or throws `WRONG_ARCHITECTURE` listing what exists. */
export function choosePlatform<T>(
  options: { platform: string; value: T }[],
  want: Platform,
  plugin?: string,
): T {
  const exact = options.find((o) => o.platform === `${want.os}/${want.architecture}`);
  const any = options.find((o) => o.platform === ANY_PLATFORM);
  const chosen = exact ?? any;
  if (!chosen)
    throw deliveryError(
      ErrorCode.WrongArchitecture,
      `no layer for ${want.os}/${want.architecture}; the artifact has ${options.map((o) => o.platform).join(", ") || "none"}`,
      { plugin, details: { available: options.map((o) => o.platform) } },
    );
  return chosen.value;
}

/** The index entry for the host platform (an index's `manifests[].platform`). */
export function chooseIndexEntry(index: ImageIndex, want: Platform, plugin?: string): Descriptor {
  const entries = index.manifests.filter((m) => m.artifactType !== PluginMediaType.Signature);
  return choosePlatform(
    entries.map((m) => ({ platform: platformText(m.platform), value: m })),
    want,
    plugin,
  );
}

/** Reads one layer's kind, entry and runtime from its media type and annotations. */
export function describeLayer(layer: Descriptor, platform: string, plugin?: string): PlatformLayer {
  const kind =
    layer.mediaType === PluginMediaType.Binary
      ? "binary"
      : isTarGzipMediaType(layer.mediaType)
        ? "tarball"
        : undefined;
  if (!kind)
    throw bad(`layer ${layer.digest} has unsupported media type ${JSON.stringify(layer.mediaType)}`, plugin);
  const entry = layer.annotations?.[Annotation.Entry] ?? layer.annotations?.[Annotation.OciTitle];
  if (!entry) throw bad(`layer ${layer.digest} names no entry (${Annotation.Entry})`, plugin);
  const runtime = layer.annotations?.[Annotation.Runtime] ?? "exec";
  if (runtime !== "exec" && runtime !== "node")
    throw bad(`layer ${layer.digest} has unknown runtime ${JSON.stringify(runtime)}`, plugin);
  if (typeof layer.size !== "number" || layer.size < 0)
    throw bad(`layer ${layer.digest} has no valid size`, plugin);
  return { platform, layer, kind, entry, runtime };
}

/** The host platform's layer of an image manifest: its only layer, or the one annotated for the platform. */
export function chooseManifestLayer(manifest: ImageManifest, want: Platform, plugin?: string): PlatformLayer {
  const layers = manifest.layers.filter((l) => l.mediaType !== PluginMediaType.Signature);
  const options = layers.map((l) => ({
    platform: l.annotations?.[Annotation.Platform] ?? ANY_PLATFORM,
    value: l,
  }));
  const [only] = options;
  if (options.length === 1 && only && only.platform === ANY_PLATFORM)
    return describeLayer(only.value, only.platform, plugin);
  const layer = choosePlatform(options, want, plugin);
  return describeLayer(layer, options.find((o) => o.value === layer)?.platform ?? ANY_PLATFORM, plugin);
}

/**
 * The runner protocol version an artifact declares (`org.ccf.plugin.protocol.version`): 1 or 2, or
 * `undefined` with a reason when absent or invalid (runner-wire.md: the caller warns and uses 1).
 */
export function protocolFromAnnotations(annotations: Record<string, string> | undefined): {
  version?: 1 | 2;
  problem?: string;
} {
  const raw = annotations?.[Annotation.ProtocolVersion];
  if (raw === undefined) return { problem: `no ${Annotation.ProtocolVersion} annotation` };
  if (raw === "1" || raw === "2") return { version: Number(raw) as 1 | 2 };
  return { problem: `invalid ${Annotation.ProtocolVersion} annotation ${JSON.stringify(raw)}` };
}
