import { homedir } from "node:os";
import { join } from "node:path";
import type { Logger } from "@plugwire/contract";
import { dockerConfigCredentials } from "../../artifacts/oci/auth.js";
import { createAgentSources } from "../../artifacts/source/agent-sources.js";
import { readKeys } from "./registry-options.js";

/** `plugwire run` flags for plugin sources (HTTPS and OCI delivery, signatures, staging). */
export const SOURCE_OPTIONS = {
  "staging-root": { type: "string" },
  key: { type: "string", multiple: true },
  "require-signature": { type: "boolean" },
  "insecure-registry": { type: "string", multiple: true },
} as const;

/** Usage lines for {@link SOURCE_OPTIONS}. */
export const SOURCE_USAGE = `  --staging-root DIR   where downloaded plugins are staged (default: $XDG_CACHE_HOME/plugwire/plugins)
  --key FILE           ed25519 public key (PEM) trusted to sign plugin artifacts (repeatable)
  --require-signature  refuse unsigned artifacts (signed ones always need a matching --key)
  --insecure-registry HOST  allow plain http to this registry (loopback always may)
`;

/** The agent's `resolveSource` (delivery + protocol annotation) from the command line (docs/artifact-format.md). */
export async function agentSourcesFromFlags(
  values: {
    "staging-root"?: string | undefined;
    key?: string[] | undefined;
    "require-signature"?: boolean | undefined;
    "insecure-registry"?: string[] | undefined;
  },
  env: NodeJS.ProcessEnv,
  logger: Logger,
) {
  const cache = env.XDG_CACHE_HOME ?? join(env.HOME ?? homedir(), ".cache");
  const sources = createAgentSources({
    stagingRoot: values["staging-root"] ?? join(cache, "plugwire", "plugins"),
    keys: await readKeys(values.key),
    policy: { requireSignature: values["require-signature"] ?? false },
    credentials: dockerConfigCredentials(env),
    insecure: values["insecure-registry"] ?? false,
    logger,
  });
  return { resolveSource: sources.resolveSource };
}
