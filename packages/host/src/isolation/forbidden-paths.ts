import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, copyFile, lstat, mkdir, mkdtemp, readdir, readlink, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { ErrorCode, PlugwireError } from "@plugwire/contract";

/**
 * Compiles a glob to a regex anchored at both ends of the path relative to the working dir:
 * `*` and `?` stay inside one segment, `**` crosses segments (`**\/` also matches nothing).
 * Hand-written: `path.matchesGlob` is experimental on Node 20 and we want exactly these rules.
 */
export function globToRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*" && glob[i + 1] === "*") {
      const slash = glob[i + 2] === "/";
      out += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

type Entry =
  | { kind: "file"; mode: number; size: number; hash: string; copy: string }
  | { kind: "symlink"; target: string }
  | { kind: "dir"; mode: number };

/** A snapshot of the forbidden paths under a working dir, able to revert changes to them. */
export interface ForbiddenPathGuard {
  /** Absolute paths that matched at snapshot time (outermost matches): bound read-only under bwrap. */
  readonly matched: readonly string[];
  /**
   * Compares the working dir with the snapshot and reverts every change to a forbidden path —
   * modified and deleted ones restored, new ones removed. Returns the changed relative paths, sorted.
   */
  checkAndRevert(): Promise<string[]>;
  /** Removes the snapshot copies. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Snapshots every forbidden path under `workDir`: file contents are copied (any size: streamed,
 * never held in memory) and hashed, symlinks and directories recorded.
 */
export async function snapshotForbiddenPaths(o: {
  workDir: string;
  patterns: readonly string[];
  plugin: string;
  /** Where the copies go (default the OS temp dir); they take as much space as the forbidden files. */
  storeRoot?: string | undefined;
}): Promise<ForbiddenPathGuard> {
  for (const p of o.patterns) {
    if (!p || p.startsWith("/") || p.split("/").includes("..")) {
      throw new PlugwireError(
        ErrorCode.ConfigInvalid,
        `forbidden pattern ${JSON.stringify(p)} must be a relative glob inside the working dir`,
        { plugin: o.plugin },
      );
    }
  }
  const regexes = o.patterns.map((p) => globToRegExp(p.replace(/\/+$/, "")));
  const store = await mkdtemp(join(o.storeRoot ?? tmpdir(), "pw-snap-"));
  const snapshot = new Map<string, Entry>();
  const matched: string[] = [];
  try {
    let n = 0;
    for (const [rel, top] of await walkForbidden(o.workDir, regexes)) {
      const abs = join(o.workDir, rel);
      if (top) matched.push(abs);
      const st = await lstat(abs);
      if (st.isSymbolicLink()) snapshot.set(rel, { kind: "symlink", target: await readlink(abs) });
      else if (st.isDirectory()) snapshot.set(rel, { kind: "dir", mode: st.mode & 0o7777 });
      else if (st.isFile()) {
        const copy = join(store, String(n++));
        await copyFile(abs, copy);
        snapshot.set(rel, {
          kind: "file",
          mode: st.mode & 0o7777,
          size: st.size,
          hash: await hashFile(abs),
          copy,
        });
      }
    }
  } catch (err) {
    await rm(store, { recursive: true, force: true });
    throw err;
  }
  return {
    matched,
    async checkAndRevert() {
      const changed = new Set<string>();
      const now = new Map(await walkForbidden(o.workDir, regexes));
      // New paths first (deepest first), so a directory that replaced a file is gone before restores.
      for (const rel of [...now.keys()].sort().reverse()) {
        if (snapshot.has(rel)) continue;
        changed.add(rel);
        await rm(join(o.workDir, rel), { recursive: true, force: true });
      }
      // Then restore in path order, so directories exist before their files.
      for (const rel of [...snapshot.keys()].sort()) {
        const entry = snapshot.get(rel) as Entry;
        const abs = join(o.workDir, rel);
        if (await unchanged(abs, entry)) continue;
        changed.add(rel);
        await restore(abs, entry);
      }
      return [...changed].sort();
    },
    dispose: () => rm(store, { recursive: true, force: true }),
  };
}

/** Relative paths under `root` that are forbidden (a match or inside one), with whether each is a match's top. */
async function walkForbidden(root: string, regexes: readonly RegExp[]): Promise<[string, boolean][]> {
  const out: [string, boolean][] = [];
  const visit = async (dir: string, inside: boolean): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const d of entries) {
      const abs = join(dir, d.name);
      const rel = relative(root, abs).split(sep).join("/");
      const top = !inside && regexes.some((r) => r.test(rel));
      if (inside || top) out.push([rel, top]);
      // Never follow symlinked directories out of the working dir.
      if (d.isDirectory()) await visit(abs, inside || top);
    }
  };
  await visit(root, false);
  return out;
}

async function unchanged(abs: string, entry: Entry): Promise<boolean> {
  const st = await lstat(abs).catch(() => undefined);
  if (!st) return false;
  if (entry.kind === "symlink") return st.isSymbolicLink() && (await readlink(abs)) === entry.target;
  if (entry.kind === "dir") return st.isDirectory() && (st.mode & 0o7777) === entry.mode;
  return (
    st.isFile() &&
    st.size === entry.size &&
    (st.mode & 0o7777) === entry.mode &&
    (await hashFile(abs)) === entry.hash
  );
}

async function restore(abs: string, entry: Entry): Promise<void> {
  const st = await lstat(abs).catch(() => undefined);
  if (st && !(entry.kind === "dir" && st.isDirectory())) await rm(abs, { recursive: true, force: true });
  await mkdir(dirname(abs), { recursive: true });
  if (entry.kind === "dir") {
    await mkdir(abs, { recursive: true });
    await chmod(abs, entry.mode);
  } else if (entry.kind === "symlink") {
    await symlink(entry.target, abs);
  } else {
    await copyFile(entry.copy, abs);
    await chmod(abs, entry.mode);
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}
