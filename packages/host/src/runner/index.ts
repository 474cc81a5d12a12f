// Runner protocol v1/v2 host side (runner-wire.md) and the `plugwire run` agent.
export {
  type Agent,
  type AgentOptions,
  createAgent,
  type PluginOutcome,
  RUNNER_VERSIONS,
  type SourceResolver,
} from "./agent.js";
export {
  API_HELPER_KEY,
  type ApiHelperHandler,
  type ApiHelperLease,
  type ApiHelperServer,
  createApiHelperServer,
} from "./api-helper-server.js";
export {
  createHttpSink,
  createJsonLinesSink,
  createMemorySink,
  type EvidenceBatch,
  type EvidenceSink,
  type HttpSinkOptions,
  type JsonLinesTarget,
  type MemorySink,
} from "./evidence-sink.js";
export {
  DEFAULT_LOOKUP_TIMEOUT_MS,
  isOciSource,
  PROTOCOL_ANNOTATION,
  type ProtocolAnnotationLookup,
  type ResolveProtocolOptions,
  resolveProtocol,
} from "./protocol.js";
export {
  type CallCounts,
  createRunnerClient,
  type RunInput,
  type RunnerClient,
  type RunnerClientOptions,
  type RunReport,
} from "./runner-client.js";
export { nextRun, runSchedule, type ScheduledJob, type ScheduleOptions } from "./scheduler.js";
