/** Package managers whose `create` command runs this package (`npm create plugin`, `pnpm create plugin`, …). */
export type PackageManager = "npm" | "pnpm" | "yarn" | "bun";

/**
 * The package manager that launched us, from `npm_config_user_agent` — every one of them sets it
 * when running a package bin, e.g. `pnpm/10.34.9 npm/? node/v20.20.2 linux x64`. Defaults to npm.
 */
export function detectPackageManager(userAgent: string | undefined): PackageManager {
  const name = userAgent?.split(" ")[0]?.split("/")[0];
  return name === "pnpm" || name === "yarn" || name === "bun" ? name : "npm";
}

/** `<pm> install`, as users type it. */
export function installCommand(pm: PackageManager): string {
  return pm === "yarn" ? "yarn" : `${pm} install`;
}

/**
 * `<pm> run <script>`. Always `run`: `bun test` would start bun's own test runner instead of the
 * project's `test` script, and `npm build` is not a script alias.
 */
export function runCommand(pm: PackageManager, script: string): string {
  return `${pm} run ${script}`;
}

/** Quotes a path for POSIX shells when it needs it, so the printed `cd` works when pasted. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
