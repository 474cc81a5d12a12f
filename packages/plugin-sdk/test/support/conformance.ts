// Locates (and if needed builds) the Go conformance programs in /conformance. Uses the shared
// `@plugwire/conformance` helper when it has been built, else `node conformance/build.mjs`, else
// prebuilt binaries in conformance/bin. Without Go and binaries: skip locally, fail in CI.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
export const conformanceBin = join(repoRoot, "conformance", "bin");
export const inCI = process.env.CI === "true" || process.env.CI === "1";

function haveGo(): boolean {
  try {
    execFileSync("go", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Builds the conformance programs once; returns a reason to skip, or undefined when ready. */
export async function prepareConformance(required: readonly string[]): Promise<string | undefined> {
  const helper = join(repoRoot, "conformance", "dist", "index.js");
  const script = join(repoRoot, "conformance", "build.mjs");
  const missing = () => required.filter((name) => !existsSync(join(conformanceBin, name)));
  // The root vitest global setup normally built everything already; build here only what is missing.
  if (missing().length > 0 && haveGo()) {
    if (existsSync(helper)) {
      const mod = (await import(helper)) as { buildConformance?: () => Promise<unknown> };
      await mod.buildConformance?.();
    } else if (existsSync(script)) {
      execFileSync(process.execPath, [script], { cwd: repoRoot, stdio: "inherit" });
    }
  }
  const absent = missing();
  if (absent.length === 0) return undefined;
  const reason = `Go conformance programs missing (${absent.join(", ")}): install Go and run node conformance/build.mjs`;
  if (inCI) throw new Error(reason);
  return reason;
}
