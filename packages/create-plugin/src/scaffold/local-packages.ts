import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CreatePluginError } from "../errors.js";

/** The @plugwire packages a generated project can depend on, directly or through each other. */
export const PLUGWIRE_PACKAGES = ["@plugwire/contract", "@plugwire/plugin-sdk", "@plugwire/host"] as const;

/** `@plugwire/plugin-sdk` → `plugwire-plugin-sdk-`, the prefix `pnpm pack` / `npm pack` give its tarball. */
function tarballPrefix(pkg: string): string {
  return `${pkg.slice(1).replace("/", "-")}-`;
}

/**
 * Finds `plugwire-<name>-<version>.tgz` for every @plugwire package in `dir` (made with `pnpm pack`
 * in each workspace package): `file:` specs to install unpublished packages exactly as they would
 * ship. Throws `LOCAL_PACKAGES_MISSING` naming what is absent.
 */
export async function findLocalTarballs(dir: string, plugin: string): Promise<Map<string, string>> {
  const root = resolve(dir);
  const entries = await readdir(root).catch((cause: unknown) => {
    throw new CreatePluginError("LOCAL_PACKAGES_MISSING", `cannot read --local directory ${root}`, {
      plugin,
      cause,
    });
  });
  const found = new Map<string, string>();
  const missing: string[] = [];
  for (const pkg of PLUGWIRE_PACKAGES) {
    const prefix = tarballPrefix(pkg);
    // Exclude longer names sharing the prefix (plugwire-plugin-sdk-… vs a hypothetical plugwire-plugin-…).
    const file = entries.find(
      (e) => e.startsWith(prefix) && /^\d/.test(e.slice(prefix.length)) && e.endsWith(".tgz"),
    );
    if (file) found.set(pkg, `file:${join(root, file)}`);
    else missing.push(`${prefix}<version>.tgz`);
  }
  if (missing.length > 0) {
    throw new CreatePluginError(
      "LOCAL_PACKAGES_MISSING",
      `--local ${root} lacks ${missing.join(", ")} (pack them with \`pnpm pack --pack-destination ${root}\` in each package)`,
      { plugin },
    );
  }
  return found;
}

type PackageJson = Record<string, unknown> & {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  pnpm?: Record<string, unknown>;
};

/**
 * Points every @plugwire dependency at the local tarballs: the direct ones, and — through npm/bun
 * `overrides`, pnpm `pnpm.overrides` and yarn `resolutions` — the ones the packages have on each
 * other, which name a version no registry has yet.
 */
export function useLocalTarballs(pkg: PackageJson, tarballs: ReadonlyMap<string, string>): PackageJson {
  const specs = Object.fromEntries(tarballs);
  for (const field of ["dependencies", "devDependencies"] as const) {
    const deps = pkg[field];
    if (!deps) continue;
    for (const name of Object.keys(deps)) {
      const spec = tarballs.get(name);
      if (spec) deps[name] = spec;
    }
  }
  return {
    ...pkg,
    overrides: { ...(pkg.overrides as object), ...specs },
    resolutions: { ...(pkg.resolutions as object), ...specs },
    pnpm: { ...pkg.pnpm, overrides: { ...(pkg.pnpm?.overrides as object), ...specs } },
  };
}
