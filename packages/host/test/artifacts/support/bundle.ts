import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../../support/go-fixtures.js";

/**
 * Bundles examples/runner-v2 (a TS runner plugin on @plugwire/plugin-sdk) into one self-contained .mjs,
 * so its artifact needs no node_modules on the host. Uses rolldown, the bundler the workspace already
 * has through vitest/vite; turning this into `plugwire bundle` belongs to the scaffolding issue.
 */
export function bundleRunnerV2(outFile: string): Promise<void> {
  return bundleEntry(join(repoRoot, "examples/runner-v2/bin/plugin"), outFile);
}

/** Bundles the Node program `input` (and everything it imports) into one self-contained ESM file. */
export async function bundleEntry(input: string, outFile: string): Promise<void> {
  const fromVitest = createRequire(createRequire(import.meta.url).resolve("vitest/package.json"));
  const fromVite = createRequire(fromVitest.resolve("vite/package.json"));
  const rolldownDir = dirname(fromVite.resolve("rolldown/package.json"));
  const { rolldown } = (await import(pathToFileURL(join(rolldownDir, "dist", "index.mjs")).href)) as {
    rolldown: (o: Record<string, unknown>) => Promise<{
      write(o: Record<string, unknown>): Promise<unknown>;
      close(): Promise<void>;
    }>;
  };
  const bundle = await rolldown({
    input,
    platform: "node",
    logLevel: "silent",
  });
  try {
    await bundle.write({ file: outFile, format: "esm", codeSplitting: false });
  } finally {
    await bundle.close();
  }
}
