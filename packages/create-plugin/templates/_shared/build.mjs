// Bundles the plugin and everything it imports into one file, the outfile given (package.json's
// "build" script), so a sandbox (or an OCI artifact) needs to allow exactly one file: no
// node_modules at run time. An executable plugin is dist/plugin.cjs: it compiles the plugin with a
// V8 code cache kept in the user's cache directory (later starts skip compiling it), and as a
// CommonJS file Node starts it without booting its ES module loader. An entry with exports (a module
// hosts import) is dist/plugin.mjs, a plain ES module.
// src/host.ts, when the template has one, becomes dist/host.mjs: an example host that imports
// @plugwire/host from node_modules as usual.
import { existsSync } from "node:fs";
import { bundlePlugin } from "@plugwire/plugin-sdk/build";
import { build } from "esbuild";

const outfile = process.argv[2] ?? "dist/plugin.cjs";
const plugin = await bundlePlugin({ entry: "src/main.ts", outfile });
console.log(`${outfile}: ${plugin.codeCache ? "with a V8 code cache" : `plain bundle (${plugin.reason})`}`);
if (existsSync("src/host.ts")) {
  await build({
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "info",
    entryPoints: ["src/host.ts"],
    outfile: "dist/host.mjs",
    packages: "external",
  });
}
