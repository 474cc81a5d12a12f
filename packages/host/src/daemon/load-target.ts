import { createRequire } from "node:module";
import { basename, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  type DaemonPluginDefinition,
  daemonPluginFromModule,
  ErrorCode,
  isDaemonPluginDefinition,
  PlugwireError,
} from "@plugwire/contract";

/** A plugin executable that serves a daemon plugin (`serveDaemonPlugin`), for process isolation only. */
export interface DaemonExecutable {
  command: string;
  args?: readonly string[];
}

/** What `PluginRuntime.load` runs: a definition, a module (path or file: URL) defining one, or an executable. */
export type LoadTarget = DaemonPluginDefinition | string | URL | DaemonExecutable;

/** The SDK module a host runs to serve a daemon plugin module in a subprocess. */
export const DAEMON_ENTRY_SPECIFIER = "@plugwire/plugin-sdk/daemon-entry";

/** The module URL of a target, when it has one. */
export function moduleUrl(target: LoadTarget): string | undefined {
  if (isDaemonPluginDefinition(target)) return target.module;
  if (target instanceof URL) return target.href;
  if (typeof target === "string")
    return target.startsWith("file:") ? target : pathToFileURL(resolve(target)).href;
  return undefined;
}

/** A short label for logs before the plugin has told its name. */
export function targetLabel(target: LoadTarget): string {
  if (isDaemonPluginDefinition(target)) return target.name;
  const url = moduleUrl(target);
  const path = url ? fileURLToPath(url) : (target as DaemonExecutable).command;
  return basename(path).replace(/\.[cm]?js$/, "");
}

/** The definition to run in-process: the target itself, or what its module exports (imported here). */
export async function definitionFor(target: LoadTarget): Promise<DaemonPluginDefinition> {
  if (isDaemonPluginDefinition(target)) return target;
  const url = moduleUrl(target);
  if (!url) {
    throw new PlugwireError(
      ErrorCode.ConfigInvalid,
      "an executable can only be loaded with isolation: process; pass a definition or module for in-process",
      { plugin: targetLabel(target) },
    );
  }
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(url)) as Record<string, unknown>;
  } catch (cause) {
    throw new PlugwireError(ErrorCode.NotFound, `cannot import ${url}: ${(cause as Error).message}`, {
      plugin: targetLabel(target),
      cause,
    });
  }
  return daemonPluginFromModule(namespace, url);
}

/**
 * argv for process isolation: the executable as given, or `node <sdk daemon entry> <module>`. The
 * entry is resolved from the plugin module's own location (the plugin depends on the SDK; the host
 * does not), unless `entry` is given.
 */
export function commandFor(target: LoadTarget, entry?: string): { command: string; args: string[] } {
  if (!isDaemonPluginDefinition(target) && typeof target === "object" && !(target instanceof URL)) {
    return { command: target.command, args: [...(target.args ?? [])] };
  }
  const url = moduleUrl(target);
  if (!url) {
    throw new PlugwireError(
      ErrorCode.ConfigInvalid,
      "isolation: process needs the plugin's module: pass its path, or set module: import.meta.url in defineDaemonPlugin",
      { plugin: targetLabel(target) },
    );
  }
  let script = entry;
  if (!script) {
    try {
      script = createRequire(url).resolve(DAEMON_ENTRY_SPECIFIER);
    } catch (cause) {
      throw new PlugwireError(
        ErrorCode.NotFound,
        `cannot resolve ${DAEMON_ENTRY_SPECIFIER} from ${url}: install @plugwire/plugin-sdk next to the plugin, or pass entry`,
        { plugin: targetLabel(target), cause },
      );
    }
  }
  return { command: process.execPath, args: [script, url] };
}
