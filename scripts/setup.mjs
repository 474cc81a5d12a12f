#!/usr/bin/env node
// One-step setup for a fresh clone with only Node and npm: pinned pnpm, frozen install, build.
// Used by `npm run demo` and `npm test` (the README's two commands) and by CI.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { packageManager } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const pnpmVersion = packageManager.replace(/^pnpm@/, "");

function run(cmd, args) {
  const r = spawnSync(cmd, args, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, COREPACK_ENABLE_STRICT: "0" },
  });
  if (r.status !== 0) {
    console.error(`setup: ${cmd} ${args.join(" ")} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

/** True when `pnpm` on PATH is the pinned version. */
function globalPnpmIsPinned() {
  try {
    const v = execFileSync("pnpm", ["--version"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return v === pnpmVersion;
  } catch {
    return false; // not installed
  }
}

/**
 * Without the pinned pnpm on PATH (a machine with only Node and npm): a `pnpm` shim in .cache/bin
 * that runs it through npx. Tests that run `pnpm` themselves (create-plugin's templates, `pnpm
 * exec plugwire`) find it there: the vitest global setup puts that directory first on PATH.
 */
function writePnpmShim() {
  mkdirSync(shimDir, { recursive: true });
  writeFileSync(join(shimDir, "pnpm"), `#!/bin/sh\nexec npx --yes "pnpm@${pnpmVersion}" "$@"\n`, {
    mode: 0o755,
  });
}

const shimDir = join(root, ".cache", "bin");
const pinned = globalPnpmIsPinned();
if (!pinned) writePnpmShim();
else rmSync(join(shimDir, "pnpm"), { force: true }); // the installed one is used again
// `--shim`: only make sure a pinned pnpm can be run (CI puts .cache/bin on PATH itself).
if (process.argv.includes("--shim")) process.exit(0);

const pnpm = pinned ? "pnpm" : join(shimDir, "pnpm");
const quiet = process.env.CI === "true" ? ["--reporter=append-only"] : [];
// Skip the install when node_modules already matches the lockfile (pnpm records what it installed).
const installed = join(root, "node_modules", ".pnpm", "lock.yaml");
const upToDate =
  existsSync(installed) &&
  readFileSync(installed, "utf8") === readFileSync(join(root, "pnpm-lock.yaml"), "utf8");
if (!upToDate) run(pnpm, ["install", "--frozen-lockfile", ...quiet]);
run(pnpm, ["exec", "tsc", "-b"]);
