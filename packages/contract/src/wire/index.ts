// @plugwire/contract/wire — the go-plugin wire alone (go-plugin-wire.md): handshake, errors, logging,
// gRPC transport/server/broker, AutoMTLS and go-plugin's own protos. The package entry also loads the
// runner/daemon/input protos, the registry and the event bus; a plugin process importing only this
// starts faster (ESM modules are loaded and descriptors decoded one by one at start-up).
export { ErrorCode, PlugwireError, type PlugwireErrorOptions } from "../errors/plugwire-error.js";
export * as health from "../gen/grpc/health/v1/health_pb.js";
export * as brokerProto from "../gen/plugin/grpc_broker_pb.js";
export * as controllerProto from "../gen/plugin/grpc_controller_pb.js";
export * as stdioProto from "../gen/plugin/grpc_stdio_pb.js";
export {
  COOKIE_MISMATCH_MESSAGE,
  CORE_PROTOCOL_VERSION,
  DEFAULT_PORT_RANGE,
  type HandshakeConfig,
  KnownHandshakes,
  negotiateVersion,
  PluginEnv,
  parseVersionList,
} from "../handshake/handshake-config.js";
export {
  formatHandshakeLine,
  type Handshake,
  MAX_HANDSHAKE_LINE,
  type ParseHandshakeOptions,
  type PluginAddress,
  type PluginNetwork,
  parseHandshakeLine,
} from "../handshake/handshake-line.js";
export {
  type ConsoleLoggerOptions,
  createConsoleLogger,
  createHclogLogger,
  type HclogLoggerOptions,
  silentLogger,
} from "../logging/hclog.js";
export type { LogFields, Logger, LogLevel } from "../logging/logger.js";
export {
  BROKER_TIMEOUT_MS,
  type BrokeredServer,
  type BrokerOptions,
  createBroker,
  type GrpcBroker,
} from "./broker.js";
export {
  createPluginTransport,
  type PluginTransport,
  type PluginTransportOptions,
  type PreparedConnection,
  parseHostPort,
  prepareConnection,
} from "./client-transport.js";
export {
  type GrpcServer,
  type GrpcServerOptions,
  MAX_UNIX_PATH,
  socketPath,
  startGrpcServer,
} from "./grpc-server.js";
export { createCertificate, encodeHandshakeCert, type TlsIdentity } from "./mtls.js";
export { MAX_MESSAGE_BYTES, type MutualTls, tlsOptions } from "./mutual-tls.js";
