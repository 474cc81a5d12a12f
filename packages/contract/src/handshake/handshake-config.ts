/**
 * Environment variables of go-plugin's launch contract (go-plugin-wire.md §1).
 * The host sets them; the plugin reads them.
 */
export const PluginEnv = {
  /** Comma list of app protocol versions the host supports, e.g. `5,6`. */
  ProtocolVersions: "PLUGIN_PROTOCOL_VERSIONS",
  /** Lower bound of the TCP port range (Windows listeners). Go default 10000. */
  MinPort: "PLUGIN_MIN_PORT",
  /** Upper bound of the TCP port range. Go default 25000. */
  MaxPort: "PLUGIN_MAX_PORT",
  /** The host's AutoMTLS certificate, PEM with real newlines; only when AutoMTLS is on. */
  ClientCert: "PLUGIN_CLIENT_CERT",
  /** Directory for the plugin's unix sockets (go-plugin v1.5+). */
  UnixSocketDir: "PLUGIN_UNIX_SOCKET_DIR",
  /** Group (name or gid) the plugin chowns its sockets to, with mode 0660 (v1.5+). */
  UnixSocketGroup: "PLUGIN_UNIX_SOCKET_GROUP",
  /** `true` when the host asks for yamux multiplexing (v1.6+, opt-in). */
  MultiplexGrpc: "PLUGIN_MULTIPLEX_GRPC",
} as const;

/** go-plugin's core protocol version: field 1 of the handshake line is always this. */
export const CORE_PROTOCOL_VERSION = 1;

/** Go hosts' default TCP port range for plugin listeners. */
export const DEFAULT_PORT_RANGE = { min: 10000, max: 25000 } as const;

/**
 * The magic cookie pair that tells a plugin it was launched by a host that speaks its protocol.
 * A UX guard against running the plugin by hand, not a security boundary (go-plugin-wire.md §1).
 */
export interface HandshakeConfig {
  /** Env var name the host sets, e.g. `BASIC_PLUGIN`. */
  magicCookieKey: string;
  /** Its value, e.g. `hello`. */
  magicCookieValue: string;
}

/**
 * The exact three lines a go-plugin plugin writes to stderr (then exits 1) when started without the
 * cookie (go-plugin-wire.md §2.1).
 */
export const COOKIE_MISMATCH_MESSAGE =
  "This binary is a plugin. These are not meant to be executed directly.\n" +
  "Please execute the program that consumes these plugins, which will\n" +
  "load any plugins automatically\n";

/** Well-known handshakes (go-plugin-wire.md §7), handy as presets. */
export const KnownHandshakes = {
  /** go-plugin's gRPC KV example. */
  goPluginExample: { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" },
  /** The Compliance Framework agent's runner plugins. */
  runner: { magicCookieKey: "RUNNER_PLUGIN", magicCookieValue: "AC755DCE-C118-481A-8EFA-18D8675D8122" },
  /** Terraform providers (protocol versions 5, 6). */
  terraform: {
    magicCookieKey: "TF_PLUGIN_MAGIC_COOKIE",
    magicCookieValue: "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
  },
} as const satisfies Record<string, HandshakeConfig>;

/**
 * Plugin side of version negotiation (go-plugin-wire.md §2.2): from the versions the plugin
 * supports, pick the highest one the host listed in `PLUGIN_PROTOCOL_VERSIONS`; if none match, fall
 * back to the plugin's lowest so the host can reject it with a clear error. Bad entries are ignored.
 */
export function negotiateVersion(pluginVersions: readonly number[], hostList: string | undefined): number {
  if (pluginVersions.length === 0)
    throw new TypeError("a plugin must support at least one app protocol version");
  const offered = parseVersionList(hostList ?? "");
  const common = pluginVersions.filter((v) => offered.includes(v));
  return common.length > 0 ? Math.max(...common) : Math.min(...pluginVersions);
}

/** Parses a `PLUGIN_PROTOCOL_VERSIONS` value, ignoring entries that are not non-negative integers. */
export function parseVersionList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(",")) {
    const s = part.trim();
    if (/^\d{1,9}$/.test(s)) out.push(Number(s));
  }
  return out;
}
