import { ErrorCode, type Logger, PlugwireError } from "@plugwire/contract";
import type { SandboxLevel } from "../options.js";
import { bwrapUnavailable } from "./bwrap.js";
import { type NodeEntry, permissionFlag } from "./node.js";

/** Why `level` cannot confine this plugin here, or undefined when it can. */
export async function sandboxUnavailable(
  level: SandboxLevel,
  ctx: { node: NodeEntry | undefined; network: boolean },
): Promise<string | undefined> {
  if (level === "none") return undefined;
  if (level === "bwrap") return bwrapUnavailable(ctx.network);
  if (!ctx.node) return "the node sandbox needs a Node plugin (node <script> or a #!…node script)";
  if (!ctx.node.script) return "the node sandbox needs a script path, not node -e/-p";
  if (!permissionFlag()) return `Node ${process.version} has no permission model (needs Node ≥ 20)`;
  return undefined;
}

/**
 * The level a plugin actually runs under: the requested one when available; otherwise the
 * configured fallback with a warning; otherwise a typed `SANDBOX_UNAVAILABLE` error naming the
 * plugin and the reason. Never a silent downgrade.
 */
export async function resolveSandboxLevel(o: {
  plugin: string;
  requested: SandboxLevel;
  fallback: SandboxLevel | undefined;
  node: NodeEntry | undefined;
  network: boolean;
  logger: Logger;
}): Promise<SandboxLevel> {
  const ctx = { node: o.node, network: o.network };
  const reason = await sandboxUnavailable(o.requested, ctx);
  if (reason === undefined) return o.requested;
  const fail = (why: string) =>
    new PlugwireError(ErrorCode.SandboxUnavailable, `sandbox level ${o.requested} is unavailable: ${why}`, {
      plugin: o.plugin,
      details: { requested: o.requested, fallback: o.fallback, reason },
    });
  if (o.fallback === undefined || o.fallback === o.requested) throw fail(reason);
  const fallbackReason = await sandboxUnavailable(o.fallback, ctx);
  if (fallbackReason !== undefined) throw fail(`${reason}; fallback ${o.fallback} too: ${fallbackReason}`);
  o.logger.warn(
    { requested: o.requested, fallback: o.fallback, reason },
    `sandbox level ${o.requested} is unavailable; running under ${o.fallback} as configured`,
  );
  return o.fallback;
}
