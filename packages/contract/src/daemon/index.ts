// @plugwire/contract/daemon — the Daemon contract of in-process plugins (design.md: Daemon,
// EventBus, ServiceRegistry) without any generated protos, for the plugin SDK's entry.

export { type EventBus, SupervisionTopic } from "../event-bus/event-bus.js";
export type { BusEvent, Subscription } from "../event-bus/subscription.js";
export {
  createServiceRegistry,
  type Daemon,
  type HostInfo,
  type HostServiceRegistry,
  type ScopedServiceRegistry,
  type ServiceRegistry,
} from "./daemon.js";
export {
  DAEMON_HANDSHAKE,
  DAEMON_LIFECYCLE_PLUGIN,
  DAEMON_PROTOCOL_VERSION,
  type DaemonPlugin,
  type DaemonPluginDefinition,
  type DaemonPluginInput,
  defineDaemonPlugin,
  isDaemonPluginDefinition,
  type PluginFactory,
} from "./define-daemon-plugin.js";
