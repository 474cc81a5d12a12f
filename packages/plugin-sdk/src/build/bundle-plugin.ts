import { chmod, mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { ErrorCode, PlugwireError } from "@plugwire/contract";
import type { BuildOptions, Message } from "esbuild";
import { codeCacheLoader, IMPORT_META_URL } from "./code-cache-loader.js";

/** Options for {@link bundlePlugin}. */
export interface BundlePluginOptions {
  /** The plugin's entry (TypeScript or JavaScript), e.g. `src/main.ts`. */
  entry: string;
  /**
   * The executable to write (mode 0755, `#!/usr/bin/env node`), e.g. `dist/plugin.cjs`. Its
   * extension picks the module format Node starts it as: `.cjs` starts fastest (Node never boots its
   * ES module loader, ~7 ms on Node 20); any other name is an ES module (`.mjs`, the only choice for
   * an entry with exports that hosts `import()`, or with top-level await).
   */
  outfile: string;
  /**
   * Compile the plugin with a V8 code cache kept in the user's cache directory (default true): a
   * bundled plugin's start (spawn → first answer) is ~25 % shorter once the cache exists. Entries
   * with exports (modules a host imports) and entries using top-level await are bundled plainly
   * instead (in the outfile's format); the result says which and why.
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
 * artifact needs (no node_modules at run time). With `codeCache` (default), the file is a small
 * loader that runs the plugin's CommonJS bundle, embedded in it, through `vm.Script` with a V8 code
 * cache ({@link codeCacheLoader}); otherwise it is the plain bundle. Needs `esbuild` (an optional
 * peer dependency of the SDK: a plugin project's devDependency). Rejects with a `PlugwireError`
 * (`CONFIG_INVALID`) when a `.cjs` outfile is asked for an entry that uses top-level await.
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
  const format = options.outfile.endsWith(".cjs") ? "cjs" : "esm";
  options.signal?.throwIfAborted();
  // The ES module build first: its metafile says whether the entry exports anything.
  const esm = await build({ ...common, format: "esm", metafile: true });
  const exported = Object.values(esm.metafile.outputs).some((o) => o.exports.length > 0);
  let reason: string | undefined;
  if (options.codeCache === false) reason = "codeCache: false";
  else if (exported) reason = "the entry has exports: a module hosts import, not an executable";
  // The CommonJS bundle: what the code-cache loader runs, and a .cjs outfile's plain bundle.
  let source: string | undefined;
  if (reason === undefined || format === "cjs") {
    options.signal?.throwIfAborted();
    source = await buildCommonJs(build, common, options);
    if (source === undefined) {
      if (format === "cjs") {
        throw new PlugwireError(
          ErrorCode.ConfigInvalid,
          `cannot bundle ${options.entry} as CommonJS (${options.outfile}): it uses top-level await; write an .mjs outfile`,
          { details: { entry: options.entry, outfile: options.outfile } },
        );
      }
      reason = "the entry uses top-level await, which a CommonJS bundle cannot";
    }
  }
  let text: string;
  if (reason === undefined && source !== undefined) {
    text = codeCacheLoader({ source, entry: options.entry, format });
  } else if (format === "cjs" && source !== undefined) text = withHashbang(plainCommonJs(source));
  // esbuild keeps an entry's own hashbang on the first line; an entry without one gets it here.
  else text = withHashbang(esm.outputFiles?.[0]?.text ?? "");
  options.signal?.throwIfAborted();
  await mkdir(dirname(options.outfile), { recursive: true });
  await writeFile(options.outfile, text);
  await chmod(options.outfile, 0o755);
  return { outfile: options.outfile, codeCache: reason === undefined, ...(reason ? { reason } : {}) };
}

/**
 * The entry bundled as CommonJS without its hashbang (the loader makes it a function body; a plain
 * .cjs gets its own line first), or undefined when the entry uses top-level await.
 */
async function buildCommonJs(
  build: typeof import("esbuild").build,
  common: BuildOptions,
  options: BundlePluginOptions,
): Promise<string | undefined> {
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
    return undefined;
  });
  return cjs === undefined ? undefined : (cjs.outputFiles?.[0]?.text ?? "").replace(/^#!.*\n/, "");
}

function withHashbang(text: string): string {
  return text.startsWith("#!") ? text : `#!/usr/bin/env node\n${text}`;
}

/** A CommonJS bundle run as it is: `import.meta.url` (rewritten to a name) defined after its directive. */
function plainCommonJs(source: string): string {
  const directive = /^"use strict";\n/.exec(source)?.[0] ?? "";
  const url = `const ${IMPORT_META_URL} = require("node:url").pathToFileURL(__filename).href;\n`;
  return directive + url + source.slice(directive.length);
}
