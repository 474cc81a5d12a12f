import type { LogLevel } from "@plugwire/contract";

/**
 * Runner protocol per plugin (runner-wire.md): 1 or 2 explicitly, `auto` (call Init; UNIMPLEMENTED
 * means 1), or undefined when the key is absent — then the OCI annotation or the default 1 decides.
 */
export type ProtocolSetting = 1 | 2 | "auto";

/** Supported `protocol_version` values, in the order error messages list them. */
export const PROTOCOL_VALUES = ["1", "2", "auto"] as const;

/** One entry under `plugins:`. */
export interface PluginConfig {
  name: string;
  /** Local path (resolved against the config file's directory) or an OCI reference. */
  source: string;
  /** Undefined when `protocol_version` is absent (absent is not 0: presence is tracked). */
  protocolVersion: ProtocolSetting | undefined;
  /** Extra arguments for the plugin executable (never run through a shell). */
  args: string[];
  /** Extra environment variables for the plugin process. */
  env: Record<string, string>;
  /** `ConfigureRequest.config`. */
  config: Record<string, string>;
  /** Policy paths for Init/Eval (`policyPaths`). */
  policies: string[];
  /** Cron expression for `--daemon` (5 fields, or 6 with seconds). */
  schedule: string | undefined;
  /** Carried beside the plugin's evidence to the sink. */
  labels: Record<string, string>;
}

/** `evidence:`: where evidence goes. The CLI's `--evidence-out` wins over it. */
export type EvidenceConfig =
  | { type: "stdout" }
  | { type: "jsonl"; path: string }
  | { type: "http"; url: string; headers: Record<string, string> };

/** A validated agent config (`plugwire run <config.yaml>`). */
export interface AgentConfig {
  /** The file it was read from (absolute). */
  file: string;
  plugins: PluginConfig[];
  evidence: EvidenceConfig | undefined;
  logging: { level: LogLevel | undefined };
}

/** Allowed keys per mapping, for unknown-key errors with a did-you-mean. */
export const KEYS = {
  top: ["plugins", "evidence", "logging"],
  plugin: ["source", "protocol_version", "args", "env", "config", "policies", "schedule", "labels"],
  evidence: ["type", "path", "url", "headers"],
  logging: ["level"],
} as const;

/** Evidence sink types. */
export const EVIDENCE_TYPES = ["stdout", "jsonl", "http"] as const;
