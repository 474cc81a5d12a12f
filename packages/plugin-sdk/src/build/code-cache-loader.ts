import { createHash } from "node:crypto";

/**
 * The start-up code of a plugin executable built with a code cache ({@link bundlePlugin}): an ES
 * module (`.mjs`) or a CommonJS file (`.cjs`: Node starts it ~7 ms sooner, its ES module loader is
 * never booted) that compiles the plugin's CommonJS bundle (embedded as a string) with `vm.Script`, feeding
 * V8 the code cache a previous start left in the user's cache directory, and leaving one after this
 * start. Node 20 has no compile cache of its own for this (Node ≥ 22.1's `module.enableCompileCache`);
 * this is the technique of v8-compile-cache for one self-contained file.
 *
 * Written as source text because it is the generated file's own code, not something this package
 * runs. Rules it keeps: nothing on stdout (the handshake line must be the first thing there); every
 * cache failure (no HOME, read-only or sandboxed file system, a rejected or foreign cache) only means
 * compiling without one; only a cache file owned by this user and writable by nobody else, not
 * reached through a symlink, is fed to V8 (cached data is trusted code); it is written to a new
 * file (O_EXCL) and renamed into place.
 */
export function codeCacheLoader(options: { source: string; entry: string; format: "esm" | "cjs" }): string {
  const esm = options.format === "esm";
  // Names the cache file: a new build never reads an old build's cache.
  const buildId = createHash("sha256").update(options.source).digest("hex").slice(0, 32);
  const wrapped = `(function (exports, require, module, __filename, __dirname, ${IMPORT_META_URL}) {${options.source}\n})`;
  return `#!/usr/bin/env node
// Built by @plugwire/plugin-sdk/build from ${options.entry.replaceAll("\n", " ")}. The plugin's code is
// the CommonJS bundle in PLUGIN_SOURCE; it is compiled with a V8 code cache kept in
// $PLUGWIRE_CODE_CACHE_DIR, else $XDG_CACHE_HOME/plugwire/code-cache, else ~/.cache/plugwire/code-cache,
// so later starts skip compiling it. PLUGWIRE_CODE_CACHE=off compiles without one.
${esm ? ESM_HEADER : CJS_HEADER}
const BUILD_ID = ${JSON.stringify(buildId)};
const PLUGIN_SOURCE = ${JSON.stringify(wrapped)};

const env = process.env;
const base = [env.PLUGWIRE_CODE_CACHE_DIR, env.XDG_CACHE_HOME && join(env.XDG_CACHE_HOME, "plugwire", "code-cache"),
  env.HOME && join(env.HOME, ".cache", "plugwire", "code-cache")].find((dir) => dir && isAbsolute(dir));
const cacheFile = env.PLUGWIRE_CODE_CACHE === "off" || !base ? undefined
  : join(base, \`\${BUILD_ID}-\${process.version}-\${process.arch}.v8\`);

function readCache() {
  let fd;
  try {
    fd = openSync(cacheFile, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    const st = fstatSync(fd);
    if (st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0) return ["unsafe", undefined];
    return ["found", readFileSync(fd)];
  } catch {
    return ["missing", undefined];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
const [found, cachedData] = cacheFile ? readCache() : ["off", undefined];
const script = new vm.Script(PLUGIN_SOURCE, {
  filename,
  cachedData,
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
const status = cachedData ? (script.cachedDataRejected ? "rejected" : "hit") : found;
// One hclog line at trace level: hosts (plugwire, go-plugin) log it as the plugin's, hidden by default.
process.stderr.write(\`\${JSON.stringify({ "@level": "trace", "@message": "plugin code cache", "@module": "plugwire",
  "@timestamp": new Date().toISOString(), cache: status, file: cacheFile ?? null })}\\n\`);

let saved = false;
function save() {
  if (saved) return;
  saved = true;
  const tmp = \`\${cacheFile}.\${process.pid}.tmp\`;
  try {
    const data = script.createCachedData();
    mkdirSync(dirname(cacheFile), { recursive: true, mode: 0o700 });
    // "wx": a new file or nothing, so a link planted at this name cannot redirect the write.
    writeFileSync(tmp, data, { mode: 0o600, flag: "wx" });
    renameSync(tmp, cacheFile);
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {}
  }
}
if (cacheFile && status !== "hit" && status !== "unsafe") {
  // After a second the start-up and first calls have compiled what they use, and the cache keeps
  // that too; a plugin that ends sooner leaves it on exit.
  setTimeout(save, 1000).unref();
  process.once("exit", save);
}

const pluginModule = { exports: {} };
script.runInThisContext()(pluginModule.exports, ${esm ? "createRequire(import.meta.url)" : "require"}, pluginModule, filename, dirname(filename), ${esm ? "import.meta.url" : "pathToFileURL(filename).href"});
`;
}

const ESM_HEADER = `import { closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const filename = fileURLToPath(import.meta.url);
`;

const CJS_HEADER = `"use strict";
const { closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } = require("node:fs");
const { dirname, isAbsolute, join } = require("node:path");
const { pathToFileURL } = require("node:url");
const vm = require("node:vm");

const filename = __filename;
`;

/** The name `import.meta.url` is rewritten to in the CommonJS bundle (the loader passes its own URL). */
export const IMPORT_META_URL = "__plugwire_import_meta_url";
