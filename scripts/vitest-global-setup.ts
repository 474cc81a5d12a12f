import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function hasGo(): boolean {
  try {
    execFileSync("go", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the Go interop programs once per test run (cached by content hash in build.mjs). In CI
 * they must exist: a missing Go toolchain fails the run instead of skipping interop tests.
 */
export default function setup(): void {
  // scripts/setup.mjs leaves a pnpm shim here when the pinned pnpm is not installed: tests that
  // run `pnpm` (create-plugin's templates, `pnpm exec plugwire`) get it from PATH like a user would.
  const shimDir = join(repo, ".cache", "bin");
  if (existsSync(join(shimDir, "pnpm"))) process.env.PATH = `${shimDir}${delimiter}${process.env.PATH ?? ""}`;
  // For quick local iterations on TypeScript only: reuse whatever conformance/bin holds.
  if (process.env.PLUGWIRE_SKIP_GO_BUILD === "1" && process.env.CI !== "true") return;
  if (!hasGo()) {
    if (process.env.CI === "true") throw new Error("Go is required in CI for the interop tests");
    console.warn("[plugwire] Go not found: interop tests against real go-plugin programs will be skipped");
    return;
  }
  execFileSync(process.execPath, [join(repo, "conformance", "build.mjs")], { stdio: "inherit" });
}
