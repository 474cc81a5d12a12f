import type { KeyObject } from "node:crypto";
import { rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { ErrorCode, type Logger } from "@plugwire/contract";
import { resolveArtifact } from "../artifact/fetch.js";
import {
  Annotation,
  type Platform,
  type PluginRuntime,
  protocolFromAnnotations,
} from "../artifact/format.js";
import type { SignaturePolicy, SignatureStatus } from "../artifact/verify.js";
import { createDigestCheck, type Digest } from "../digest.js";
import { deliveryError } from "../failure.js";
import type { RegistryClient } from "../oci/client.js";
import { statusError, streamToFile, timedFetch } from "../oci/http.js";
import { isLoopbackRegistry, type OciReference } from "../oci/reference.js";
import { assertSafeSegment } from "../safe-segment.js";
import { type StagedPlugin, stagePlugin } from "../staging/stage.js";
import { extractTarGz } from "../staging/tarball.js";
import { fetchArtifactSignature } from "./https-signature.js";

/** What a delivery produced: how to run it and what was verified. */
export interface Delivery {
  command: string;
  args: string[];
  version?: string;
  digest?: Digest;
  signature?: SignatureStatus;
  /** The artifact's `org.ccf.plugin.protocol.version`, when valid. */
  protocolVersionAnnotation?: 1 | 2;
  staged?: StagedPlugin;
}

/** Shared inputs of the delivery functions. */
export interface DeliveryContext {
  id: string;
  stagingRoot: string;
  client: RegistryClient;
  keys: readonly (string | KeyObject)[];
  policy?: SignaturePolicy | undefined;
  platform?: Platform | undefined;
  logger?: Logger | undefined;
  signal?: AbortSignal | undefined;
  /** Extra hosts allowed over plain http (loopback always is). */
  insecure?: boolean | readonly string[] | undefined;
  timeoutMs: number;
  keep?: number | undefined;
  activate?: ((binary: string) => Promise<void>) | undefined;
  /** Called once the artifact digest is known, before anything is downloaded (backoff check). */
  onDigest?: ((digest: Digest, version: string | undefined) => void) | undefined;
}

/** How to run a staged entry: itself, or with this Node for `runtime: node` layers. */
function launchOf(binary: string, runtime: PluginRuntime): { command: string; args: string[] } {
  return runtime === "node" ? { command: process.execPath, args: [binary] } : { command: binary, args: [] };
}

/** Pulls, verifies and stages an OCI artifact (docs/artifact-format.md). */
export async function deliverOci(ref: OciReference, ctx: DeliveryContext): Promise<Delivery> {
  const art = await resolveArtifact(ctx.client, ref, {
    keys: ctx.keys,
    policy: ctx.policy,
    platform: ctx.platform,
    plugin: ctx.id,
    logger: ctx.logger,
    signal: ctx.signal,
  });
  const version = assertSafeSegment(
    "plugin version",
    art.annotations[Annotation.PluginVersion] ??
      art.annotations[Annotation.OciVersion] ??
      ref.tag ??
      `sha256-${art.digest.slice(7, 19)}`,
    ctx.id,
  );
  ctx.onDigest?.(art.digest, version);
  const { layer } = art;
  const staged = await stagePlugin({
    root: ctx.stagingRoot,
    id: ctx.id,
    version,
    digest: art.digest,
    signature: art.signatureKeyId,
    entry: layer.entry,
    plugin: ctx.id,
    signal: ctx.signal,
    keep: ctx.keep,
    activate: ctx.activate,
    fill: async (dir, signal) => {
      if (layer.kind === "binary")
        return ctx.client.downloadBlob(ref, layer.layer, join(dir, layer.entry), { signal });
      // A dot-name cannot collide with an entry: tarball names must be safe segments, which never start with a dot.
      const archive = join(dir, ".layer.tar.gz");
      await ctx.client.downloadBlob(ref, layer.layer, archive, { signal });
      await extractTarGz(archive, dir, layer.entry, { plugin: ctx.id, signal });
      await rm(archive);
    },
  });
  const protocol = protocolFromAnnotations(art.annotations);
  return {
    ...launchOf(staged.binary, layer.runtime),
    version,
    digest: art.digest,
    signature: art.signature,
    ...(protocol.version ? { protocolVersionAnnotation: protocol.version } : {}),
    staged,
  };
}

/**
 * Downloads, verifies and stages an HTTPS source: `https://host/path/file#sha256=<hex>[&entry=name]
 * [&version=v][&runtime=node]`. The sha256 is required (a download is never run unverified); a
 * signature envelope is looked for at `<url>.sig` (404 = unsigned). `.tar.gz`/`.tgz` files are
 * extracted with the tarball limits. Plain http is refused except for loopback or `insecure` hosts.
 */
export async function deliverHttps(url: URL, ctx: DeliveryContext): Promise<Delivery> {
  const params = new URLSearchParams(url.hash.slice(1));
  const sha = params.get("sha256");
  if (!sha || !/^[a-f0-9]{64}$/.test(sha))
    throw deliveryError(
      ErrorCode.ConfigInvalid,
      `HTTPS source ${url.origin}${url.pathname} needs #sha256=<64 hex>`,
      { plugin: ctx.id },
    );
  const digest = `sha256:${sha}` as Digest;
  const insecureOk =
    ctx.insecure === true || (Array.isArray(ctx.insecure) && ctx.insecure.includes(url.host));
  if (url.protocol === "http:" && !isLoopbackRegistry(url.host) && !insecureOk)
    throw deliveryError(
      ErrorCode.ConfigInvalid,
      `plain http to ${url.host} is not allowed (https, loopback, or an insecure host)`,
      { plugin: ctx.id },
    );
  const download = new URL(url);
  download.hash = "";
  const tarball = /\.(tar\.gz|tgz)$/.test(download.pathname);
  const entry = assertSafeSegment(
    "binary name",
    params.get("entry") ?? (tarball ? "" : basename(download.pathname)),
    ctx.id,
  );
  const version = assertSafeSegment(
    "plugin version",
    params.get("version") ?? `sha256-${sha.slice(0, 12)}`,
    ctx.id,
  );
  const runtime = params.get("runtime") === "node" ? "node" : "exec";
  ctx.onDigest?.(digest, version);
  const signature = await fetchArtifactSignature(download, digest, ctx);
  const staged = await stagePlugin({
    root: ctx.stagingRoot,
    id: ctx.id,
    version,
    digest,
    signature: signature.status === "verified" ? signature.keyId : undefined,
    entry,
    plugin: ctx.id,
    signal: ctx.signal,
    keep: ctx.keep,
    activate: ctx.activate,
    fill: async (dir, signal) => {
      const target = join(dir, tarball ? ".download.tar.gz" : entry);
      const what = `download ${download}`;
      const r = await timedFetch(
        download.toString(),
        { redirect: "follow" },
        { signal, timeoutMs: ctx.timeoutMs, what },
      );
      if (!r.response.ok) {
        r.done();
        throw await statusError(r.response, what);
      }
      const check = createDigestCheck(digest, undefined, what);
      await streamToFile(
        r,
        target,
        (c) => check.update(c),
        () => check.verify(),
      );
      if (!tarball) return;
      await extractTarGz(target, dir, entry, { plugin: ctx.id, signal });
      await rm(target);
    },
  });
  return { ...launchOf(staged.binary, runtime), version, digest, signature, staged };
}
