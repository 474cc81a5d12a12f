import { randomBytes } from "node:crypto";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  unlink,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import { ErrorCode } from "@plugwire/contract";
import { deliveryError } from "../failure.js";
import { assertSafeSegment } from "../safe-segment.js";

/** The identity of a staged version: re-staging the same identity is a no-op. */
export interface StageIdentity {
  version: string;
  digest: string;
  /** Key id of the verified signature, or undefined for unsigned artifacts. */
  signature?: string | undefined;
  entry: string;
}

/** Options for {@link stagePlugin}. */
export interface StageOptions extends StageIdentity {
  /** The staging root: `<root>/<id>/versions/<version>/<entry>`. */
  root: string;
  id: string;
  /** Writes the payload into `dir`, a fresh directory inside the plugin's folder (so renames are atomic). */
  fill(dir: string, signal?: AbortSignal): Promise<void>;
  /** Runs after `current` switched; throwing rolls `current` back (issue 6 activation). */
  activate?(binary: string): Promise<void>;
  /** Versions to keep, including the current one (default 3). */
  keep?: number;
  plugin?: string;
  signal?: AbortSignal;
}

/** A staged and activated version. */
export interface StagedPlugin {
  /** `<root>/<id>/versions/<version>`. */
  dir: string;
  /** Absolute path of the entry inside `dir`. */
  binary: string;
  /** True when the same identity was already staged and nothing was written. */
  reused: boolean;
}

const MARKER = ".plugwire-staged.json";
const locks = new Map<string, Promise<unknown>>();

/** Runs `fn` after any earlier staging of the same plugin folder finished (in-process serialisation). */
async function serialised<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = locks.get(key) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(fn);
  locks.set(key, run);
  try {
    return await run;
  } finally {
    if (locks.get(key) === run) locks.delete(key);
  }
}

const exists = (p: string) =>
  lstat(p).then(
    () => true,
    () => false,
  );
const tmpName = (prefix: string) => `${prefix}${randomBytes(6).toString("hex")}`;

async function sameIdentity(dir: string, id: StageIdentity): Promise<boolean> {
  try {
    const m = JSON.parse(await readFile(join(dir, MARKER), "utf8")) as StageIdentity;
    return (
      m.version === id.version &&
      m.digest === id.digest &&
      (m.signature ?? null) === (id.signature ?? null) &&
      m.entry === id.entry &&
      (await stat(join(dir, id.entry))).isFile()
    );
  } catch {
    return false;
  }
}

/** Points `<pluginDir>/current` at `target` atomically (temp symlink + rename), or removes it. */
async function pointCurrent(pluginDir: string, target: string | undefined): Promise<void> {
  const current = join(pluginDir, "current");
  if (target === undefined) {
    await unlink(current).catch(() => {});
    return;
  }
  const tmp = join(pluginDir, tmpName(".current-"));
  await symlink(target, tmp);
  await rename(tmp, current);
}

/**
 * Stages one plugin version under `<root>/<id>/versions/<version>/<entry>` (issue 6):
 * - ids, versions and the entry name are validated as safe path segments before any file I/O;
 * - the payload is written into a temp directory next to `versions/` and renamed into place, the entry
 *   made 0755; a failed fill leaves nothing behind;
 * - `current` is switched with a temp symlink + rename; if `activate` throws, `current` goes back to
 *   its previous target (a replaced version directory is restored) or is removed on a first install —
 *   never left dangling;
 * - staging the same (version, digest, signature) again writes nothing;
 * - afterwards only the newest `keep` versions remain.
 */
export async function stagePlugin(options: StageOptions): Promise<StagedPlugin> {
  const { plugin } = options;
  assertSafeSegment("plugin id", options.id, plugin);
  assertSafeSegment("plugin version", options.version, plugin);
  assertSafeSegment("binary name", options.entry, plugin);
  const pluginDir = join(options.root, options.id);
  return serialised(pluginDir, async () => {
    const versions = join(pluginDir, "versions");
    await mkdir(versions, { recursive: true, mode: 0o755 });
    const dir = join(versions, options.version);
    const binary = join(dir, options.entry);
    const target = join("versions", options.version);
    const previous = await readlink(join(pluginDir, "current")).catch(() => undefined);
    const identity: StageIdentity = {
      version: options.version,
      digest: options.digest,
      signature: options.signature,
      entry: options.entry,
    };
    if (await sameIdentity(dir, identity)) {
      if (previous !== target)
        await activateOrRollBack(pluginDir, target, previous, binary, options, undefined);
      return { dir, binary, reused: true };
    }
    const tmp = await mkdtemp(join(pluginDir, ".staging-"));
    let replaced: string | undefined;
    try {
      await options.fill(tmp, options.signal);
      const entry = await stat(join(tmp, options.entry)).catch(() => undefined);
      if (!entry?.isFile())
        throw deliveryError(
          ErrorCode.ArtifactInvalid,
          `declared binary ${JSON.stringify(options.entry)} was not delivered`,
          { plugin },
        );
      await chmod(join(tmp, options.entry), 0o755);
      await writeFile(join(tmp, MARKER), `${JSON.stringify(identity)}\n`, { mode: 0o644 });
      options.signal?.throwIfAborted();
      if (await exists(dir)) {
        replaced = join(pluginDir, tmpName(".replaced-"));
        await rename(dir, replaced);
      }
      await rename(tmp, dir);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      if (replaced) await rename(replaced, dir).catch(() => {});
      throw err;
    }
    await activateOrRollBack(pluginDir, target, previous, binary, options, replaced);
    if (replaced) await rm(replaced, { recursive: true, force: true });
    await prune(versions, options.version, options.keep ?? 3);
    return { dir, binary, reused: false };
  });
}

async function activateOrRollBack(
  pluginDir: string,
  target: string,
  previous: string | undefined,
  binary: string,
  options: StageOptions,
  replaced: string | undefined,
): Promise<void> {
  await pointCurrent(pluginDir, target);
  try {
    await options.activate?.(binary);
  } catch (err) {
    const dir = join(pluginDir, target);
    if (replaced) {
      await rm(dir, { recursive: true, force: true });
      await rename(replaced, dir);
    }
    await pointCurrent(pluginDir, previous);
    throw err;
  }
}

async function prune(versions: string, current: string, keep: number): Promise<void> {
  const entries = await readdir(versions, { withFileTypes: true });
  const others = await Promise.all(
    entries
      .filter((e) => e.isDirectory() && e.name !== current)
      .map(async (e) => ({ name: e.name, mtime: (await stat(join(versions, e.name))).mtimeMs })),
  );
  others.sort((a, b) => b.mtime - a.mtime);
  for (const old of others.slice(Math.max(0, keep - 1)))
    await rm(join(versions, old.name), { recursive: true, force: true });
}
