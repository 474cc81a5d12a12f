import type { KeyObject } from "node:crypto";
import { resolve as resolvePath } from "node:path";
import { ErrorCode, type Logger, PlugwireError } from "@plugwire/contract";
import type { Platform } from "../artifact/format.js";
import type { SignaturePolicy, SignatureStatus } from "../artifact/verify.js";
import type { Digest } from "../digest.js";
import { deliveryError, withPlugin } from "../failure.js";
import { type CredentialStore, chainCredentials, dockerConfigCredentials } from "../oci/auth.js";
import { createRegistryClient, type RegistryClient } from "../oci/client.js";
import { assertSafeSegment } from "../safe-segment.js";
import { createDeliveryBackoff, type DeliveryBackoff, type DeliveryKey } from "../staging/backoff.js";
import { createLastKnownGood, type LastKnownGoodStore } from "../staging/last-known-good.js";
import type { StagedPlugin } from "../staging/stage.js";
import { classifySource } from "./classify.js";
import { type DeliveryContext, deliverHttps, deliverOci } from "./deliver.js";

/** Options for {@link resolvePluginSource}. */
export interface ResolveSourceOptions {
  /** Plugin id: the staging folder and last-known-good key; validated as a safe path segment first. */
  id: string;
  /** Root of staged plugins: `<root>/<id>/versions/<version>/<binary>`. */
  stagingRoot: string;
  /** ed25519 public keys (PEM or KeyObject) that may sign artifacts. */
  keys?: readonly (string | KeyObject)[];
  policy?: SignaturePolicy;
  signal?: AbortSignal;
  logger?: Logger;
  /** The plugin's configuration; stored with the binary as the last-known-good pair. */
  config?: unknown;
  /** Base directory for relative local paths (default: the working directory). */
  baseDir?: string;
  /** A registry client to reuse; otherwise one is made from `credentials`, `insecure`, `timeoutMs`. */
  client?: RegistryClient;
  credentials?: CredentialStore;
  insecure?: boolean | readonly string[];
  /** Per-request timeout (idle timeout for bodies), default 30 s. */
  timeoutMs?: number;
  /**
   * Bound on the whole delivery (manifests, signatures, blobs, staging), default none. Unlike `signal`
   * (a cancel, rethrown), running past it is a transient `TIMEOUT` that falls back to last-known-good.
   */
  deadlineMs?: number;
  platform?: Platform;
  /** Versions kept per plugin (default 3). */
  keep?: number;
  /** Health check after `current` switched; throwing rolls it back. */
  activate?: (binary: string) => Promise<void>;
  /** Shared backoff for permanent failures (default: one per call, i.e. none). */
  backoff?: DeliveryBackoff;
  /** Last-known-good store, or `false` to disable fallback (default: under `stagingRoot`). */
  lastKnownGood?: LastKnownGoodStore | false;
}

/** How to launch the plugin, and where it came from. */
export interface ResolvedSource {
  kind: "local" | "https" | "oci";
  command: string;
  args: string[];
  /** The config to run with: the caller's, or the last-known-good one when falling back. */
  config?: unknown;
  /** `org.ccf.plugin.protocol.version` of an OCI artifact, when present and valid. */
  protocolVersionAnnotation?: 1 | 2;
  version?: string;
  digest?: Digest;
  signature?: SignatureStatus;
  staged?: StagedPlugin;
  /** Set when the delivery failed and the last-known-good spec is returned instead. */
  fallback?: { error: PlugwireError; savedAt: string };
}

/**
 * Turns a plugin `source` into something to launch (issue 6): a local path is used as is (`.js`/`.mjs`/`.cjs`
 * run with this Node); an HTTPS URL or OCI reference is downloaded, verified (sha256 always, ed25519
 * signatures per `policy`), staged and activated. A successful delivery is saved as last-known-good
 * together with `config`; a failed one returns the last-known-good spec verbatim (`fallback` says why)
 * or throws the typed error. Permanent failures are backed off per (id, source, digest, config).
 */
export async function resolvePluginSource(
  source: string,
  options: ResolveSourceOptions,
): Promise<ResolvedSource> {
  const id = assertSafeSegment("plugin id", options.id, options.id);
  const parsed = (() => {
    try {
      return classifySource(source);
    } catch (err) {
      throw withPlugin(err, id);
    }
  })();
  if (parsed.kind === "local") {
    const path = resolvePath(options.baseDir ?? process.cwd(), parsed.path);
    const script = /\.(m|c)?js$/.test(path);
    return {
      kind: "local",
      command: script ? process.execPath : path,
      args: script ? [path] : [],
      config: options.config,
    };
  }
  const logger = options.logger;
  const backoff = options.backoff ?? createDeliveryBackoff();
  const lkg =
    options.lastKnownGood === false
      ? undefined
      : (options.lastKnownGood ?? createLastKnownGood(options.stagingRoot, { logger }));
  const keyOf = (digest?: string): DeliveryKey => ({ id, version: source, digest, config: options.config });
  const pinned = parsed.kind === "oci" ? parsed.ref.digest : undefined;
  const deadline = options.deadlineMs === undefined ? undefined : AbortSignal.timeout(options.deadlineMs);
  const signal =
    deadline && options.signal ? AbortSignal.any([options.signal, deadline]) : (deadline ?? options.signal);
  let resolvedDigest: string | undefined;
  const ctx: DeliveryContext = {
    id,
    stagingRoot: options.stagingRoot,
    client:
      options.client ??
      createRegistryClient({
        credentials: options.credentials ?? chainCredentials(dockerConfigCredentials()),
        insecure: options.insecure,
        timeoutMs: options.timeoutMs,
        logger,
      }),
    keys: options.keys ?? [],
    policy: options.policy,
    platform: options.platform,
    logger,
    signal,
    insecure: options.insecure,
    timeoutMs: options.timeoutMs ?? 30_000,
    keep: options.keep,
    activate: options.activate,
    onDigest: (digest) => {
      resolvedDigest = digest;
      const blocked = backoff.blocked(keyOf(digest));
      if (blocked) throw blocked.error;
    },
  };
  try {
    const blocked = backoff.blocked(keyOf(pinned));
    if (blocked) throw blocked.error;
    const delivery =
      parsed.kind === "oci" ? await deliverOci(parsed.ref, ctx) : await deliverHttps(parsed.url, ctx);
    const result: ResolvedSource = { kind: parsed.kind, ...delivery, config: options.config };
    await lkg?.save(id, {
      command: result.command,
      args: result.args,
      config: options.config,
      source,
      ...(result.version ? { version: result.version } : {}),
      ...(result.digest ? { digest: result.digest } : {}),
      ...(result.protocolVersionAnnotation ? { protocolVersion: result.protocolVersionAnnotation } : {}),
    });
    backoff.clear(keyOf(pinned));
    backoff.clear(keyOf(resolvedDigest));
    return result;
  } catch (raw) {
    const error =
      deadline?.aborted && !options.signal?.aborted
        ? deliveryError(
            ErrorCode.Timeout,
            `delivery of ${source} did not finish within ${options.deadlineMs} ms`,
            {
              plugin: id,
              cause: raw,
              failure: "transient",
              details: { timeoutMs: options.deadlineMs },
            },
          )
        : withPlugin(raw, id);
    backoff.record(keyOf(resolvedDigest ?? pinned), error);
    if (options.signal?.aborted || !(error instanceof PlugwireError)) throw error;
    const record = await lkg?.load(id);
    if (!record) throw error;
    logger?.warn(
      {
        plugin: id,
        code: error.code,
        error: error.message,
        version: record.spec.version,
        digest: record.spec.digest,
      },
      "delivery failed; running the last-known-good version",
    );
    const spec = record.spec;
    return {
      kind: parsed.kind,
      command: spec.command,
      args: spec.args,
      config: spec.config,
      ...(spec.protocolVersion ? { protocolVersionAnnotation: spec.protocolVersion } : {}),
      ...(spec.version ? { version: spec.version } : {}),
      ...(spec.digest ? { digest: spec.digest as Digest } : {}),
      fallback: { error, savedAt: record.savedAt },
    };
  }
}
