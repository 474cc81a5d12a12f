import { formatHandshakeLine, type PluginAddress, PluginEnv } from "@plugwire/contract/wire";

/** Inputs of the handshake line. */
export interface HandshakeLineInput {
  version: number;
  address: PluginAddress;
  /** Field 6, already encoded (`encodeHandshakeCert`); only when the host sent `PLUGIN_CLIENT_CERT`. */
  cert?: string | undefined;
  env: NodeJS.ProcessEnv;
}

/**
 * The one stdout line (go-plugin-wire.md §2.4): `1|APP|NETWORK|ADDR|grpc|CERT`, plus `|false` only
 * when the host set `PLUGIN_MULTIPLEX_GRPC` (Go checks for a non-empty value; we never multiplex,
 * and hosts before v1.6 split the line into at most six parts).
 */
export function handshakeLine(input: HandshakeLineInput): string {
  const askedForMux = (input.env[PluginEnv.MultiplexGrpc] ?? "") !== "";
  return formatHandshakeLine({
    appVersion: input.version,
    ...input.address,
    cert: input.cert ?? "",
    ...(askedForMux ? { multiplex: false } : {}),
  });
}
