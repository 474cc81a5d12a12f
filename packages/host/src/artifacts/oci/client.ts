import { ErrorCode, type Logger, silentLogger } from "@plugwire/contract";
import { createDigestCheck, type Digest, isDigest, sha256Digest } from "../digest.js";
import { deliveryError } from "../failure.js";
import {
  type AuthChallenge,
  basicAuthorization,
  type CredentialStore,
  fetchBearerToken,
  parseChallenge,
} from "./auth.js";
import { assertBlobFile, type BlobFile, verifiedFileBody } from "./blob-body.js";
import {
  type RequestBody,
  statusError,
  streamToFile,
  type TimedRequestInit,
  type TimedResponse,
  timedFetch,
} from "./http.js";
import { type Descriptor, MANIFEST_ACCEPT } from "./media-types.js";
import { isLoopbackRegistry, type OciReference } from "./reference.js";

/** Progress of one blob transfer, for CLI progress bars. */
export interface TransferProgress {
  direction: "download" | "upload";
  digest: string;
  bytes: number;
  total: number;
}

/** Options for {@link createRegistryClient}. */
export interface RegistryClientOptions {
  /** Where credentials come from; anonymous when absent or when it has none for the registry. */
  credentials?: CredentialStore;
  /**
   * Registries (host[:port]) reachable over plain `http://`, or `true` for all. Loopback registries
   * always use http; everything else uses https unless listed here.
   */
  insecure?: boolean | readonly string[];
  /** Per-request timeout; for bodies it is an idle timeout (reset per chunk). Default 30 s. */
  timeoutMs?: number;
  logger?: Logger;
  onProgress?: (p: TransferProgress) => void;
}

/** A fetched manifest or index: raw bytes (what digests cover), parsed JSON and its digest. */
export interface FetchedManifest {
  digest: Digest;
  mediaType: string;
  bytes: Uint8Array;
  json: Record<string, unknown>;
}

/** Per-call options of the registry client. */
export interface CallOptions {
  signal?: AbortSignal | undefined;
}

/**
 * A client for the OCI distribution spec v1.1 (pull: manifests and blobs; push: blob upload POST+PUT,
 * manifest PUT) with anonymous, basic and bearer-token auth driven by `WWW-Authenticate` challenges.
 * Written by hand: no npm distribution client supports Node 20 fetch, AbortSignal and the token flow.
 */
export interface RegistryClient {
  /** GET a manifest or index by tag or digest; verifies the digest when the reference pins one. */
  getManifest(ref: OciReference, options?: CallOptions): Promise<FetchedManifest>;
  /** GET a manifest if it exists (404 → undefined), e.g. an optional signature tag. */
  findManifest(ref: OciReference, options?: CallOptions): Promise<FetchedManifest | undefined>;
  /** GET a small blob into memory, checking size and digest. */
  fetchBlob(
    ref: OciReference,
    desc: Descriptor,
    options?: CallOptions & { maxBytes?: number },
  ): Promise<Uint8Array>;
  /** Stream a blob to `path`, checking size and digest on the way; the file is removed on any failure. */
  downloadBlob(ref: OciReference, desc: Descriptor, path: string, options?: CallOptions): Promise<void>;
  /** Upload a small in-memory blob (config, signature envelope) unless the registry already has it. */
  pushBlob(ref: OciReference, bytes: Uint8Array, options?: CallOptions): Promise<Descriptor>;
  /**
   * Upload a blob streamed from a file unless the registry already has it; the file is hashed while it
   * is sent and a mismatch with `file.digest`/`file.size` fails with `CHECKSUM_MISMATCH` before the
   * registry gets a complete body. Memory use does not grow with the blob size.
   */
  pushBlobFile(ref: OciReference, file: BlobFile, options?: CallOptions): Promise<Descriptor>;
  /** PUT a manifest under `target` (a tag or its digest); returns its digest. */
  putManifest(
    ref: OciReference,
    target: string,
    bytes: Uint8Array,
    mediaType: string,
    options?: CallOptions,
  ): Promise<Digest>;
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Creates a {@link RegistryClient}. */
export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const log = options.logger ?? silentLogger;
  const challenges = new Map<string, AuthChallenge>();
  const tokens = new Map<string, string>();

  const baseUrl = (ref: OciReference) => {
    const insecure =
      options.insecure === true ||
      (Array.isArray(options.insecure) && options.insecure.includes(ref.registry));
    const scheme = insecure || isLoopbackRegistry(ref.registry) ? "http" : "https";
    const host = ref.registry === "docker.io" ? "registry-1.docker.io" : ref.registry;
    return `${scheme}://${host}/v2/${ref.repository}`;
  };

  async function authorization(
    ref: OciReference,
    scope: string,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const challenge = challenges.get(ref.registry);
    if (!challenge) return undefined;
    const credential = await options.credentials?.(ref.registry, { signal: signal as AbortSignal });
    if (challenge.scheme === "basic") {
      if (!credential)
        throw deliveryError(ErrorCode.FetchFailed, `${ref.registry} requires credentials`, {
          details: { status: 401 },
        });
      return basicAuthorization(credential);
    }
    if (challenge.scheme !== "bearer")
      throw deliveryError(
        ErrorCode.FetchFailed,
        `${ref.registry}: unsupported auth scheme ${challenge.scheme}`,
      );
    const key = `${ref.registry} ${scope}`;
    let token = tokens.get(key);
    if (!token) {
      token = await fetchBearerToken(
        { ...challenge, params: { ...challenge.params, scope } },
        scope,
        credential,
        async (url, init) => {
          const r = await timedFetch(url, init, { signal, timeoutMs, what: `token for ${ref.registry}` });
          r.done();
          return r.response;
        },
      );
      tokens.set(key, token);
    }
    return `Bearer ${token}`;
  }

  /** One request with auth: on 401, learn the challenge and retry once with credentials. */
  async function send(
    ref: OciReference,
    url: string,
    init: TimedRequestInit & { headers?: Record<string, string> },
    push: boolean,
    what: string,
    signal?: AbortSignal,
  ): Promise<TimedResponse> {
    const scope = `repository:${ref.repository}:${push ? "pull,push" : "pull"}`;
    for (let attempt = 0; ; attempt++) {
      const auth = await authorization(ref, scope, signal);
      const headers = { ...init.headers, ...(auth ? { authorization: auth } : {}) };
      const r = await timedFetch(url, { ...init, headers, redirect: "follow" }, { signal, timeoutMs, what });
      if (r.response.status !== 401 || attempt > 0) return r;
      const header = r.response.headers.get("www-authenticate");
      await r.response.body?.cancel();
      r.done();
      const challenge = header ? parseChallenge(header) : undefined;
      if (!challenge) throw await statusError(r.response, what);
      challenges.set(ref.registry, challenge);
      tokens.delete(`${ref.registry} ${scope}`);
      log.debug({ registry: ref.registry, scheme: challenge.scheme }, "registry asked for authentication");
    }
  }

  async function readAll(r: TimedResponse, max: number, what: string): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of r.response.body ?? []) {
        r.touch();
        size += chunk.length;
        if (size > max) throw deliveryError(ErrorCode.ArtifactInvalid, `${what}: larger than ${max} bytes`);
        chunks.push(chunk);
      }
    } catch (err) {
      await r.response.body?.cancel().catch(() => {});
      throw r.fail(err);
    }
    r.done();
    return Buffer.concat(chunks);
  }

  async function findManifest(
    ref: OciReference,
    call: CallOptions = {},
  ): Promise<FetchedManifest | undefined> {
    const what = `manifest ${ref}`;
    const r = await send(
      ref,
      `${baseUrl(ref)}/manifests/${ref.target}`,
      { headers: { accept: MANIFEST_ACCEPT.join(", ") } },
      false,
      what,
      call.signal,
    );
    if (r.response.status === 404) {
      await r.response.body?.cancel();
      r.done();
      return undefined;
    }
    if (!r.response.ok) {
      r.done();
      throw await statusError(r.response, what);
    }
    const bytes = await readAll(r, MAX_MANIFEST_BYTES, what);
    const digest = sha256Digest(bytes);
    // Fetched by digest: the bytes must hash to it. Fetched by tag: the registry's header must agree.
    const expected = ref.digest ?? r.response.headers.get("docker-content-digest");
    if (expected && isDigest(expected) && expected !== digest)
      throw deliveryError(
        ErrorCode.ChecksumMismatch,
        `${what}: content hashes to ${digest}, expected ${expected}`,
        {
          details: { expected, actual: digest },
        },
      );
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(Buffer.from(bytes).toString("utf8")) as Record<string, unknown>;
      if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error("not an object");
    } catch (cause) {
      throw deliveryError(ErrorCode.ArtifactInvalid, `${what}: not a JSON object`, { cause });
    }
    const mediaType =
      (typeof json.mediaType === "string" ? json.mediaType : undefined) ??
      r.response.headers.get("content-type")?.split(";")[0] ??
      "";
    return { digest, mediaType, bytes, json };
  }

  async function openBlob(ref: OciReference, desc: Descriptor, signal?: AbortSignal): Promise<TimedResponse> {
    if (!isDigest(desc.digest))
      throw deliveryError(
        ErrorCode.ArtifactInvalid,
        `blob digest ${JSON.stringify(desc.digest)} is not a sha256 digest`,
      );
    const what = `blob ${ref.registry}/${ref.repository}@${desc.digest}`;
    const r = await send(ref, `${baseUrl(ref)}/blobs/${desc.digest}`, {}, false, what, signal);
    if (!r.response.ok) {
      r.done();
      throw await statusError(r.response, what);
    }
    return r;
  }

  /**
   * Distribution spec push: `HEAD /blobs/<digest>` (present → done), `POST /blobs/uploads/` for a
   * session, then one monolithic `PUT <location>?digest=…` with `Content-Length`. HEAD and POST carry
   * no body, so a 401 challenge is learned and answered there and the PUT goes out already
   * authenticated; if it is challenged anyway, `body` is called again for the retry.
   */
  async function uploadBlob(
    ref: OciReference,
    desc: Descriptor,
    body: (touch: () => void) => RequestBody,
    signal?: AbortSignal,
  ): Promise<Descriptor> {
    const { digest, size } = desc;
    const what = `blob upload ${ref.registry}/${ref.repository}@${digest}`;
    const head = await send(ref, `${baseUrl(ref)}/blobs/${digest}`, { method: "HEAD" }, true, what, signal);
    head.done();
    if (head.response.ok) return desc;
    const start = await send(ref, `${baseUrl(ref)}/blobs/uploads/`, { method: "POST" }, true, what, signal);
    await start.response.body?.cancel();
    start.done();
    const location = start.response.headers.get("location");
    if (start.response.status !== 202 || !location) throw await statusError(start.response, what);
    const url = new URL(location, baseUrl(ref));
    url.searchParams.set("digest", digest);
    options.onProgress?.({ direction: "upload", digest, bytes: 0, total: size });
    const headers = { "content-type": "application/octet-stream", "content-length": String(size) };
    const put = await send(ref, url.toString(), { method: "PUT", body, headers }, true, what, signal);
    put.done();
    if (put.response.status !== 201) throw await statusError(put.response, what);
    await put.response.body?.cancel();
    options.onProgress?.({ direction: "upload", digest, bytes: size, total: size });
    return desc;
  }

  return {
    findManifest,
    async getManifest(ref, call = {}) {
      const found = await findManifest(ref, call);
      if (!found)
        throw deliveryError(ErrorCode.FetchFailed, `manifest ${ref}: not found (HTTP 404)`, {
          details: { status: 404 },
        });
      return found;
    },

    async fetchBlob(ref, desc, call = {}) {
      const r = await openBlob(ref, desc, call.signal);
      const bytes = await readAll(r, call.maxBytes ?? MAX_MANIFEST_BYTES, `blob ${desc.digest}`);
      const check = createDigestCheck(desc.digest as Digest, desc.size, `blob ${desc.digest}`);
      check.update(bytes);
      check.verify();
      return bytes;
    },

    async downloadBlob(ref, desc, path, call = {}) {
      const r = await openBlob(ref, desc, call.signal);
      const check = createDigestCheck(desc.digest as Digest, desc.size, `blob ${desc.digest}`);
      const progress = (bytes: number) =>
        options.onProgress?.({ direction: "download", digest: desc.digest, bytes, total: desc.size });
      await streamToFile(
        r,
        path,
        (chunk) => {
          check.update(chunk);
          progress(check.size);
        },
        () => check.verify(),
      );
    },

    pushBlob(ref, bytes, call = {}) {
      const desc: Descriptor = {
        mediaType: "application/octet-stream",
        digest: sha256Digest(bytes),
        size: bytes.length,
      };
      return uploadBlob(ref, desc, () => bytes, call.signal);
    },

    async pushBlobFile(ref, file, call = {}) {
      await assertBlobFile(file);
      const desc: Descriptor = {
        mediaType: "application/octet-stream",
        digest: file.digest,
        size: file.size,
      };
      return uploadBlob(
        ref,
        desc,
        (touch) =>
          verifiedFileBody(file, (bytes) => {
            touch();
            options.onProgress?.({ direction: "upload", digest: file.digest, bytes, total: file.size });
          }),
        call.signal,
      );
    },

    async putManifest(ref, target, bytes, mediaType, call = {}) {
      const digest = sha256Digest(bytes);
      const what = `manifest upload ${ref.registry}/${ref.repository}:${target}`;
      const r = await send(
        ref,
        `${baseUrl(ref)}/manifests/${target}`,
        { method: "PUT", body: bytes, headers: { "content-type": mediaType } },
        true,
        what,
        call.signal,
      );
      r.done();
      if (r.response.status !== 201) throw await statusError(r.response, what);
      await r.response.body?.cancel();
      return digest;
    },
  };
}
