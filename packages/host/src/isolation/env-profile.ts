import { ErrorCode, PlugwireError } from "@plugwire/contract";
import type { EnvPolicy } from "../launch/environment.js";
import type { IsolationOptions } from "./options.js";

/** What every plugin needs to find programs, its home, its locale and its time zone. */
export const STRICT_ENV_BASE = ["PATH", "HOME", "LANG", "TZ"] as const;

/**
 * The isolation profile's environment: an allowlist of {@link STRICT_ENV_BASE}, the configured
 * prefix and explicit pass-through names. The protocol's own variables (magic cookie,
 * `PLUGIN_PROTOCOL_VERSIONS`, `PLUGIN_UNIX_SOCKET_DIR`, … — go-plugin-wire.md §1) are added by
 * `buildPluginEnv` after filtering, so they always reach the plugin.
 */
export function isolationEnvPolicy(o: IsolationOptions, plugin: string): EnvPolicy {
  if (o.env !== undefined && o.env !== "strict") return o.env;
  const allow: string[] = [...STRICT_ENV_BASE, ...(o.passEnv ?? [])];
  if (o.envPrefix !== undefined) {
    // An empty prefix (or a lone `*`) would pass everything: that is `"inherit"`, say so instead.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.envPrefix)) {
      throw new PlugwireError(
        ErrorCode.ConfigInvalid,
        `envPrefix ${JSON.stringify(o.envPrefix)} must be a non-empty variable-name prefix; use env: "inherit" to pass everything`,
        { plugin },
      );
    }
    allow.push(`${o.envPrefix}*`);
  }
  return { allow };
}
