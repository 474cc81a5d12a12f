// The shipping shape of a TS plugin: create-plugin's templates bundle the plugin into one ESM file
// with esbuild, so the bench measures that shape next to the unbundled example.
import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { build } from "esbuild";

/**
 * Bundles a plugin entry (a `#!/usr/bin/env node` ESM script) into one executable file, as
 * examples/registry and create-plugin do: platform node, format esm, a `require` for the few CJS
 * dependencies. esbuild keeps the entry's hashbang on the first line, so the file runs directly
 * (go-plugin hosts exec the plugin path without a shell).
 */
export async function bundlePlugin(entry: string, outfile: string): Promise<void> {
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile,
    logLevel: "warning",
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  chmodSync(outfile, 0o755);
}
