import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

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
    binary: input.artifact === undefined ? undefined : await hashFile(input.artifact, input.signal),
    config: createHash("sha256").update(canonicalJson(input.config)).digest("hex"),
  };
}

async function hashFile(path: string, signal: AbortSignal | undefined): Promise<string | undefined> {
  const hash = createHash("sha256");
  try {
    for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer);
  } catch {
    // Missing or unreadable: the launch reports that with a typed error; here it is just "unknown".
    return undefined;
  }
  return hash.digest("hex");
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` hash the same. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}
