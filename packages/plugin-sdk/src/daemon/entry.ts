#!/usr/bin/env node
// The process a plugwire host starts for `load(module, { isolation: "process" })`:
//   node <this file> <module path or file: URL>
// It imports the module, takes its daemon plugin definition and serves it over go-plugin's protocol.
// The stdout guard is installed first so nothing the module prints can break the handshake.
import "../serve/early-guard.js";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { daemonPluginFromModule } from "@plugwire/contract";
import { serveDaemonPlugin } from "./serve-daemon-plugin.js";

const specifier = process.argv[2];
try {
  if (!specifier) throw new Error("usage: plugwire-daemon-plugin <module path or file: URL>");
  const url = specifier.startsWith("file:") ? specifier : pathToFileURL(resolve(specifier)).href;
  const namespace = (await import(url)) as Record<string, unknown>;
  await serveDaemonPlugin(daemonPluginFromModule(namespace, specifier));
} catch (err) {
  // Before the handshake: the host reports the exit with this stderr tail.
  process.stderr.write(
    `plugwire daemon plugin ${specifier ?? ""}: ${(err as Error)?.stack ?? String(err)}\n`,
  );
  process.exit(1);
}
