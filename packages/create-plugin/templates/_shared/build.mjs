// Bundles the plugin and everything it imports into one executable file, dist/plugin.mjs, so a
// sandbox (or an OCI artifact) needs to allow exactly one file: no node_modules at run time.
// src/host.ts, when the template has one, becomes dist/host.mjs: an example host that imports
// @plugwire/host from node_modules as usual.
import { existsSync } from "node:fs";
import { chmod } from "node:fs/promises";
import { build } from "esbuild";

const common = { bundle: true, platform: "node", format: "esm", target: "node20", logLevel: "info" };
await build({
  ...common,
  entryPoints: ["src/main.ts"],
  outfile: "dist/plugin.mjs",
  // The shebang (and mode 0755 below) make the bundle itself the plugin executable.
  banner: { js: "#!/usr/bin/env node" },
});
await chmod("dist/plugin.mjs", 0o755);
if (existsSync("src/host.ts")) {
  await build({ ...common, entryPoints: ["src/host.ts"], outfile: "dist/host.mjs", packages: "external" });
}
