import { ErrorCode, PlugwireError } from "../errors/plugwire-error.js";
import { CORE_PROTOCOL_VERSION } from "./handshake-config.js";

/** Network of a plugin listener, as written in handshake field 3. */
export type PluginNetwork = "unix" | "tcp";

/** Where a plugin (or a broker peer) listens. */
export interface PluginAddress {
  network: PluginNetwork;
  /** Socket path for `unix`, `host:port` for `tcp`. */
  address: string;
}

/** The decoded handshake line `CORE|APP|NETWORK|ADDR|PROTOCOL|CERT[|MUX]` (go-plugin-wire.md §2.4). */
export interface Handshake extends PluginAddress {
  coreVersion: number;
  appVersion: number;
  protocol: "grpc";
  /** Field 6: unpadded base64 DER of the plugin's AutoMTLS cert; "" without AutoMTLS. */
  cert: string;
  /** Field 7, present only when the host set `PLUGIN_MULTIPLEX_GRPC`. */
  multiplex?: boolean;
}

/** Longest handshake line a Go host accepts (bufio.Scanner default token size). */
export const MAX_HANDSHAKE_LINE = 64 * 1024;

/**
 * Formats the one line a plugin prints on stdout after it listens. Field 6 is left empty unless a
 * certificate is given (a Go host without TLS set up crashes on one); field 7 only when asked.
 */
export function formatHandshakeLine(
  h: Omit<Handshake, "coreVersion" | "protocol" | "cert"> & { cert?: string },
): string {
  const fields = [
    String(CORE_PROTOCOL_VERSION),
    String(h.appVersion),
    h.network,
    h.address,
    "grpc",
    h.cert ?? "",
  ];
  if (h.multiplex !== undefined) fields.push(String(h.multiplex));
  return `${fields.join("|")}\n`;
}

/** Options for {@link parseHandshakeLine}. */
export interface ParseHandshakeOptions {
  /** Plugin name for error messages. */
  plugin?: string | undefined;
  /** App protocol versions the host offered; the plugin's choice must be one of them. */
  offeredVersions: readonly number[];
}

/**
 * Host side: parse and validate the first stdout line exactly as go-plugin's client does, each
 * failure a {@link PlugwireError} with a stable code that shows what was received.
 */
export function parseHandshakeLine(line: string, options: ParseHandshakeOptions): Handshake {
  const { plugin, offeredVersions } = options;
  const text = line.replace(/\r?\n$/, "");
  const shown = truncate(text, 200);
  const invalid = (why: string) =>
    new PlugwireError(
      ErrorCode.HandshakeInvalid,
      `unrecognized handshake line ${JSON.stringify(shown)}: ${why}`,
      {
        plugin,
        details: { line: shown },
      },
    );
  const parts = text.split("|");
  if (parts.length < 4) {
    throw invalid(
      "expected CORE|APP|NETWORK|ADDR|PROTOCOL — was something printed to stdout before the handshake?",
    );
  }
  const [core, app, network, address, protocol = "netrpc", cert = "", mux] = parts as [
    string,
    string,
    string,
    string,
    ...string[],
  ];
  if (!/^\d+$/.test(core)) throw invalid("core protocol version is not a number");
  if (Number(core) !== CORE_PROTOCOL_VERSION) {
    throw new PlugwireError(
      ErrorCode.CoreVersionMismatch,
      `incompatible core API version with plugin: plugin version ${core}, host version ${CORE_PROTOCOL_VERSION}`,
      { plugin, details: { line: shown } },
    );
  }
  if (!/^\d+$/.test(app)) throw invalid("app protocol version is not a number");
  const appVersion = Number(app);
  if (!offeredVersions.includes(appVersion)) {
    throw new PlugwireError(
      ErrorCode.VersionMismatch,
      `incompatible app protocol version: plugin chose ${appVersion}, host supports ${offeredVersions.join(", ") || "none"}`,
      { plugin, details: { appVersion, offeredVersions: [...offeredVersions] } },
    );
  }
  if (network !== "unix" && network !== "tcp") throw invalid(`unknown network ${JSON.stringify(network)}`);
  if (address === "") throw invalid("empty address");
  if (protocol === "netrpc") {
    throw new PlugwireError(
      ErrorCode.ProtocolUnsupported,
      "plugin speaks go-plugin's netrpc protocol, which only Go hosts can use; serve it with GRPCServer (AllowedProtocols grpc)",
      { plugin, details: { line: shown } },
    );
  }
  if (protocol !== "grpc") throw invalid(`unknown protocol ${JSON.stringify(protocol)}`);
  const handshake: Handshake = { coreVersion: 1, appVersion, network, address, protocol, cert };
  if (mux !== undefined) {
    if (mux !== "true" && mux !== "false")
      throw invalid(`multiplex field must be true or false, got ${JSON.stringify(mux)}`);
    handshake.multiplex = mux === "true";
  }
  return handshake;
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length} chars)`;
}
