import type { KeyObject } from "node:crypto";
import type { Logger } from "@plugwire/contract";
import type { SignaturePolicy } from "../artifact/verify.js";
import type { CredentialStore } from "../oci/auth.js";
import { createRegistryClient } from "../oci/client.js";
import { createDeliveryBackoff } from "../staging/backoff.js";
import { createLastKnownGood } from "../staging/last-known-good.js";
import { type ResolvedSource, resolvePluginSource } from "./resolve.js";

/** Options for {@link createAgentSources}. */
export interface AgentSourcesOptions {
  stagingRoot: string;
  keys?: readonly (string | KeyObject)[];
  policy?: SignaturePolicy;
  credentials?: CredentialStore;
  insecure?: boolean | readonly string[];
  timeoutMs?: number;
  baseDir?: string;
  logger?: Logger;
}

/**
 * The artifact layer as the runner agent consumes it: `protocolLookup` (the injectable annotation
 * lookup) and `resolveSource` (source → command). Both go through one delivery per plugin run, so the
 * protocol comes from the artifact that is actually launched — including the last-known-good one when
 * a delivery fails (whose stored protocol is used, never a guess). One client, backoff and
 * last-known-good store are shared across runs.
 */
export function createAgentSources(options: AgentSourcesOptions) {
  const client = createRegistryClient({
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.insecure ? { insecure: options.insecure } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const backoff = createDeliveryBackoff();
  const lastKnownGood = createLastKnownGood(
    options.stagingRoot,
    options.logger ? { logger: options.logger } : {},
  );
  // A lookup starts the delivery; the launch that follows for the same plugin and source takes it.
  const pending = new Map<string, Promise<ResolvedSource>>();
  const deliver = (source: string, plugin: string, signal: AbortSignal) =>
    resolvePluginSource(source, {
      id: plugin,
      stagingRoot: options.stagingRoot,
      client,
      backoff,
      lastKnownGood,
      signal,
      ...(options.keys ? { keys: options.keys } : {}),
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.baseDir ? { baseDir: options.baseDir } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  return {
    /** Runner `ProtocolAnnotationLookup`: the delivered artifact's protocol annotation. */
    async protocolLookup(
      source: string,
      opts: { signal: AbortSignal; plugin?: string },
    ): Promise<string | undefined> {
      const plugin = opts.plugin ?? source;
      const key = `${plugin}\n${source}`;
      const delivery = deliver(source, plugin, opts.signal);
      pending.set(key, delivery);
      const resolved = await delivery;
      return resolved.protocolVersionAnnotation === undefined
        ? undefined
        : String(resolved.protocolVersionAnnotation);
    },
    /** Runner `SourceResolver`: the command and args to launch. */
    async resolveSource(source: string, opts: { signal: AbortSignal; plugin?: string }) {
      const plugin = opts.plugin ?? source;
      const key = `${plugin}\n${source}`;
      const delivery = pending.get(key) ?? deliver(source, plugin, opts.signal);
      pending.delete(key);
      const resolved = await delivery;
      return { command: resolved.command, args: resolved.args };
    },
  };
}
