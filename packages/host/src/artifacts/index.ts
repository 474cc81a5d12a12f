// Plugin sources and signed artifact delivery (issue 6): the public surface of src/artifacts/.

export {
  type ResolvedArtifact,
  readProtocolAnnotation,
  readSignatures,
  resolveArtifact,
} from "./artifact/fetch.js";
export {
  Annotation,
  hostPlatform,
  type Platform,
  PluginMediaType,
  parsePlatform,
  protocolFromAnnotations,
} from "./artifact/format.js";
export { type PackageInput, type PackagePlatform, packageArtifact, signLayout } from "./artifact/package.js";
export { pushLayout, signRemote } from "./artifact/publish.js";
export {
  generateSigningKey,
  keyIdOf,
  parsePublicKey,
  type SignatureEnvelope,
  type SigningKeyPair,
  signatureTag,
  signDigest,
} from "./artifact/sign.js";
export { type SignaturePolicy, type SignatureStatus, verifySignatures } from "./artifact/verify.js";
export { type Digest, sha256Digest } from "./digest.js";
export { type FailureClass, failureClass } from "./failure.js";
export {
  type CredentialStore,
  chainCredentials,
  dockerConfigCredentials,
  type RegistryCredential,
  staticCredentials,
} from "./oci/auth.js";
export type { BlobFile } from "./oci/blob-body.js";
export {
  createRegistryClient,
  type RegistryClient,
  type RegistryClientOptions,
  type TransferProgress,
} from "./oci/client.js";
export { type OciLayout, openLayout } from "./oci/layout.js";
export { type OciReference, parseReference } from "./oci/reference.js";
export { assertSafeSegment } from "./safe-segment.js";
export { createOciAnnotationLookup, type OciAnnotationLookupOptions } from "./source/annotation-lookup.js";
export { classifySource, type PluginSource } from "./source/classify.js";
export { type ResolvedSource, type ResolveSourceOptions, resolvePluginSource } from "./source/resolve.js";
export {
  configHash,
  createDeliveryBackoff,
  type DeliveryBackoff,
  type DeliveryKey,
} from "./staging/backoff.js";
export { createLastKnownGood, type LastKnownGoodStore, type LaunchSpec } from "./staging/last-known-good.js";
export { applyLocalOverrides, type OverrideResult, type PluginAssignment } from "./staging/override.js";
export { type StagedPlugin, type StageOptions, stagePlugin } from "./staging/stage.js";
export {
  createTarGz,
  DEFAULT_TAR_LIMITS,
  extractTarGz,
  type TarFileOnDisk,
  type TarLimits,
  tarGzFromFiles,
} from "./staging/tarball.js";
