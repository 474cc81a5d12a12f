import { existsSync } from "node:fs";
import { open, realpath } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";

/** A Node program split into interpreter, its flags' insertion point, and the script with its args. */
export interface NodeEntry {
  /** The node executable to run. */
  node: string;
  /** Flags already given to node before the script (kept, ours are added after them). */
  nodeArgs: string[];
  /** The script path (absolute), or undefined for `node -e …` style invocations. */
  script: string | undefined;
  /** Arguments after the script. */
  scriptArgs: string[];
}

/**
 * Recognises a Node plugin: `node <flags> script …` (by basename or the host's own `execPath`), or
 * an executable script whose `#!` line names node (`#!/usr/bin/env node`). A shebang script is run
 * with the host's own Node (`process.execPath`), since node flags cannot ride on a `#!` line portably.
 */
export async function detectNodeEntry(
  command: string,
  args: readonly string[],
  cwd: string,
): Promise<NodeEntry | undefined> {
  if (command === process.execPath || /^node(\.exe)?$/.test(basename(command))) {
    const at = args.findIndex((a) => !a.startsWith("-"));
    if (at < 0) return { node: command, nodeArgs: [...args], script: undefined, scriptArgs: [] };
    return {
      node: command,
      nodeArgs: args.slice(0, at),
      script: resolve(cwd, args[at] as string),
      scriptArgs: args.slice(at + 1),
    };
  }
  if (!command.includes("/")) return undefined;
  const script = resolve(cwd, command);
  const first = await readFirstLine(script);
  if (!first?.startsWith("#!") || !/\bnode\b/.test(first)) return undefined;
  return { node: process.execPath, nodeArgs: [], script, scriptArgs: [...args] };
}

async function readFirstLine(path: string): Promise<string | undefined> {
  try {
    const handle = await open(path, "r");
    try {
      const buf = Buffer.alloc(256);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead).toString("utf8").split("\n")[0];
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

/** Node's permission flag: `--permission` once stable (Node ≥ 22.13/23.5), `--experimental-permission` on Node 20. */
export function permissionFlag(): string | undefined {
  const flags = process.allowedNodeEnvironmentFlags;
  if (flags.has("--permission")) return "--permission";
  if (flags.has("--experimental-permission")) return "--experimental-permission";
  return undefined;
}

/**
 * The directory tree a Node plugin must read to load: the outermost ancestor of the script's real
 * path that has a `node_modules` (a pnpm/npm workspace root, so symlinked workspace packages are
 * inside it too), or the script's directory.
 */
export async function nodePackageRoot(script: string): Promise<string> {
  const real = await realpath(script);
  let root = dirname(real);
  for (let dir = dirname(real); ; dir = dirname(dir)) {
    if (existsSync(resolve(dir, "node_modules"))) root = dir;
    if (dirname(dir) === dir) break;
  }
  return root;
}

/**
 * Arguments for Node's permission model (Node 20: `--experimental-permission` with repeated
 * `--allow-fs-read=` / `--allow-fs-write=`). Unix sockets need no permission, but the SDK removes a
 * stale socket file first, so the socket directory is readable and writable. Child processes and
 * worker threads stay denied.
 */
export function nodePermissionArgs(
  flag: string,
  read: readonly string[],
  write: readonly string[],
): string[] {
  const unique = (xs: readonly string[]) => [...new Set(xs)];
  return [
    flag,
    ...unique([...read, ...write]).map((p) => `--allow-fs-read=${p}`),
    ...unique(write).map((p) => `--allow-fs-write=${p}`),
  ];
}
