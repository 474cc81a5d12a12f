// Bundles the plugin and everything it imports into one executable file, dist/plugin.mjs, so a
// sandbox (or an OCI artifact) needs to allow exactly one file: no node_modules at run time. The
// file compiles the plugin with a V8 code cache kept in the user's cache directory (later starts
// skip compiling it); an entry with exports (a module hosts import) is bundled as a plain ES module.
// src/host.ts, when the template has one, becomes dist/host.mjs: an example host that imports
// @plugwire/host from node_modules as usual.
import { existsSync } from "node:fs";
import { bundlePlugin } from "@plugwire/plugin-sdk/build";
import { build } from "esbuild";

const plugin = await bundlePlugin({ entry: "src/main.ts", outfile: "dist/plugin.mjs" });
console.log(
  `dist/plugin.mjs: ${plugin.codeCache ? "with a V8 code cache" : `plain ES module (${plugin.reason})`}`,
);
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
