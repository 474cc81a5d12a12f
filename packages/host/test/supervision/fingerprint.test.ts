import { createHash } from "node:crypto";
import {
  appendFileSync,
  createReadStream,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { fileDigest } from "../../src/supervision/fingerprint.js";

const dir = mkdtempSync(join(tmpdir(), "pw-fingerprint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** fileDigest with a clock `ageMs` past the file's last change, counting the reads of its bytes. */
function digester() {
  let reads = 0;
  const read = (path: string) => {
    reads++;
    return createReadStream(path);
  };
  return {
    digest: (path: string, ageMs = 60_000) =>
      fileDigest(path, { nowMs: (statSync(path, { throwIfNoEntry: false })?.ctimeMs ?? 0) + ageMs, read }),
    reads: () => reads,
  };
}

describe("fileDigest", () => {
  test("an unchanged settled file is read once; a write or a replacement is read again", async () => {
    const d = digester();
    const path = join(dir, "plugin-a");
    writeFileSync(path, "build 1");
    expect(await d.digest(path)).toBe(sha256("build 1"));
    expect(await d.digest(path)).toBe(sha256("build 1"));
    expect(d.reads()).toBe(1);

    appendFileSync(path, " + fix");
    expect(await d.digest(path)).toBe(sha256("build 1 + fix"));
    expect(d.reads()).toBe(2);

    // Another file renamed over it: a new inode, even with the same size.
    const next = join(dir, "plugin-a.new");
    writeFileSync(next, "build 2 + fix");
    renameSync(next, path);
    expect(await d.digest(path)).toBe(sha256("build 2 + fix"));
    expect(d.reads()).toBe(3);
  });

  test("a file changed within the timestamp's resolution of now is read every time", async () => {
    const d = digester();
    const path = join(dir, "plugin-b");
    writeFileSync(path, "fresh");
    expect(await d.digest(path, 500)).toBe(sha256("fresh"));
    expect(await d.digest(path, 500)).toBe(sha256("fresh"));
    expect(d.reads()).toBe(2);
  });

  test("a missing file has no digest, and a file at that path later is read", async () => {
    const d = digester();
    const path = join(dir, "plugin-c");
    expect(await d.digest(path)).toBeUndefined();
    writeFileSync(path, "arrived");
    expect(await d.digest(path)).toBe(sha256("arrived"));
  });
});
