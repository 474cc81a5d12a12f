// @plugwire/host — the explicit public surface.

export { createConsoleLogger, ErrorCode, type Logger, PlugwireError, silentLogger } from "@plugwire/contract";
export type { StdioChannel } from "./connection/stdio.js";
export { type CloseOptions, Plugin, type PluginEvents } from "./host/plugin.js";
export {
  type LaunchOptions,
  PluginHost,
  type PluginHostOptions,
  type ReattachConfig,
} from "./host/plugin-host.js";
export type { AnyClients, ClientsOf, ServiceSet, VersionedServices } from "./host/types.js";
export { buildPluginEnv, type EnvPolicy, type PluginEnvOptions } from "./launch/environment.js";
export { describeBinary } from "./launch/executable.js";
export type { SecureConfig } from "./launch/secure-config.js";
export type { PluginExit } from "./launch/spawn.js";
