import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

/** Absolute path of a conformance program built by the global setup. */
export function goBin(name: string): string {
  return join(repo, "conformance", "bin", name);
}

/** The repository root. */
export const repoRoot = repo;

/**
 * Whether the Go interop fixtures are available. In CI they must be (the global setup builds them
 * and fails otherwise); locally, tests skip with the reason when Go is missing.
 */
export const goFixtures = (() => {
  const ok = existsSync(goBin("kv-plugin"));
  if (!ok && process.env.CI === "true") throw new Error("Go conformance programs are missing in CI");
  return { ok, reason: ok ? "" : "Go is not installed: skipping tests that need real go-plugin programs" };
})();

/** A private temp root for one test; `assertEmpty()` proves nothing was left in it. */
export function tempRoot(): { path: string; entries(): string[]; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), "pwt-"));
  return {
    path,
    entries: () => readdirSync(path),
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}
