// The plugin executable a host launches (`plugwire run`, PluginHost, or a Go go-plugin host). The
// SDK is imported first so stdout is guarded before anything else can print to it. No top-level
// await: the build compiles this bundle with a V8 code cache, which a CommonJS bundle needs (a
// failed start still ends the process with the error, as an unhandled rejection).
import { serve } from "@plugwire/plugin-sdk";
import { createPlugin } from "./plugin.js";

serve(createPlugin());
