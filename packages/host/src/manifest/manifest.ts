import type { SandboxLevel } from "../isolation/options.js";
import { yamlModule } from "../lazy/lazy-deps.js";

/** The manifest format this host reads; `apiVersion` gates incompatible future formats. */
export const MANIFEST_API_VERSION = "plugwire/v1";

/** File names a plugin directory's manifest may have, in lookup order. */
export const MANIFEST_FILES = ["plugwire.json", "plugwire.yaml", "plugwire.yml"] as const;

/** A validated plugin manifest (`plugwire.json` or YAML). */
export interface PluginManifest {
  apiVersion: string;
  /** `^[A-Za-z0-9_-]+$`: safe as a path segment and a log field. */
  name: string;
  /** Semantic version (semver.org 2.0.0). */
  version: string;
  description?: string;
  /** Executable, relative to the manifest's directory and inside it. */
  command: string;
  args?: string[];
  /** Caps the plugin asks for; each must be within the host's maximum. */
  isolation?: { timeoutMs?: number; memoryBytes?: number; sandbox?: SandboxLevel };
  /** Whether the plugin needs network access (false: run without network where the sandbox can). */
  network: boolean;
}

/** What the host accepts: supported apiVersions and its isolation maximums. */
export interface ManifestPolicy {
  apiVersions?: readonly string[];
  maxTimeoutMs?: number;
  maxMemoryBytes?: number;
}

const NAME = /^[A-Za-z0-9_-]+$/;
// semver.org's recommended regular expression (2.0.0), written out: a dependency for one regex is not worth it.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
const LEVELS = ["none", "node", "bwrap"];

/** Either the manifest or every reason it was rejected (all of them, not just the first). */
export type ManifestResult = { ok: true; manifest: PluginManifest } | { ok: false; reasons: string[] };

/** Parses manifest text (JSON for `.json`, else YAML) and validates it against the host's policy. */
export function parseManifest(text: string, fileName: string, policy: ManifestPolicy = {}): ManifestResult {
  let raw: unknown;
  try {
    raw = fileName.endsWith(".json") ? JSON.parse(text) : yamlModule().parse(text);
  } catch (err) {
    return {
      ok: false,
      reasons: [`not valid ${fileName.endsWith(".json") ? "JSON" : "YAML"}: ${(err as Error).message}`],
    };
  }
  return validateManifest(raw, policy);
}

/** Checks a parsed manifest: shape, name, semver, apiVersion gate, caps within host maximums. */
export function validateManifest(raw: unknown, policy: ManifestPolicy = {}): ManifestResult {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, reasons: ["the manifest must be an object"] };
  }
  const m = raw as Record<string, unknown>;
  const reasons: string[] = [];
  const apis = policy.apiVersions ?? [MANIFEST_API_VERSION];
  if (typeof m.apiVersion !== "string" || !apis.includes(m.apiVersion)) {
    reasons.push(
      `apiVersion ${JSON.stringify(m.apiVersion)} is not supported (this host reads ${apis.join(", ")})`,
    );
  }
  if (typeof m.name !== "string" || !NAME.test(m.name)) {
    reasons.push(`name ${JSON.stringify(m.name)} must match ${NAME.source}`);
  }
  if (typeof m.version !== "string" || !SEMVER.test(m.version)) {
    reasons.push(`version ${JSON.stringify(m.version)} is not a semantic version (e.g. 1.2.3)`);
  }
  if (m.description !== undefined && typeof m.description !== "string")
    reasons.push("description must be a string");
  const command = m.command;
  if (
    typeof command !== "string" ||
    command === "" ||
    command.startsWith("/") ||
    command.split(/[\\/]/).includes("..")
  ) {
    reasons.push(`command ${JSON.stringify(command)} must be a relative path inside the plugin directory`);
  }
  if (m.args !== undefined && !(Array.isArray(m.args) && m.args.every((a) => typeof a === "string"))) {
    reasons.push("args must be a list of strings");
  }
  if (m.network !== undefined && typeof m.network !== "boolean")
    reasons.push("network must be true or false");
  reasons.push(...isolationReasons(m.isolation, policy));
  if (reasons.length > 0) return { ok: false, reasons };
  return {
    ok: true,
    manifest: { ...(m as unknown as PluginManifest), network: (m.network as boolean | undefined) ?? false },
  };
}

function isolationReasons(iso: unknown, policy: ManifestPolicy): string[] {
  if (iso === undefined) return [];
  if (typeof iso !== "object" || iso === null) return ["isolation must be an object"];
  const i = iso as Record<string, unknown>;
  const out: string[] = [];
  const cap = (key: "timeoutMs" | "memoryBytes", max: number | undefined) => {
    const v = i[key];
    if (v === undefined) return;
    if (!Number.isSafeInteger(v) || (v as number) <= 0)
      out.push(`isolation.${key} must be a positive integer`);
    else if (max !== undefined && (v as number) > max) {
      out.push(`isolation.${key} ${v} exceeds the host maximum ${max}`);
    }
  };
  cap("timeoutMs", policy.maxTimeoutMs);
  cap("memoryBytes", policy.maxMemoryBytes);
  if (i.sandbox !== undefined && !LEVELS.includes(i.sandbox as string)) {
    out.push(`isolation.sandbox must be one of ${LEVELS.join(", ")}`);
  }
  return out;
}
