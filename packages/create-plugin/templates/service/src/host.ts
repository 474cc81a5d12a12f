// An example host (`npm run start` after `npm run build`): launches the bundled plugin the way any
// go-plugin host would — subprocess, handshake, gRPC — calls it, and shuts it down.
import { fileURLToPath } from "node:url";
import { PluginHost } from "@plugwire/host";
import { HANDSHAKE, VERSIONS } from "./handshake.js";

const name = process.argv[2] ?? "world";
await using host = new PluginHost({ handshake: HANDSHAKE, versions: VERSIONS });
await using plugin = await host.launch({
  name: "{{pluginId}}",
  command: fileURLToPath(new URL("./plugin.cjs", import.meta.url)),
});
const { greeting } = await plugin.clients.greeter.greet({ name });
console.log(`greet(${name}) → ${greeting}`);
