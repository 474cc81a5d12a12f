// Agent config (`plugwire run <config.yaml>`): YAML schema, line-numbered errors, env overrides.
export { ENV_PREFIX } from "./env-overrides.js";
export { type LoadConfigOptions, loadAgentConfig, parseAgentConfig } from "./load-config.js";
export {
  type AgentConfig,
  type EvidenceConfig,
  type PluginConfig,
  PROTOCOL_VALUES,
  type ProtocolSetting,
} from "./schema.js";
