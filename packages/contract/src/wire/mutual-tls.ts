import type * as crypto from "node:crypto";
import type * as tls from "node:tls";

// process.getBuiltinModule (Node ≥ 20.16): synchronous, and no `createRequire` binding to collide
// with a bundle's require banner.

/** node:tls, loaded on first AutoMTLS use: a plaintext plugin does not pay its ~4 ms load at start-up. */
export function nodeTls(): typeof tls {
  return process.getBuiltinModule("node:tls") as typeof tls;
}

/** node:crypto, loaded on first use (AutoMTLS certificates): ~2.5 ms of a plaintext plugin's start. */
export function nodeCrypto(): typeof crypto {
  return process.getBuiltinModule("node:crypto") as typeof crypto;
}

/**
 * AutoMTLS material for one connection (go-plugin-wire.md §6): our own key and certificate, and the
 * one certificate we accept from the peer. The same pair serves as server and client identity, since
 * broker callbacks reverse the roles.
 */
export interface MutualTls {
  certPem: string;
  keyPem: string;
  /** The peer's certificate: the only one trusted. */
  peerCertPem: string;
}

/** Largest message both sides accept: go-plugin hosts raise gRPC limits to 2^31-1. */
export const MAX_MESSAGE_BYTES = 2 ** 31 - 1;

/** TLS options shared by client and server: TLS ≥ 1.2, ALPN h2 (required by grpc-go ≥ 1.67). */
export function tlsOptions(m: MutualTls): tls.SecureContextOptions & tls.CommonConnectionOptions {
  return {
    cert: m.certPem,
    key: m.keyPem,
    ca: [m.peerCertPem],
    minVersion: "TLSv1.2",
    ALPNProtocols: ["h2"],
    rejectUnauthorized: true,
  };
}
