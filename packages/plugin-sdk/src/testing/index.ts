// @plugwire/plugin-sdk/testing — run plugin definitions in-process, or built plugins as subprocesses.
export { type LaunchedPlugin, type LaunchPluginOptions, launchPluginProcess } from "./launch-process.js";
export { createTestHost, type PluginClients, type TestHost, type TestHostOptions } from "./test-host.js";
