// @plugwire/host — the explicit public surface.

export {
  createConsoleLogger,
  ErrorCode,
  type InputFieldSpec,
  type InputRequest,
  type InputValues,
  type Logger,
  PlugwireError,
  silentLogger,
} from "@plugwire/contract";
export * from "./artifacts/index.js";
export * from "./config/index.js";
export type { StdioChannel } from "./connection/stdio.js";
export { DAEMON_ENTRY_SPECIFIER, type DaemonExecutable, type LoadTarget } from "./daemon/load-target.js";
export {
  type Isolation,
  type LoadedDaemonPlugin,
  type LoadOptions,
  PluginRuntime,
  type PluginRuntimeOptions,
} from "./daemon/plugin-runtime.js";
export type { DaemonProcess } from "./daemon/process-isolation.js";
export {
  EnvelopeExit,
  type EnvelopeRequest,
  MAX_ENVELOPE_BYTES,
} from "./ephemeral/envelope.js";
export {
  type EnvelopeRunOptions,
  type EnvelopeRunResult,
  runEnvelopePlugin,
} from "./ephemeral/envelope-runner.js";
export {
  type EphemeralRunOptions,
  type EphemeralRunResult,
  runEphemeralPlugin,
} from "./ephemeral/grpc-runner.js";
export {
  DEFAULT_MAX_INPUT_REQUESTS,
  type InputRequiredContext,
  type InputRequiredHandler,
} from "./ephemeral/input-handler.js";
export { groupHighWater, type MemorySampler, startMemorySampler } from "./ephemeral/memory-sampler.js";
export {
  HOST_TIMEOUT_EXIT_CODE,
  type IdGenerator,
  type RecordSink,
  type RunRecord,
  type RunStatus,
} from "./ephemeral/run-record.js";
export { type CloseOptions, Plugin, type PluginEvents } from "./host/plugin.js";
export {
  type LaunchOptions,
  PluginHost,
  type PluginHostOptions,
  type ReattachConfig,
} from "./host/plugin-host.js";
export type { AnyClients, ClientsOf, ServiceSet, VersionedServices } from "./host/types.js";
export { type CallWithInputOptions, callWithInput, type InputCallOptions } from "./input/input-bridge.js";
export { isolationEnvPolicy, STRICT_ENV_BASE } from "./isolation/env-profile.js";
export {
  type ForbiddenPathGuard,
  globToRegExp,
  snapshotForbiddenPaths,
} from "./isolation/forbidden-paths.js";
export type { IsolationOptions, LimitBreach, ResourceLimits, SandboxLevel } from "./isolation/options.js";
export { buildPluginEnv, type EnvPolicy, type PluginEnvOptions } from "./launch/environment.js";
export { describeBinary } from "./launch/executable.js";
export type { SecureConfig } from "./launch/secure-config.js";
export type { PluginExit } from "./launch/spawn.js";
export {
  MANIFEST_API_VERSION,
  MANIFEST_FILES,
  type ManifestPolicy,
  type ManifestResult,
  type PluginManifest,
  parseManifest,
  validateManifest,
} from "./manifest/manifest.js";
export {
  type ManifestRegistry,
  manifestIsolation,
  type RegisteredPlugin,
  type RejectedManifest,
  type ScanPluginDirsOptions,
  scanPluginDirs,
} from "./manifest/registry.js";
export * from "./runner/index.js";
export { type Backoff, type BackoffOptions, createBackoff } from "./supervision/backoff.js";
export {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  createCircuitBreaker,
} from "./supervision/circuit-breaker.js";
export { type Clock, createManualClock, type ManualClock, systemClock } from "./supervision/clock.js";
export {
  type EventSink,
  type RestartReason,
  SUPERVISOR_TOPICS,
  type SupervisorEvent,
  type SupervisorEventMap,
  type SupervisorEventOf,
  type SupervisorState,
} from "./supervision/events.js";
export type { HealthProbe, ProbeVerdict } from "./supervision/health-prober.js";
export { createSupervisor, type ReloadChanges, Supervisor } from "./supervision/supervisor.js";
export type { HealthOptions, SupervisorOptions, SupervisorStatus } from "./supervision/supervisor-options.js";
