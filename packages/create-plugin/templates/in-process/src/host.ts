// An example host (`npm run start` after `npm run build`): loads the bundled plugin twice, once in
// this process and once in a subprocess, and plays ping-pong with each over the EventBus.
import { PluginRuntime } from "@plugwire/host";
import { ping } from "./ping.js";

const plugin = new URL("./plugin.mjs", import.meta.url);
for (const isolation of ["in-process", "process"] as const) {
  await using runtime = new PluginRuntime();
  await runtime.load(plugin, { isolation });
  console.log(`${isolation}: ping → pong #${await ping(runtime.events)}`);
}
