import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HandshakeConfig } from "@plugwire/contract";
import { KV } from "../../../../examples/go-plugin-kv/src/gen/kv/kv_pb.js";
import {
  type LaunchOptions,
  type Plugin,
  PluginHost,
  type PluginHostOptions,
  silentLogger,
} from "../../src/index.js";
import { goBin, repoRoot } from "../support/go-fixtures.js";
import {
  type Baseline,
  baseline,
  checkEmptyDirs,
  checkNoProcesses,
  checkResources,
  checkResponsive,
  checkTypedError,
  DEFAULT_BOUNDS,
  type ResourceBounds,
} from "./invariants.js";

export const versions = { 1: { kv: KV } };
export type ChaosHost = PluginHost<typeof versions>;
export type ChaosPlugin = Plugin<typeof versions>;
export const BASIC: HandshakeConfig = { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" };

/** Plugin languages of the matrix: the SDK fixture (chaos-plugin.mjs) and its go-plugin twin. */
export type Lang = "ts" | "go";
export const LANGS: readonly Lang[] = ["ts", "go"];

/** Command and args of the chaos fixture in `lang`. */
export function fixtureCommand(lang: Lang): { command: string; args: string[] } {
  return lang === "go"
    ? { command: goBin("chaos-plugin"), args: [] }
    : { command: process.execPath, args: [join(repoRoot, "packages/host/test/fixtures/chaos-plugin.mjs")] };
}

/** What a fault case gets: a host of its own, private dirs, and a marker every process inherits. */
export interface CaseContext {
  readonly lang: Lang;
  readonly host: ChaosHost;
  /** `CHAOS_CASE` value: the leak check finds re-parented grandchildren by it. */
  readonly marker: string;
  readonly socketRoot: string;
  readonly tmp: string;
  /** Environment for anything the case starts (marker, TMPDIR). */
  readonly env: Record<string, string>;
  /** The plugin name errors must carry: `<fault>-<lang>`. */
  readonly name: string;
  /** Launch options for the fixture in `mode` (CHAOS_MODE), for any host. */
  options(mode?: string, extra?: Partial<LaunchOptions>): LaunchOptions;
  /** Launches the fixture in `mode` on the case's host. */
  launch(mode?: string, extra?: Partial<LaunchOptions>): Promise<ChaosPlugin>;
  /** Another host with the same private dirs (e.g. a different cookie); closed with the case. */
  extraHost(options?: Partial<PluginHostOptions<typeof versions>>): ChaosHost;
}

/** What a case reports: a short outcome for the table, and the error it provoked (if any). */
export interface CaseResult {
  outcome: string;
  /** The error the fault produced; it must be typed and name the case's plugin. */
  error?: unknown;
  /** Resource bounds for this case (default {@link DEFAULT_BOUNDS}). */
  bounds?: ResourceBounds;
}

/** A fault: one row of the matrix. */
export interface ChaosCase {
  fault: string;
  /** Plugin name stem (`<name>-<lang>`); default the fault's first word. */
  name?: string;
  run(ctx: CaseContext): Promise<CaseResult>;
  /** Languages this fault applies to (default both). */
  langs?: readonly Lang[];
  /** Skip the canary launch (cases that stress the host with launches themselves). */
  noCanary?: boolean;
}

/** One cell of the matrix. */
export interface CellResult {
  fault: string;
  lang: Lang;
  outcome: string;
  violations: string[];
  ms: number;
}

let serial = 0;

/**
 * Runs one cell: the fault, then every invariant — typed error naming the plugin, host responsive
 * (a canary launch + ping on the same host), nothing left (processes, sockets, temp files), fds and
 * RSS back within bounds. Violations are collected, never thrown, so the matrix shows them all.
 */
export async function runCell(c: ChaosCase, lang: Lang, base: Baseline = baseline()): Promise<CellResult> {
  const started = Date.now();
  const marker = `${process.pid}-${++serial}-${c.fault}-${lang}`;
  const socketRoot = mkdtempSync(join(tmpdir(), "pwc-s-"));
  const tmp = mkdtempSync(join(tmpdir(), "pwc-t-"));
  const env = { CHAOS_CASE: marker, TMPDIR: tmp };
  const hosts: ChaosHost[] = [];
  const extraHost = (options: Partial<PluginHostOptions<typeof versions>> = {}) => {
    const h = new PluginHost({ handshake: BASIC, versions, logger: silentLogger, socketRoot, ...options });
    hosts.push(h);
    return h;
  };
  const host = extraHost({ closeGraceMs: 1000 });
  const name = `${c.name ?? c.fault.split(" ")[0]}-${lang}`;
  const options = (mode?: string, extra: Partial<LaunchOptions> = {}): LaunchOptions => ({
    name,
    ...fixtureCommand(lang),
    env: { ...env, ...(mode ? { CHAOS_MODE: mode } : {}) },
    ...extra,
  });
  const ctx: CaseContext = {
    lang,
    host,
    marker,
    socketRoot,
    tmp,
    env,
    name,
    extraHost,
    options,
    launch: (mode, extra) => host.launch(options(mode, extra)),
  };
  const violations: string[] = [];
  let outcome = "";
  try {
    const result = await c.run(ctx);
    outcome = result.outcome;
    if (result.error !== undefined) {
      const bad = checkTypedError(result.error, name);
      if (bad) violations.push(bad);
    }
    if (!c.noCanary) {
      violations.push(
        ...(await checkResponsive(async () => {
          const canary = await ctx.launch(undefined, { name: `canary-${lang}` });
          await canary.ping({ timeoutMs: 5000 });
          await canary.close();
        })),
      );
    }
    await Promise.all(hosts.map((h) => h.close()));
    violations.push(...(await checkNoProcesses(marker)));
    violations.push(...checkEmptyDirs([socketRoot, tmp]));
    violations.push(...(await checkResources(base, result.bounds ?? DEFAULT_BOUNDS)));
  } catch (err) {
    violations.push(`case threw: ${(err as Error)?.stack ?? String(err)}`);
    await Promise.allSettled(hosts.map((h) => h.close()));
  } finally {
    rmSync(socketRoot, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
  return { fault: c.fault, lang, outcome, violations, ms: Date.now() - started };
}

/** Collects cells and renders the fault × language table. */
export function createMatrix() {
  const cells: CellResult[] = [];
  const skipped: { fault: string; lang: Lang; why: string }[] = [];
  return {
    cells,
    record(cell: CellResult): void {
      cells.push(cell);
    },
    skip(fault: string, lang: Lang, why: string): void {
      skipped.push({ fault, lang, why });
    },
    /** A plain-text table: one row per fault, one column per language. */
    render(): string {
      const faults = [...new Set([...cells.map((c) => c.fault), ...skipped.map((s) => s.fault)])];
      const cellText = (fault: string, lang: Lang): string => {
        const cell = cells.find((c) => c.fault === fault && c.lang === lang);
        if (cell) {
          const mark = cell.violations.length === 0 ? "PASS" : `FAIL (${cell.violations.length})`;
          return `${mark} ${cell.outcome} [${(cell.ms / 1000).toFixed(1)}s]`;
        }
        const skip = skipped.find((s) => s.fault === fault && s.lang === lang);
        return skip ? `skipped: ${skip.why}` : "n/a";
      };
      const rows = faults.map((f) => [f, ...LANGS.map((l) => cellText(f, l))]);
      const header = [
        "fault",
        ...LANGS.map((l) => (l === "ts" ? "TypeScript (SDK)" : "Go (go-plugin v1.8)")),
      ];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
      const line = (r: string[]) => `| ${r.map((v, i) => v.padEnd(widths[i] ?? 0)).join(" | ")} |`;
      const failures = cells.flatMap((c) => c.violations.map((v) => `  ${c.fault} × ${c.lang}: ${v}`));
      return [
        "chaos matrix (fault × plugin language → outcome)",
        line(header),
        line(widths.map((w) => "-".repeat(w))),
        ...rows.map(line),
        ...(failures.length > 0 ? ["violations:", ...failures] : []),
      ].join("\n");
    },
  };
}
