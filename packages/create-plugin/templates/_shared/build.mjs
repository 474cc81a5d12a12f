// Bundles the plugin and everything it imports into one executable file, dist/plugin.mjs, so a
// sandbox (or an OCI artifact) needs to allow exactly one file: no node_modules at run time.
import { chmod } from "node:fs/promises";
import { build } from "esbuild";

const outfile = "dist/plugin.mjs";
await build({
  entryPoints: ["src/main.ts"],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // The shebang (and mode 0755 below) make the bundle itself the plugin executable.
  banner: { js: "#!/usr/bin/env node" },
});
await chmod(outfile, 0o755);
console.log(`built ${outfile}`);
