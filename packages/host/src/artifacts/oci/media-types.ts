/** OCI image-spec media types (image-spec v1.1 media-types.md). */
export const OciMediaType = {
  Manifest: "application/vnd.oci.image.manifest.v1+json",
  Index: "application/vnd.oci.image.index.v1+json",
  Empty: "application/vnd.oci.empty.v1+json",
  LayerTarGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

/** Docker distribution media types (image-manifest-v2-2), read as their OCI equivalents. */
export const DockerMediaType = {
  Manifest: "application/vnd.docker.distribution.manifest.v2+json",
  ManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  LayerTarGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

/** Every manifest media type the client accepts, for the `Accept` header of manifest requests. */
export const MANIFEST_ACCEPT = [
  OciMediaType.Index,
  OciMediaType.Manifest,
  DockerMediaType.ManifestList,
  DockerMediaType.Manifest,
];

/** True for an index-like media type (OCI index or Docker manifest list). */
export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === OciMediaType.Index || mediaType === DockerMediaType.ManifestList;
}

/** True for an image-manifest-like media type (OCI or Docker v2 schema 2). */
export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType === OciMediaType.Manifest || mediaType === DockerMediaType.Manifest;
}

/** True for a gzip tar layer, OCI or Docker. */
export function isTarGzipMediaType(mediaType: string | undefined): boolean {
  return mediaType === OciMediaType.LayerTarGzip || mediaType === DockerMediaType.LayerTarGzip;
}

/** An OCI content descriptor (image-spec descriptor.md). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string };
  artifactType?: string;
  urls?: string[];
}

/** An OCI image manifest (or Docker v2 schema 2 manifest). */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An OCI image index (or Docker manifest list). */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}
