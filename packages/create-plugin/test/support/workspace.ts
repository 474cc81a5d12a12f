import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "./commands.js";

/** The repository root. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

/** The create-plugin bin, as `npm create plugin` runs it. */
export const BIN = join(REPO, "packages/create-plugin/bin/create-plugin.mjs");

/**
 * Packs the built @plugwire workspace packages into tarballs in `dest` with `pnpm pack` — exactly
 * what would be published (`files`, `workspace:*` rewritten to versions) — for `create-plugin --local`.
 */
export async function packWorkspacePackages(dest: string): Promise<string> {
  mkdirSync(dest, { recursive: true });
  await Promise.all(
    ["contract", "plugin-sdk", "host"].map((pkg) =>
      run("pnpm", ["pack", "--pack-destination", dest], {
        cwd: join(REPO, "packages", pkg),
        timeoutMs: 60_000,
      }),
    ),
  );
  return dest;
}
