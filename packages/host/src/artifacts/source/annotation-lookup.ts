import { readProtocolAnnotation } from "../artifact/fetch.js";
import type { Platform } from "../artifact/format.js";
import { type CredentialStore, dockerConfigCredentials } from "../oci/auth.js";
import { createRegistryClient, type RegistryClient } from "../oci/client.js";
import { classifySource } from "./classify.js";

/** Options for {@link createOciAnnotationLookup}. */
export interface OciAnnotationLookupOptions {
  client?: RegistryClient;
  credentials?: CredentialStore;
  insecure?: boolean | readonly string[];
  timeoutMs?: number;
  platform?: Platform;
}

/**
 * The runner's protocol-annotation lookup (runner-wire.md): for an OCI source (tag or digest, parsed by
 * the same reference parser as downloads) returns the raw `org.ccf.plugin.protocol.version` value — from
 * the top-level manifest or index, else the host platform's manifest — or undefined when absent. The
 * runner decides what an invalid value means (warning, protocol 1). Non-OCI sources have none.
 */
export function createOciAnnotationLookup(options: OciAnnotationLookupOptions = {}) {
  const client =
    options.client ??
    createRegistryClient({
      credentials: options.credentials ?? dockerConfigCredentials(),
      insecure: options.insecure,
      timeoutMs: options.timeoutMs,
    });
  return async (source: string, opts: { signal?: AbortSignal } = {}): Promise<string | undefined> => {
    const parsed = classifySource(source);
    if (parsed.kind !== "oci") return undefined;
    return readProtocolAnnotation(client, parsed.ref, { signal: opts.signal, platform: options.platform });
  };
}
