// A runner protocol 1 plugin: Configure + Eval, no Init (the SDK answers Init with UNIMPLEMENTED).
import { defineRunner } from "@plugwire/plugin-sdk/runner";
import { buildEvidence } from "./evidence.js";

/** A fresh plugin definition (one per process). `now` is injectable for tests. */
export function createRunnerPlugin(now: () => number = Date.now) {
  let config: Record<string, string> = {};
  return defineRunner({
    name: "runner-v1",
    configure(req) {
      config = { ...req.config };
      return undefined;
    },
    async eval(req, { api, logger }) {
      const policies = req.policyPaths.length > 0 ? req.policyPaths : ["default"];
      const observedAtMs = now();
      const Evidence = policies.map((policy) => buildEvidence({ config, policy, observedAtMs }));
      await api.createEvidence({ Evidence });
      logger.info({ evidence: Evidence.length }, "evidence sent");
      return undefined;
    },
  });
}

export { buildEvidence, type EvidenceInput, REQUIRED_KEYS } from "./evidence.js";
