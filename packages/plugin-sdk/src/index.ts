// @plugwire/plugin-sdk — write go-plugin compatible plugins in TypeScript. The explicit public surface.
// Imported first for its side effect: under a go-plugin host, stdout is guarded before user code runs.
import "./serve/early-guard.js";

// Re-exported from @plugwire/contract so a plugin needs only this package.
export {
  type BusEvent,
  type Daemon,
  type DaemonPlugin,
  type DaemonPluginDefinition,
  type DaemonPluginInput,
  defineDaemonPlugin,
  ErrorCode,
  type EventBus,
  type GrpcBroker,
  type HandshakeConfig,
  type HostInfo,
  KnownHandshakes,
  type Logger,
  type PluginTransport,
  PlugwireError,
  type ServiceRegistry,
  type Subscription,
  SupervisionTopic,
} from "@plugwire/contract";
export { type ConnectDaemonOptions, connectDaemon, type RemoteDaemon } from "./daemon/remote-daemon.js";
export { daemonPluginServer, serveDaemonPlugin } from "./daemon/serve-daemon-plugin.js";
export {
  definePlugin,
  implement,
  type PluginDefinition,
  type PluginDefinitionInput,
  type PluginSet,
  type ServiceBinding,
  type VersionDescriptors,
  type VersionedServices,
} from "./define-plugin.js";
export {
  type CallContext,
  callContext,
  type RequestInputArgs,
  requestInput,
} from "./input/request-input.js";
export { getPluginContext, type PluginContext } from "./plugin-context.js";
export * from "./runner/index.js";
export { cookieMatches } from "./serve/cookie.js";
export { type HandshakeLineInput, handshakeLine } from "./serve/handshake.js";
export { type ListenOptions, type ListenTarget, listenForHost, listenTarget } from "./serve/listen.js";
export { type Negotiated, negotiate } from "./serve/negotiate.js";
export { type ParentWatchOptions, watchParent } from "./serve/parent-watch.js";
export { type PluginServer, type ServeOptions, serve } from "./serve/serve.js";
export { DEFAULT_SHUTDOWN_GRACE_MS } from "./serve/shutdown.js";
export { guardProcessStdio, launchedByHost, type ProcessStdio } from "./serve/stdout-capture.js";
export { HEALTHY_SERVICES, healthService } from "./services/health.js";
export { type PluginRoutesOptions, pluginRoutes } from "./services/register.js";
export {
  createStdioStream,
  type StdioChannel,
  type StdioChunk,
  type StdioStream,
  type StdioStreamOptions,
  stdioService,
} from "./services/stdio.js";
