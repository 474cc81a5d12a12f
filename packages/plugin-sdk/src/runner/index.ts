// Runner protocol v1/v2 (runner-wire.md): the Compliance Framework agent's plugin contract.
export { results, runner, types } from "@plugwire/contract";
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
