import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ErrorCode, type Logger, PlugwireError, silentLogger } from "@plugwire/contract";
import type { IsolationOptions } from "../isolation/options.js";
import { MANIFEST_FILES, type ManifestPolicy, type PluginManifest, parseManifest } from "./manifest.js";

/** A plugin found by {@link scanPluginDirs}. */
export interface RegisteredPlugin {
  manifest: PluginManifest;
  /** The plugin's directory (absolute). */
  dir: string;
  /** The manifest file (absolute). */
  manifestPath: string;
  /** The executable (absolute, inside `dir`). */
  command: string;
}

/** A manifest that was not accepted, and every reason why. */
export interface RejectedManifest {
  path: string;
  reasons: string[];
}

/** What a scan found. */
export interface ManifestRegistry {
  /** Accepted plugins by name; for a name found in several dirs, the one from the latest dir. */
  plugins: ReadonlyMap<string, RegisteredPlugin>;
  rejected: readonly RejectedManifest[];
}

/** Options for {@link scanPluginDirs}. */
export interface ScanPluginDirsOptions extends ManifestPolicy {
  logger?: Logger;
  signal?: AbortSignal;
}

/**
 * Scans plugin directories: each immediate subdirectory holding a `plugwire.json` (or `.yaml`/`.yml`)
 * is a plugin. Dirs are read in order and a later dir's plugin replaces an earlier one of the same
 * name (logged at info, so an override is never silent). Invalid manifests are collected with all
 * their reasons (and logged at warn) instead of failing the scan; a missing dir is skipped.
 */
export async function scanPluginDirs(
  dirs: readonly string[],
  options: ScanPluginDirsOptions = {},
): Promise<ManifestRegistry> {
  const logger = options.logger ?? silentLogger;
  const plugins = new Map<string, RegisteredPlugin>();
  const rejected: RejectedManifest[] = [];
  for (const base of dirs.map((d) => resolve(d))) {
    if (options.signal?.aborted) {
      throw new PlugwireError(ErrorCode.Aborted, "plugin directory scan aborted", {
        cause: options.signal.reason,
      });
    }
    const entries = await readdir(base, { withFileTypes: true }).catch(() => undefined);
    if (!entries) {
      logger.debug({ dir: base }, "plugin directory does not exist; skipped");
      continue;
    }
    for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
      const found = await readManifest(join(base, entry.name));
      if (!found) continue;
      const result = parseManifest(found.text, found.path, options);
      if (!result.ok) {
        rejected.push({ path: found.path, reasons: result.reasons });
        logger.warn({ path: found.path, reasons: result.reasons }, "plugin manifest rejected");
        continue;
      }
      const dir = join(base, entry.name);
      const plugin = {
        manifest: result.manifest,
        dir,
        manifestPath: found.path,
        command: join(dir, result.manifest.command),
      };
      const previous = plugins.get(result.manifest.name);
      if (previous) {
        logger.info(
          { plugin: result.manifest.name, winner: found.path, overridden: previous.manifestPath },
          "plugin found in a later directory overrides the earlier one",
        );
      }
      plugins.set(result.manifest.name, plugin);
    }
  }
  return { plugins, rejected };
}

async function readManifest(dir: string): Promise<{ path: string; text: string } | undefined> {
  for (const name of MANIFEST_FILES) {
    const path = join(dir, name);
    const text = await readFile(path, "utf8").catch(() => undefined);
    if (text !== undefined) return { path, text };
  }
  return undefined;
}

/**
 * The isolation a manifest asks for, as launch options: its memory cap as a limit, its sandbox
 * level, and no network unless it declared it needs one.
 */
export function manifestIsolation(manifest: PluginManifest): IsolationOptions {
  const iso: IsolationOptions = { network: manifest.network };
  if (manifest.isolation?.memoryBytes !== undefined)
    iso.limits = { memoryBytes: manifest.isolation.memoryBytes };
  if (manifest.isolation?.sandbox !== undefined) iso.sandbox = manifest.isolation.sandbox;
  return iso;
}
