// @plugwire/contract — the explicit public surface. Generated protobuf code is exported under
// namespaces so that message names from different proto packages never collide.

export {
  createServiceRegistry,
  type Daemon,
  type HostInfo,
  type HostServiceRegistry,
  type ScopedServiceRegistry,
  type ServiceRegistry,
} from "./daemon/daemon.js";
export {
  eventFromProto,
  eventToProto,
  fieldsToJson,
  logLevelFromProto,
  logLevelToProto,
  payloadFromProto,
  payloadToProto,
} from "./daemon/daemon-codec.js";
export {
  DAEMON_HANDSHAKE,
  DAEMON_LIFECYCLE_PLUGIN,
  DAEMON_PROTOCOL_VERSION,
  type DaemonPlugin,
  type DaemonPluginDefinition,
  type DaemonPluginInput,
  daemonPluginFromModule,
  defineDaemonPlugin,
  isDaemonPluginDefinition,
  type PluginFactory,
} from "./daemon/define-daemon-plugin.js";
export {
  ErrorCode,
  PlugwireError,
  type PlugwireErrorOptions,
} from "./errors/plugwire-error.js";
export { BoundedQueue, type OverflowPolicy } from "./event-bus/bounded-queue.js";
export {
  createEventBus,
  type EventBus,
  type EventBusOptions,
  type HostEventBus,
  type ScopedEventBus,
  SupervisionTopic,
} from "./event-bus/event-bus.js";
export {
  type BusEvent,
  createSubscriptionFeed,
  DEFAULT_SUBSCRIBER_BUFFER,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionFeed,
  type SubscriptionFeedOptions,
} from "./event-bus/subscription.js";
export { assertTopic, compileTopicPattern, type TopicMatcher } from "./event-bus/topic-pattern.js";
export * as health from "./gen/grpc/health/v1/health_pb.js";
export * as brokerProto from "./gen/plugin/grpc_broker_pb.js";
export * as controllerProto from "./gen/plugin/grpc_controller_pb.js";
export * as stdioProto from "./gen/plugin/grpc_stdio_pb.js";
export * as daemonProto from "./gen/plugwire/daemon/v1/daemon_pb.js";
export * as inputProto from "./gen/plugwire/input/v1/input_pb.js";
export * as results from "./gen/runner/proto/results_pb.js";
export * as runner from "./gen/runner/proto/runner_pb.js";
export * as types from "./gen/runner/proto/types_pb.js";
export {
  COOKIE_MISMATCH_MESSAGE,
  CORE_PROTOCOL_VERSION,
  DEFAULT_PORT_RANGE,
  type HandshakeConfig,
  KnownHandshakes,
  negotiateVersion,
  PluginEnv,
  parseVersionList,
} from "./handshake/handshake-config.js";
export {
  formatHandshakeLine,
  type Handshake,
  MAX_HANDSHAKE_LINE,
  type ParseHandshakeOptions,
  type PluginAddress,
  type PluginNetwork,
  parseHandshakeLine,
} from "./handshake/handshake-line.js";
export {
  type InputFieldSpec,
  InputHeader,
  type InputRequest,
  type InputValues,
} from "./input/input-request.js";
export {
  type ConsoleLoggerOptions,
  createConsoleLogger,
  createHclogLogger,
  createHclogParseState,
  formatHclogLine,
  formatHclogTimestamp,
  type HclogEntry,
  type HclogLoggerOptions,
  type HclogParseState,
  type HclogWriteEntry,
  normalizeLogCall,
  parseHclogLine,
  silentLogger,
} from "./logging/hclog.js";
export {
  LOG_LEVELS,
  type LogFields,
  type Logger,
  type LogLevel,
  type LogMethod,
  levelMethods,
} from "./logging/logger.js";
export {
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  initPlugin,
  type ShutdownPluginOptions,
  shutdownPlugin,
} from "./registry/lifecycle.js";
export {
  createRegistry,
  type DaemonProvider,
  defaultRegistry,
  type LoadAllOptions,
  type LoadedPlugin,
  loadAll,
  type PluginRegistry,
  registered,
  registerPlugin,
  type ShutdownAllOptions,
  shutdownAll,
} from "./registry/registry.js";
export {
  BROKER_TIMEOUT_MS,
  type BrokeredServer,
  type BrokerOptions,
  createBroker,
  type GrpcBroker,
} from "./wire/broker.js";
export {
  createPluginTransport,
  type PluginTransport,
  type PluginTransportOptions,
  type PreparedConnection,
  parseHostPort,
  prepareConnection,
} from "./wire/client-transport.js";
export {
  type GrpcServer,
  type GrpcServerOptions,
  MAX_UNIX_PATH,
  socketPath,
  startGrpcServer,
} from "./wire/grpc-server.js";
export {
  type CreateCertificateOptions,
  createCertificate,
  decodeHandshakeCert,
  derToPem,
  encodeHandshakeCert,
  pemToDer,
  type TlsIdentity,
} from "./wire/mtls.js";
export { MAX_MESSAGE_BYTES, type MutualTls, tlsOptions } from "./wire/mutual-tls.js";
