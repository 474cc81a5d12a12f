#!/usr/bin/env node
// One-step setup for a fresh clone with only Node and npm: pinned pnpm, frozen install, build.
// Used by `npm run demo` and `npm test` (the README's two commands) and by CI.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
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

/** The pinned pnpm: a global one if it is the right version, else through npx (no global install). */
function pnpm() {
  try {
    const v = execFileSync("pnpm", ["--version"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    if (v === pnpmVersion) return ["pnpm", []];
  } catch {
    // not installed
  }
  return ["npx", ["--yes", `pnpm@${pnpmVersion}`]];
}

const [cmd, pre] = pnpm();
const quiet = process.env.CI === "true" ? ["--reporter=append-only"] : [];
// Skip the install when node_modules already matches the lockfile (pnpm records what it installed).
const installed = join(root, "node_modules", ".pnpm", "lock.yaml");
const upToDate =
  existsSync(installed) &&
  readFileSync(installed, "utf8") === readFileSync(join(root, "pnpm-lock.yaml"), "utf8");
if (!upToDate) run(cmd, [...pre, "install", "--frozen-lockfile", ...quiet]);
run(cmd, [...pre, "exec", "tsc", "-b"]);
