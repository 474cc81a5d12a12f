import type { Document, Node } from "yaml";
import { isMap, isScalar } from "../lazy/lazy-deps.js";
import { suggestion } from "./did-you-mean.js";
import { KEYS } from "./schema.js";

/**
 * Prefix of agent config overrides from the environment. A variable names a config path with `__`
 * between levels, e.g. `PLUGWIRE_LOGGING__LEVEL=debug`, `PLUGWIRE_PLUGINS__MY_PLUGIN__PROTOCOL_VERSION=2`,
 * `PLUGWIRE_PLUGINS__MY_PLUGIN__CONFIG__HOSTNAME=web-1`, `PLUGWIRE_PLUGINS__MY_PLUGIN__POLICIES=a,b`.
 * Plugin names and map keys match existing ones case-insensitively (`_` also matches `-`); new map
 * keys are lowercased, except under `env`, which keeps the variable's case. Variables without `__`
 * after the prefix (such as `PLUGWIRE_LOG_LEVEL`) are not config overrides.
 */
export const ENV_PREFIX = "PLUGWIRE_";

/** Where each overridden node came from: the variable's name, used in error messages instead of a line. */
export type Origins = Map<Node, string>;

const MAPS = ["config", "labels", "env"] as const;

function keysOf(node: unknown): string[] {
  return isMap(node) ? node.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key)) : [];
}

/** Matches an env segment to an existing key: exact, then case-insensitive with `_` ≈ `-`. */
function match(segment: string, existing: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replaceAll("-", "_");
  return existing.find((k) => k === segment) ?? existing.find((k) => norm(k) === norm(segment));
}

/**
 * Applies `PLUGWIRE_…__…` variables to the parsed document (before validation, so overridden values
 * pass the same rules). Returns errors for variables that name no config path.
 */
export function applyEnvOverrides(doc: Document, env: NodeJS.ProcessEnv, origins: Origins): string[] {
  const errors: string[] = [];
  const names = Object.keys(env)
    .filter((n) => n.startsWith(ENV_PREFIX) && n.slice(ENV_PREFIX.length).includes("__"))
    .sort();
  for (const name of names) {
    const value = env[name] ?? "";
    const parts = name.slice(ENV_PREFIX.length).split("__");
    const path = resolvePath(doc, parts);
    if (typeof path === "string") {
      errors.push(`${name}: ${path}`);
      continue;
    }
    const leaf = path.at(-1);
    const created =
      leaf === "policies" || leaf === "args"
        ? doc.createNode(value === "" ? [] : value.split(",").map((s) => s.trim()))
        : doc.createNode(leaf === "protocol_version" && /^\d+$/.test(value) ? Number(value) : value);
    doc.setIn(path, created);
    origins.set(created, name);
    if ("items" in created) for (const item of created.items as Node[]) origins.set(item, name);
  }
  return errors;
}

/** Maps env segments to a document path, or returns why it cannot. */
function resolvePath(doc: Document, parts: string[]): (string | number)[] | string {
  const [section, ...rest] = parts.map((p) => p.toLowerCase());
  const top = match(section ?? "", KEYS.top);
  if (!top) return `unknown config section "${section}"${suggestion(section ?? "", KEYS.top)}`;
  if (top !== "plugins") {
    const allowed = top === "logging" ? KEYS.logging : KEYS.evidence;
    const key = rest.length === 1 ? match(rest[0] ?? "", allowed) : undefined;
    if (!key)
      return `expected ${ENV_PREFIX}${top.toUpperCase()}__<KEY> with KEY one of: ${allowed.join(", ")}`;
    return [top, key];
  }
  const raw = parts.slice(1);
  const plugins = doc.get("plugins", true);
  const plugin = match(raw[0] ?? "", keysOf(plugins));
  if (!plugin)
    return `no plugin named "${raw[0]?.toLowerCase()}" in the config (overrides only change existing plugins)`;
  const field = match(raw[1] ?? "", KEYS.plugin);
  if (!field)
    return `unknown plugin key "${raw[1]?.toLowerCase()}"${suggestion(raw[1]?.toLowerCase() ?? "", KEYS.plugin)}`;
  if ((MAPS as readonly string[]).includes(field)) {
    if (raw.length !== 3) return `expected …__${field.toUpperCase()}__<KEY>`;
    const existing = keysOf(doc.getIn(["plugins", plugin, field], true));
    const key =
      match(raw[2] ?? "", existing) ?? (field === "env" ? (raw[2] ?? "") : (raw[2] ?? "").toLowerCase());
    return ["plugins", plugin, field, key];
  }
  if (raw.length !== 2) return `"${field}" takes no sub-key`;
  return ["plugins", plugin, field];
}
