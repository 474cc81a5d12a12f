// Helpers for interop tests: find Go, build the Go conformance programs once per process, and
// locate their binaries. Plain JavaScript (no build step); types in index.d.ts.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const binDir = path.join(here, "bin");
const exe = process.platform === "win32" ? ".exe" : "";
const MODULE_DIRS = [".", "legacy"];

let goCache;

/** True when `go` is on PATH and runs. */
export function goAvailable() {
  if (goCache === undefined) {
    const r = spawnSync("go", ["version"], { stdio: "ignore" });
    goCache = !r.error && r.status === 0;
  }
  return goCache;
}

/**
 * Whether interop tests can run. Outside CI a missing Go means "skip" (with a reason); in CI
 * (CI=true) it throws, because interop tests must never be skipped there.
 */
export function requireGoOrSkip() {
  if (goAvailable()) return { available: true, reason: "" };
  const reason = "Go toolchain not found on PATH: interop tests against real go-plugin programs are skipped";
  if (process.env.CI === "true") {
    throw new Error(`${reason.split(":")[0]}, and CI=true: interop tests must not be skipped in CI`);
  }
  return { available: false, reason };
}

/** Absolute path of a conformance program's binary (it may not be built yet). */
export function binPath(name) {
  return path.join(binDir, name + exe);
}

/** Names of all conformance programs (directories under cmd/ and legacy/cmd/). */
export function programNames() {
  return MODULE_DIRS.flatMap((dir) =>
    fs
      .readdirSync(path.join(here, dir, "cmd"), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name),
  ).sort();
}

let buildPromise;

/**
 * Runs `node conformance/build.mjs` once per process (memoised; concurrent processes serialise on a
 * lock in bin/, and unchanged sources are not rebuilt) and returns program name → absolute path.
 */
export function buildConformance() {
  buildPromise ??= new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, "build.mjs")], {
      cwd: here,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code !== 0) {
        reject(new Error(`conformance build failed (${code ?? signal}):\n${output}`));
        return;
      }
      const bins = {};
      for (const name of programNames()) {
        const p = binPath(name);
        if (!fs.existsSync(p)) {
          reject(new Error(`conformance build did not produce ${p}:\n${output}`));
          return;
        }
        bins[name] = p;
      }
      resolve(bins);
    });
  });
  return buildPromise;
}
