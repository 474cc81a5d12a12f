import type { KeyObject } from "node:crypto";
import { ErrorCode, type Logger, PlugwireError } from "@plugwire/contract";
import type { SignaturePolicy } from "../artifact/verify.js";
import type { CredentialStore } from "../oci/auth.js";
import { createRegistryClient } from "../oci/client.js";
import { createDeliveryBackoff } from "../staging/backoff.js";
import { createLastKnownGood } from "../staging/last-known-good.js";
import { resolvePluginSource } from "./resolve.js";

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
  /** Bound on one whole delivery (default {@link DEFAULT_DELIVERY_TIMEOUT_MS}); past it, last-known-good runs. */
  deliveryTimeoutMs?: number;
}

/** Default bound on one plugin delivery in `plugwire run` (a large artifact over a slow link). */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 10 * 60_000;

/** The stored config of a last-known-good spec as the runner's string map (typed error otherwise). */
function storedConfig(config: unknown, plugin: string): Record<string, string> {
  if (config === undefined) return {};
  const ok =
    typeof config === "object" &&
    config !== null &&
    !Array.isArray(config) &&
    Object.values(config).every((v) => typeof v === "string");
  if (!ok)
    throw new PlugwireError(ErrorCode.ConfigInvalid, "last-known-good config is not a string map", {
      plugin,
    });
  return { ...(config as Record<string, string>) };
}

/**
 * The artifact layer as the runner agent consumes it: a `SourceResolver` (source → command) that
 * also reports the delivered artifact's protocol annotation, so the protocol comes from the artifact
 * actually launched. On a failed delivery the last-known-good spec is returned with its own stored
 * config and protocol, never mixed with the new ones (issue 6). Each delivery is bounded by
 * `deliveryTimeoutMs`, independent of the runner's annotation-lookup timeout. One client, backoff
 * and last-known-good store are shared across runs.
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
  return {
    /** Runner `SourceResolver`: the command, args, protocol annotation and (on fallback) the stored config. */
    async resolveSource(
      source: string,
      opts: { signal: AbortSignal; plugin?: string; config?: Readonly<Record<string, string>> },
    ) {
      const plugin = opts.plugin ?? source;
      const resolved = await resolvePluginSource(source, {
        id: plugin,
        stagingRoot: options.stagingRoot,
        client,
        backoff,
        lastKnownGood,
        signal: opts.signal,
        deadlineMs: options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
        ...(opts.config ? { config: opts.config } : {}),
        ...(options.keys ? { keys: options.keys } : {}),
        ...(options.policy ? { policy: options.policy } : {}),
        ...(options.baseDir ? { baseDir: options.baseDir } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
      });
      const annotation = resolved.protocolVersionAnnotation;
      return {
        command: resolved.command,
        args: resolved.args,
        protocolAnnotation: { value: annotation === undefined ? undefined : String(annotation) },
        ...(resolved.fallback
          ? {
              fallback: {
                config: storedConfig(resolved.config, plugin),
                reason: resolved.fallback.error.message,
              },
            }
          : {}),
      };
    },
  };
}
