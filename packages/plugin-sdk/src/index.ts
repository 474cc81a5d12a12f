// @plugwire/plugin-sdk — write go-plugin compatible plugins in TypeScript. The explicit public surface.
// Imported first for its side effect: under a go-plugin host, stdout is guarded before user code runs.
import "./serve/early-guard.js";

// Re-exported from @plugwire/contract's lean entries (not its index, which loads every proto) so a
// plugin needs only this package.
export {
  type BusEvent,
  type Daemon,
  type DaemonPlugin,
  type DaemonPluginDefinition,
  type DaemonPluginInput,
  defineDaemonPlugin,
  type EventBus,
  type HostInfo,
  type ServiceRegistry,
  type Subscription,
  SupervisionTopic,
} from "@plugwire/contract/daemon";
export {
  ErrorCode,
  type GrpcBroker,
  type HandshakeConfig,
  KnownHandshakes,
  type Logger,
  type PluginTransport,
  PlugwireError,
} from "@plugwire/contract/wire";
// Runner plugins (defineRunner, stableUuid, runner/results/types protos), out-of-process daemon
// plugins (serveDaemonPlugin, connectDaemon) and input requests (callContext, requestInput) live
// in the subpaths `@plugwire/plugin-sdk/runner`, `/daemon` and `/input`: each loads its own
// protos, which a plain go-plugin plugin should not pay for at start-up.
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
export { getPluginContext, type PluginContext } from "./plugin-context.js";
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
