import { readFile } from "node:fs/promises";
import { ErrorCode, type Logger, PlugwireError } from "@plugwire/contract";
import { deliveryError } from "../failure.js";
import { assertSafeSegment } from "../safe-segment.js";

/** One plugin as delivered to a host (by a control plane or a config file). */
export interface PluginAssignment {
  id: string;
  source?: string;
  args?: string[];
  config?: Record<string, unknown>;
  protocolVersion?: 1 | 2;
}

/** The result of {@link applyLocalOverrides}: patched assignments and every problem met (also logged). */
export interface OverrideResult {
  assignments: PluginAssignment[];
  warnings: PlugwireError[];
}

const empty = (v: unknown) =>
  v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);

function patch(base: PluginAssignment, o: Record<string, unknown>): PluginAssignment {
  const out: PluginAssignment = { ...base };
  if (!empty(o.source)) out.source = String(o.source);
  if (!empty(o.args)) out.args = (o.args as unknown[]).map(String);
  if (o.protocolVersion === 1 || o.protocolVersion === 2) out.protocolVersion = o.protocolVersion;
  if (o.config && typeof o.config === "object" && !Array.isArray(o.config)) {
    const config = { ...base.config };
    for (const [k, v] of Object.entries(o.config as Record<string, unknown>)) if (!empty(v)) config[k] = v;
    out.config = config;
  }
  return out;
}

/**
 * Applies a local override file (e.g. `plugins.local.json`: `{"plugins":[{"id", "source"?, "args"?,
 * "config"?, "protocolVersion"?}]}`) to delivered assignments (issue 6): an entry whose id matches patches
 * that assignment's fields (empty values — `""`, `null`, `[]` — inherit; `config` keys merge one level
 * deep); other entries are appended as local-only plugins. A missing file changes nothing; a malformed
 * file, or a malformed or unsafe entry, is a warning and is ignored — it never blocks delivery.
 */
export async function applyLocalOverrides(
  assignments: readonly PluginAssignment[],
  path: string,
  options: { logger?: Logger } = {},
): Promise<OverrideResult> {
  const warnings: PlugwireError[] = [];
  const warn = (err: PlugwireError) => {
    warnings.push(err);
    options.logger?.warn(
      { path, code: err.code, plugin: err.plugin },
      `local override ignored: ${err.message}`,
    );
  };
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return { assignments: [...assignments], warnings };
  }
  let entries: unknown[];
  try {
    const parsed = JSON.parse(text) as { plugins?: unknown };
    if (!Array.isArray(parsed?.plugins)) throw new Error('expected {"plugins": [...]}');
    entries = parsed.plugins;
  } catch (cause) {
    warn(deliveryError(ErrorCode.ConfigInvalid, `override file ${path} is malformed`, { cause }));
    return { assignments: [...assignments], warnings };
  }
  const out = assignments.map((a) => ({ ...a }));
  for (const [i, raw] of entries.entries()) {
    try {
      if (!raw || typeof raw !== "object" || Array.isArray(raw))
        throw deliveryError(ErrorCode.ConfigInvalid, `override entry #${i + 1} is not an object`);
      const entry = raw as Record<string, unknown>;
      const id = assertSafeSegment(
        "plugin id",
        entry.id,
        typeof entry.id === "string" ? entry.id : undefined,
      );
      if (entry.args !== undefined && !Array.isArray(entry.args))
        throw deliveryError(ErrorCode.ConfigInvalid, "override args must be an array", { plugin: id });
      const at = out.findIndex((a) => a.id === id);
      if (at !== -1) out[at] = patch(out[at] as PluginAssignment, entry);
      else if (typeof entry.source !== "string" || entry.source === "")
        throw deliveryError(ErrorCode.ConfigInvalid, "local-only override entry needs a source", {
          plugin: id,
        });
      else out.push(patch({ id }, entry));
    } catch (err) {
      if (!(err instanceof PlugwireError)) throw err;
      warn(err);
    }
  }
  return { assignments: out, warnings };
}
