import { negotiateVersion, PluginEnv } from "@plugwire/contract/wire";
import { type PluginDefinition, type PluginSet, pluginSetFor } from "../define-plugin.js";

/** The negotiated app protocol version and the plugin set served for it. */
export interface Negotiated {
  version: number;
  pluginSet: PluginSet;
}

/**
 * go-plugin's `protocolVersion` (go-plugin-wire.md §2.2): the highest version both the definition and
 * `PLUGIN_PROTOCOL_VERSIONS` list, else the definition's lowest (the host then rejects it clearly).
 */
export function negotiate(definition: PluginDefinition, env: NodeJS.ProcessEnv): Negotiated {
  const version = negotiateVersion(definition.versionNumbers, env[PluginEnv.ProtocolVersions]);
  return { version, pluginSet: pluginSetFor(definition, version) ?? {} };
}
