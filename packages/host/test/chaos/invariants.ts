import { readdirSync, readFileSync } from "node:fs";
import { ConnectError } from "@connectrpc/connect";
import { ErrorCode, PlugwireError } from "../../src/index.js";
import { alive, descendants, openFds, waitUntil } from "../support/leaks.js";

/** fds and RSS of the host process when a case starts. */
export interface Baseline {
  fds: number;
  rss: number;
}

/** Bounds for the resource invariant: how far fds and RSS may stay above the baseline. */
export interface ResourceBounds {
  fdSlack: number;
  rssSlackBytes: number;
}

export const DEFAULT_BOUNDS: ResourceBounds = { fdSlack: 8, rssSlackBytes: 96 * 1024 * 1024 };

/** Takes the baseline for {@link checkResources}. */
export function baseline(): Baseline {
  return { fds: openFds(), rss: process.memoryUsage.rss() };
}

const codes = new Set<string>(Object.values(ErrorCode));

/**
 * The error invariant: a `PlugwireError` with a known code and `plugin === name`, or a `ConnectError`
 * (a gRPC status from the wire) whose message names the plugin. Returns the violation, or undefined.
 */
export function checkTypedError(err: unknown, plugin: string): string | undefined {
  if (err instanceof PlugwireError) {
    if (!codes.has(err.code)) return `PlugwireError with unknown code ${err.code}`;
    if (err.plugin !== plugin) return `PlugwireError names ${err.plugin ?? "no plugin"}, not ${plugin}`;
    return undefined;
  }
  if (err instanceof ConnectError) {
    return err.message.includes(`plugin ${plugin}`)
      ? undefined
      : `ConnectError does not name the plugin: ${err.message.slice(0, 200)}`;
  }
  return `untyped error: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
}

/**
 * Every live process that belongs to a case: descendants of this host process, plus anything whose
 * environment carries `CHAOS_CASE=<marker>` — a grandchild orphaned by a plugin's death is
 * re-parented away from us, but keeps the environment it inherited.
 */
export function caseProcesses(marker: string, root: number = process.pid): number[] {
  const found = new Set(descendants(root));
  const needle = `\0CHAOS_CASE=${marker}\0`;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === root) continue;
    try {
      if (`\0${readFileSync(`/proc/${entry}/environ`, "latin1")}`.includes(needle) && alive(Number(entry)))
        found.add(Number(entry));
    } catch {
      // exited meanwhile, or not ours
    }
  }
  return [...found];
}

/** Names a pid for a violation message: `1234 (sleep 600)`. */
function describePid(pid: number): string {
  try {
    return `${pid} (${readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim().slice(0, 60)})`;
  } catch {
    return String(pid);
  }
}

/** The process invariant, polled for `timeoutMs` (a kill takes a moment to be reaped). */
export async function checkNoProcesses(marker: string, timeoutMs = 3000, root?: number): Promise<string[]> {
  if (await waitUntil(() => caseProcesses(marker, root).length === 0, timeoutMs)) return [];
  return caseProcesses(marker, root).map((pid) => `process left behind: ${describePid(pid)}`);
}

/** The filesystem invariant: every directory given is empty (socket root, TMPDIR of the case). */
export function checkEmptyDirs(dirs: readonly string[]): string[] {
  const out: string[] = [];
  for (const dir of dirs) {
    const entries = readdirSync(dir);
    if (entries.length > 0) out.push(`left in ${dir}: ${entries.join(", ")}`);
  }
  return out;
}

/**
 * The resource invariant: fds back within `fdSlack` of the baseline (polled: sockets close
 * asynchronously) and RSS within `rssSlackBytes` after a GC when one is exposed.
 */
export async function checkResources(
  base: Baseline,
  bounds: ResourceBounds = DEFAULT_BOUNDS,
  timeoutMs = 3000,
): Promise<string[]> {
  const out: string[] = [];
  if (!(await waitUntil(() => openFds() <= base.fds + bounds.fdSlack, timeoutMs)))
    out.push(`fds ${openFds()} > baseline ${base.fds} + ${bounds.fdSlack}`);
  (globalThis as { gc?: () => void }).gc?.();
  const rss = process.memoryUsage.rss();
  if (rss > base.rss + bounds.rssSlackBytes)
    out.push(`RSS ${mib(rss)} MiB > baseline ${mib(base.rss)} + ${mib(bounds.rssSlackBytes)} MiB`);
  return out;
}

/** The liveness invariant: the event loop turns promptly, then `probe` (e.g. launch+ping) succeeds. */
export async function checkResponsive(probe: () => Promise<void>, timeoutMs = 1000): Promise<string[]> {
  const started = Date.now();
  await new Promise((r) => setImmediate(r));
  const lag = Date.now() - started;
  if (lag > timeoutMs) return [`event loop blocked for ${lag} ms`];
  try {
    await probe();
    return [];
  } catch (err) {
    return [`host not responsive: ${(err as Error).message}`];
  }
}

/**
 * The evidence invariant: each Eval that answered SUCCESS delivered each of its evidence ids exactly
 * once (`expected`: eval id → evidence ids it produced; `received`: every evidence id the host
 * recorded, in order). Evals that failed may have delivered a prefix, never a duplicate — unless
 * `failed` (eval id → the evidence ids it would have produced) is given: then the run must be all or
 * nothing, and any evidence of a failed Eval that reached the sink is a half-recorded run.
 */
export function checkEvidence(
  succeeded: ReadonlyMap<string, readonly string[]>,
  received: readonly string[],
  failed?: ReadonlyMap<string, readonly string[]>,
): string[] {
  const counts = new Map<string, number>();
  for (const id of received) counts.set(id, (counts.get(id) ?? 0) + 1);
  const out: string[] = [];
  for (const [id, n] of counts) if (n > 1) out.push(`evidence ${id} recorded ${n} times`);
  for (const [evalId, ids] of succeeded) {
    const missing = ids.filter((id) => !counts.has(id));
    if (missing.length > 0) out.push(`eval ${evalId} answered SUCCESS but lost ${missing.length} evidence`);
  }
  for (const [evalId, ids] of failed ?? []) {
    const recorded = ids.filter((id) => counts.has(id));
    if (recorded.length > 0) out.push(`eval ${evalId} failed but ${recorded.length} evidence were recorded`);
  }
  return out;
}

function mib(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}
