import { DEFAULT_PORT_RANGE, type HandshakeConfig, PluginEnv } from "@plugwire/contract";

/**
 * Which of the host's environment variables a plugin sees. go-plugin passes everything (unless
 * SkipHostEnv); `"inherit"` is that default, `"none"` passes nothing, and `{ allow }` passes only
 * the named variables (`NAME`) and prefixes (`PREFIX_*`).
 */
export type EnvPolicy = "inherit" | "none" | { allow: readonly string[] };

/** Inputs to {@link buildPluginEnv}. */
export interface PluginEnvOptions {
  policy: EnvPolicy;
  /** Host environment to draw from (default `process.env`). */
  hostEnv?: NodeJS.ProcessEnv;
  /** Extra variables for this plugin; they win over inherited ones. */
  extra?: Record<string, string> | undefined;
  handshake: HandshakeConfig;
  versions: readonly number[];
  socketDir: string;
  socketGroup?: string | undefined;
  /** PEM of the host certificate when AutoMTLS is on. */
  clientCertPem?: string | undefined;
  portRange?: { min: number; max: number } | undefined;
}

/**
 * The plugin's environment per go-plugin-wire.md §1: policy-filtered host variables, then the
 * caller's extras, then the protocol's own variables, which always win.
 */
export function buildPluginEnv(o: PluginEnvOptions): Record<string, string> {
  const env = filterHostEnv(o.policy, o.hostEnv);
  Object.assign(env, o.extra);
  const ports = o.portRange ?? DEFAULT_PORT_RANGE;
  env[o.handshake.magicCookieKey] = o.handshake.magicCookieValue;
  env[PluginEnv.ProtocolVersions] = o.versions.join(",");
  env[PluginEnv.MinPort] = String(ports.min);
  env[PluginEnv.MaxPort] = String(ports.max);
  env[PluginEnv.UnixSocketDir] = o.socketDir;
  if (o.socketGroup !== undefined) env[PluginEnv.UnixSocketGroup] = o.socketGroup;
  if (o.clientCertPem !== undefined) env[PluginEnv.ClientCert] = o.clientCertPem;
  else delete env[PluginEnv.ClientCert];
  // We never ask for yamux multiplexing; an inherited value must not make the plugin try it.
  delete env[PluginEnv.MultiplexGrpc];
  return env;
}

/** The host variables `policy` lets through (go-plugin-wire.md §1; envelope plugins use it too). */
export function filterHostEnv(
  policy: EnvPolicy,
  hostEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(hostEnv)) {
    if (value !== undefined && allowed(policy, key)) env[key] = value;
  }
  return env;
}

function allowed(policy: EnvPolicy, key: string): boolean {
  if (policy === "inherit") return true;
  if (policy === "none") return false;
  return policy.allow.some((p) => (p.endsWith("*") ? key.startsWith(p.slice(0, -1)) : key === p));
}
