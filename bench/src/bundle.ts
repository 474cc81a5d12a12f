// The shipping shape of a TS plugin: create-plugin's templates bundle the plugin into one ESM file
// with esbuild, so the bench measures that shape next to the unbundled example.
import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { build } from "esbuild";

/**
 * Bundles a plugin entry (a `#!/usr/bin/env node` ESM script) into one executable file with the
 * settings of create-plugin's templates/_shared/build.mjs (bundle, platform node, format esm,
 * target node20). esbuild keeps the entry's hashbang on the first line, so the file runs directly
 * (go-plugin hosts exec the plugin path without a shell).
 */
export async function bundlePlugin(entry: string, outfile: string): Promise<void> {
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "warning",
  });
  chmodSync(outfile, 0o755);
}
