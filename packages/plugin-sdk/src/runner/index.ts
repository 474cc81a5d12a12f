// Runner protocol v1/v2 (runner-wire.md): the Compliance Framework agent's plugin contract.
export { results, runner, types } from "@plugwire/contract";
// What defineRunner returns, nameable from this subpath (declaration emit of user code needs it).
export type { PluginDefinition } from "../define-plugin.js";
export {
  type ApiHelperClient,
  defineRunner,
  RUNNER_PRESET,
  type RunnerCallContext,
  type RunnerConfigureContext,
  type RunnerDefinitionInput,
  type RunnerDescriptors,
} from "./define-runner.js";
export { stableUuid } from "./stable-uuid.js";
