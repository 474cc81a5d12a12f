import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";

/** What identifies one build and configuration of a supervised plugin. */
export interface Fingerprint {
  version: string | undefined;
  /** sha256 of the executable's bytes, so a binary replaced at the same path is noticed. */
  binary: string | undefined;
  /** sha256 of the config (canonical JSON) together with argv and extra env. */
  config: string;
}

/** Which parts differ between two fingerprints: `version`, `binary`, `config`. */
export function fingerprintChanges(a: Fingerprint, b: Fingerprint): (keyof Fingerprint)[] {
  return (["version", "binary", "config"] as const).filter((k) => a[k] !== b[k]);
}

/** Computes a {@link Fingerprint}; `artifact` undefined (a PATH lookup) leaves `binary` undefined. */
export async function fingerprint(input: {
  version: string | undefined;
  artifact: string | undefined;
  config: unknown;
  signal?: AbortSignal | undefined;
}): Promise<Fingerprint> {
  return {
    version: input.version,
    binary: input.artifact === undefined ? undefined : await fileDigest(input.artifact, input),
    config: createHash("sha256").update(canonicalJson(input.config)).digest("hex"),
  };
}

/**
 * Digests of executables already read, by path, with the stat identity they were read under. A
 * supervisor fingerprints its binary before every launch and on every reload, and reading the whole
 * file each time (18 MB for a small Go plugin) made starting 200 supervised plugins read 3.6 GB.
 * Any write to the file changes its ctime (which no syscall can set back) and a replacement changes
 * its inode, so an unchanged identity means unchanged bytes, as for git's index and make.
 */
const digests = new Map<string, { identity: string; digest: string }>();
/** A file changed within this long of its hashing may change again within the timestamp's resolution. */
const SETTLED_NS = 2_000_000_000n;

/**
 * @internal sha256 (hex) of the file at `path`, from {@link digests} when its identity is unchanged;
 * undefined when it cannot be read. `nowMs` and `read` are for tests.
 */
export async function fileDigest(
  path: string,
  options: {
    signal?: AbortSignal | undefined;
    nowMs?: number;
    read?: (path: string, signal: AbortSignal | undefined) => AsyncIterable<Uint8Array>;
  } = {},
): Promise<string | undefined> {
  const { signal, read = (p, s) => createReadStream(p, { signal: s }) } = options;
  let identity: string;
  let settled: boolean;
  try {
    const st = await stat(path, { bigint: true });
    identity = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    settled = BigInt(Math.floor(options.nowMs ?? Date.now())) * 1_000_000n - st.ctimeNs > SETTLED_NS;
  } catch {
    // Missing or unreadable: the launch reports that with a typed error; here it is just "unknown".
    digests.delete(path);
    return undefined;
  }
  const known = digests.get(path);
  if (known?.identity === identity) return known.digest;
  const hash = createHash("sha256");
  try {
    for await (const chunk of read(path, signal)) hash.update(chunk);
  } catch {
    return undefined;
  }
  const digest = hash.digest("hex");
  // A racy file (changed just now) is hashed again next time rather than trusted by its identity.
  if (settled) digests.set(path, { identity, digest });
  else digests.delete(path);
  return digest;
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` hash the same. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}
