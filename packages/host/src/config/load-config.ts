import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { ErrorCode, LOG_LEVELS, type LogLevel, PlugwireError } from "@plugwire/contract";
import type { Node, Pair } from "yaml";
import { cronParser, isMap, isScalar, isSeq, yamlModule } from "../lazy/lazy-deps.js";
import { isOciSource } from "../runner/protocol.js";
import { suggestion } from "./did-you-mean.js";
import { applyEnvOverrides, type Origins } from "./env-overrides.js";
import {
  type AgentConfig,
  EVIDENCE_TYPES,
  type EvidenceConfig,
  KEYS,
  type PluginConfig,
  PROTOCOL_VALUES,
  type ProtocolSetting,
} from "./schema.js";

/** Options for {@link parseAgentConfig} and {@link loadAgentConfig}. */
export interface LoadConfigOptions {
  /** Source of `PLUGWIRE_…__…` overrides (see ENV_PREFIX); default none for parse, `process.env` for load. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/**
 * Reads and validates an agent config file. Every problem is reported at once, each as
 * `<file>:<line>:<column>: <message>` (or `<ENV_VAR>: <message>` for environment overrides), in one
 * `PlugwireError` with code CONFIG_INVALID and the list in `details.errors`.
 */
export async function loadAgentConfig(file: string, options: LoadConfigOptions = {}): Promise<AgentConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, { encoding: "utf8", signal: options.signal });
  } catch (cause) {
    throw new PlugwireError(
      ErrorCode.ConfigInvalid,
      `cannot read agent config ${path}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  return parseAgentConfig(text, { file: path, env: options.env ?? process.env });
}

/** Validates agent config text (see {@link loadAgentConfig}); `file` names it in messages and anchors relative sources. */
export function parseAgentConfig(
  text: string,
  options: { file: string; env?: NodeJS.ProcessEnv },
): AgentConfig {
  const file = resolve(options.file);
  const { LineCounter, parseDocument } = yamlModule();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const errors: string[] = [];
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  for (const e of doc.errors) errors.push(`${at(e.pos[0])}: ${e.message.split("\n")[0]}`);
  if (errors.length > 0) throw invalid(file, errors);

  const origins: Origins = new Map();
  errors.push(...applyEnvOverrides(doc, options.env ?? {}, origins));
  const where = (node: Node | null | undefined, fallback?: Node | null) => {
    // An empty value (`key:`) has no text of its own: point at its key instead.
    const empty = isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1];
    const n = (empty ? fallback : undefined) ?? node ?? fallback;
    const origin = n ? origins.get(n) : undefined;
    return origin ?? at(n?.range?.[0] ?? 0);
  };
  const v = createValidator(errors, where);

  const root = doc.contents;
  const plugins: PluginConfig[] = [];
  let evidence: EvidenceConfig | undefined;
  let level: LogLevel | undefined;
  if (root !== null && !isMap(root)) {
    errors.push(`${where(root)}: the config must be a mapping with a "plugins" key`);
    throw invalid(file, errors);
  }
  const top = root
    ? v.fields(root, KEYS.top, "at the top level")
    : new Map<string, Pair<Node, Node | null>>();
  const pluginsPair = top.get("plugins");
  const pluginsNode = pluginsPair?.value;
  if (pluginsNode && !isMap(pluginsNode) && !isNull(pluginsNode)) {
    errors.push(`${where(pluginsNode)}: "plugins" must be a mapping of plugin name to settings`);
  } else if (!isMap(pluginsNode) || pluginsNode.items.length === 0) {
    errors.push(
      `${where(pluginsNode, pluginsPair?.key as Node)}: no plugins configured: add at least one under "plugins"`,
    );
  } else {
    for (const pair of pluginsNode.items) {
      const plugin = parsePlugin(pair as Pair<Node, Node | null>, v, dirname(file), where);
      if (plugin) plugins.push(plugin);
    }
  }
  const ev = top.get("evidence")?.value;
  if (ev && !isNull(ev)) evidence = parseEvidence(ev, v, dirname(file), where);
  const logging = top.get("logging")?.value;
  if (logging && !isNull(logging)) {
    const f = v.fields(logging, KEYS.logging, `in "logging"`);
    const lv = v.string(f.get("level")?.value, `logging.level`);
    if (lv !== undefined && !(LOG_LEVELS as readonly string[]).includes(lv)) {
      errors.push(
        `${where(f.get("level")?.value)}: logging.level "${lv}" is not one of: ${LOG_LEVELS.join(", ")}`,
      );
    } else level = lv as LogLevel | undefined;
  }
  if (errors.length > 0) throw invalid(file, errors);
  return { file, plugins, evidence, logging: { level } };
}

function invalid(file: string, errors: string[]): PlugwireError {
  const list = errors.map((e) => `  - ${e}`).join("\n");
  return new PlugwireError(ErrorCode.ConfigInvalid, `invalid agent config ${file}:\n${list}`, {
    details: { errors },
  });
}

function isNull(node: unknown): boolean {
  return isScalar(node) && node.value === null;
}

type Where = (node: Node | null | undefined, fallback?: Node | null) => string;
type Validator = ReturnType<typeof createValidator>;

function createValidator(errors: string[], where: Where) {
  return {
    fail(message: string): void {
      errors.push(message);
    },
    /** The mapping's pairs by key; unknown keys are errors with a did-you-mean. */
    fields(node: Node, known: readonly string[], context: string): Map<string, Pair<Node, Node | null>> {
      const out = new Map<string, Pair<Node, Node | null>>();
      if (!isMap(node)) {
        errors.push(`${where(node)}: expected a mapping ${context}`);
        return out;
      }
      for (const pair of node.items as Pair<Node, Node | null>[]) {
        const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
        if (known.includes(key)) out.set(key, pair);
        else errors.push(`${where(pair.key)}: unknown key "${key}" ${context}${suggestion(key, known)}`);
      }
      return out;
    },
    string(node: Node | null | undefined, label: string): string | undefined {
      if (node === undefined || node === null || isNull(node)) return undefined;
      if (isScalar(node) && typeof node.value !== "object") return String(node.value);
      errors.push(`${where(node)}: ${label} must be a string`);
      return undefined;
    },
    list(node: Node | null | undefined, label: string): string[] {
      if (node === undefined || node === null || isNull(node)) return [];
      if (!isSeq(node)) {
        errors.push(`${where(node)}: ${label} must be a list of strings`);
        return [];
      }
      return (node.items as Node[]).flatMap((item, i) => this.string(item, `${label}[${i}]`) ?? []);
    },
    /** A string map; scalar values are taken as their text (YAML `port: 8080` is "8080"). */
    map(node: Node | null | undefined, label: string): Record<string, string> {
      const out: Record<string, string> = {};
      if (node === undefined || node === null || isNull(node)) return out;
      if (!isMap(node)) {
        errors.push(`${where(node)}: ${label} must be a mapping of strings`);
        return out;
      }
      for (const pair of node.items as Pair<Node, Node | null>[]) {
        const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
        const value = this.string(pair.value, `${label}.${key}`);
        if (value !== undefined) out[key] = value;
        else if (pair.value === null || isNull(pair.value)) out[key] = "";
      }
      return out;
    },
  };
}

function parsePlugin(
  pair: Pair<Node, Node | null>,
  v: Validator,
  base: string,
  where: Where,
): PluginConfig | undefined {
  const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
  const node = pair.value;
  if (node === null || isNull(node)) {
    v.fail(`${where(node, pair.key)}: plugin ${name} has null configuration`);
    return undefined;
  }
  const f = v.fields(node, KEYS.plugin, `in plugin ${name}`);
  const source = v.string(f.get("source")?.value, `plugin ${name}: source`);
  if (!source) v.fail(`${where(node)}: plugin ${name} has no source`);
  const schedule = v.string(f.get("schedule")?.value, `plugin ${name}: schedule`);
  if (schedule !== undefined) {
    try {
      cronParser().parse(schedule, { strict: false });
    } catch (err) {
      v.fail(
        `${where(f.get("schedule")?.value)}: plugin ${name}: schedule "${schedule}" is not a valid cron expression (${(err as Error).message})`,
      );
    }
  }
  return {
    name,
    // Local paths are relative to the config file; OCI references are left for the source resolver.
    source: source && !isOciSource(source) && !isAbsolute(source) ? resolve(base, source) : (source ?? ""),
    protocolVersion: protocol(name, f.get("protocol_version"), v, where),
    args: v.list(f.get("args")?.value, `plugin ${name}: args`),
    env: v.map(f.get("env")?.value, `plugin ${name}: env`),
    config: v.map(f.get("config")?.value, `plugin ${name}: config`),
    policies: v.list(f.get("policies")?.value, `plugin ${name}: policies`),
    schedule,
    labels: v.map(f.get("labels")?.value, `plugin ${name}: labels`),
  };
}

function describe(node: Node | null | undefined): string {
  if (node === null || node === undefined || isNull(node)) return "(empty)";
  if (!isScalar(node)) return isSeq(node) ? "(a list)" : "(a mapping)";
  return typeof node.value === "string" ? JSON.stringify(node.value) : String(node.value);
}

/** `protocol_version`: absent → undefined (presence tracked); present → exactly 1, 2 or "auto". */
function protocol(
  name: string,
  pair: Pair<Node, Node | null> | undefined,
  v: Validator,
  where: Where,
): ProtocolSetting | undefined {
  if (!pair) return undefined;
  const value = isScalar(pair.value) ? pair.value.value : undefined;
  if (value === 1 || value === 2 || value === "auto") return value;
  v.fail(
    `${where(pair.value, pair.key)}: plugin ${name}: protocol_version ${describe(pair.value)} is not supported; use ${PROTOCOL_VALUES.join(", ").replace(/, (?=[^,]*$)/, " or ")}`,
  );
  return undefined;
}

function parseEvidence(node: Node, v: Validator, base: string, where: Where): EvidenceConfig | undefined {
  const f = v.fields(node, KEYS.evidence, `in "evidence"`);
  const type = v.string(f.get("type")?.value, "evidence.type") ?? "stdout";
  const need = (key: "path" | "url") => {
    const value = v.string(f.get(key)?.value, `evidence.${key}`);
    if (!value) v.fail(`${where(node)}: evidence.type ${type} needs evidence.${key}`);
    return value ?? "";
  };
  switch (type) {
    case "stdout":
      return { type };
    case "jsonl":
      return { type, path: resolve(base, need("path")) };
    case "http":
      return { type, url: need("url"), headers: v.map(f.get("headers")?.value, "evidence.headers") };
    default:
      v.fail(
        `${where(f.get("type")?.value)}: evidence.type "${type}" is not one of: ${EVIDENCE_TYPES.join(", ")}`,
      );
      return undefined;
  }
}
