// A runner protocol 2 plugin: Configure, Init (upserts templates through ApiHelper), Eval.
import { defineRunner } from "@plugwire/plugin-sdk/runner";
import { buildEvidence, riskTemplates, subjectTemplate } from "./evidence.js";

const policiesOf = (paths: readonly string[]) => (paths.length > 0 ? [...paths] : ["default"]);

/** A fresh plugin definition (one per process). `now` is injectable for tests. */
export function createRunnerPlugin(now: () => number = Date.now) {
  let config: Record<string, string> = {};
  return defineRunner({
    name: "runner-v2",
    configure(req) {
      config = { ...req.config };
      return undefined;
    },
    async init(req, { api }) {
      await api.upsertSubjectTemplates({ SubjectTemplates: [subjectTemplate()] });
      await api.upsertRiskTemplates({
        PackageName: "runner-v2",
        RiskTemplates: riskTemplates(policiesOf(req.policyPaths)),
      });
    },
    async eval(req, { api, logger }) {
      const observedAtMs = now();
      const Evidence = policiesOf(req.policyPaths).map((policy) =>
        buildEvidence({ config, policy, observedAtMs }),
      );
      await api.createEvidence({ Evidence });
      logger.info({ evidence: Evidence.length }, "evidence sent");
      return undefined;
    },
  });
}

export { buildEvidence, type EvidenceInput, riskTemplates, subjectTemplate } from "./evidence.js";
