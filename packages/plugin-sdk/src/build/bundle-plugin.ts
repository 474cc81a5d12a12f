import { createHash } from "node:crypto";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { BuildOptions, Message } from "esbuild";
import { codeCacheLoader, IMPORT_META_URL } from "./code-cache-loader.js";

/** Options for {@link bundlePlugin}. */
export interface BundlePluginOptions {
  /** The plugin's entry (TypeScript or JavaScript), e.g. `src/main.ts`. */
  entry: string;
  /** The executable to write, e.g. `dist/plugin.mjs` (mode 0755, `#!/usr/bin/env node`). */
  outfile: string;
  /**
   * Compile the plugin with a V8 code cache kept in the user's cache directory (default true): a
   * bundled plugin's start (spawn → first answer) is ~25 % shorter once the cache exists. Entries
   * with exports (modules a host imports) and entries using top-level await are bundled as plain
   * ES modules instead; the result says which and why.
   */
  codeCache?: boolean;
  /** esbuild's log level (default `"warning"`). */
  logLevel?: BuildOptions["logLevel"];
  /** More esbuild options (e.g. `external`, `define`), applied to every build. */
  esbuild?: Omit<BuildOptions, "entryPoints" | "outfile" | "write" | "bundle" | "format">;
  signal?: AbortSignal;
}

/** What {@link bundlePlugin} wrote. */
export interface BundleResult {
  outfile: string;
  /** Whether the executable compiles the plugin with a code cache. */
  codeCache: boolean;
  /** Why not, when `codeCache` is false. */
  reason?: string;
}

/**
 * Bundles a plugin and everything it imports into one executable file, the shape a sandbox or an OCI
 * artifact needs (no node_modules at run time). With `codeCache` (default), the file is a small ES
 * module that runs the plugin's CommonJS bundle, embedded in it, through `vm.Script` with a V8 code
 * cache ({@link codeCacheLoader}); otherwise it is the plain ES module bundle. Needs `esbuild` (an
 * optional peer dependency of the SDK: a plugin project's devDependency).
 */
export async function bundlePlugin(options: BundlePluginOptions): Promise<BundleResult> {
  const { build } = await import("esbuild");
  const common: BuildOptions = {
    logLevel: options.logLevel ?? "warning",
    ...options.esbuild,
    entryPoints: [options.entry],
    bundle: true,
    platform: "node",
    target: options.esbuild?.target ?? "node20",
    write: false,
  };
  options.signal?.throwIfAborted();
  // The ES module build first: its metafile says whether the entry exports anything.
  const esm = await build({ ...common, format: "esm", metafile: true });
  const exported = Object.values(esm.metafile.outputs).some((o) => o.exports.length > 0);
  let reason: string | undefined;
  if (options.codeCache === false) reason = "codeCache: false";
  else if (exported) reason = "the entry has exports: a module hosts import, not an executable";
  // esbuild keeps an entry's own hashbang on the first line; an entry without one gets it here.
  let text = withHashbang(esm.outputFiles?.[0]?.text ?? "");
  if (reason === undefined) {
    options.signal?.throwIfAborted();
    const cjs = await build({
      ...common,
      logLevel: "silent",
      format: "cjs",
      define: {
        ...options.esbuild?.define,
        "import.meta.url": IMPORT_META_URL,
        "import.meta.filename": "__filename",
        "import.meta.dirname": "__dirname",
      },
    }).catch((err: { errors?: Message[] }) => {
      if (!err.errors?.some((e) => /top-level await/i.test(e.text))) throw err;
      reason = "the entry uses top-level await, which a CommonJS bundle cannot";
      return undefined;
    });
    // The bundle becomes a function body: a hashbang there would be a syntax error.
    const source = cjs?.outputFiles?.[0]?.text.replace(/^#!.*\n/, "");
    if (source !== undefined) {
      const buildId = createHash("sha256").update(source).digest("hex").slice(0, 32);
      text = codeCacheLoader({ buildId, source, entry: options.entry });
    }
  }
  options.signal?.throwIfAborted();
  await mkdir(dirname(options.outfile), { recursive: true });
  await writeFile(options.outfile, text);
  await chmod(options.outfile, 0o755);
  return { outfile: options.outfile, codeCache: reason === undefined, ...(reason ? { reason } : {}) };
}

function withHashbang(text: string): string {
  return text.startsWith("#!") ? text : `#!/usr/bin/env node\n${text}`;
}
