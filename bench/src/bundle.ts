// The shipping shape of a TS plugin: create-plugin's templates bundle the plugin into one executable
// with @plugwire/plugin-sdk/build, so the bench measures that shape next to the unbundled example.
import { bundlePlugin as sdkBundlePlugin } from "@plugwire/plugin-sdk/build";

/**
 * Bundles a plugin entry (a `#!/usr/bin/env node` script) into one executable file exactly as
 * create-plugin's templates/_shared/build.mjs does for executable templates: `bundlePlugin` with its
 * defaults and a `.cjs` outfile (a V8 code cache for the plugin's code, CommonJS loader; the bench
 * points PLUGWIRE_CODE_CACHE_DIR at a directory of its own).
 */
export async function bundlePlugin(entry: string, outfile: string): Promise<void> {
  const result = await sdkBundlePlugin({ entry, outfile });
  if (!result.codeCache) throw new Error(`${entry} was bundled without a code cache: ${result.reason}`);
}
