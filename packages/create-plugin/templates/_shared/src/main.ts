// The plugin executable a host launches (`plugwire run`, PluginHost, or a Go go-plugin host). The
// SDK is imported first so stdout is guarded before anything else can print to it.
import { serve } from "@plugwire/plugin-sdk";
import { createPlugin } from "./plugin.js";

await serve(createPlugin());
