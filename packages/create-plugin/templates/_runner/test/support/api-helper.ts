// Plays the agent's side of a runner call: the agent serves `proto.ApiHelper` on the go-plugin
// broker under a fresh id and passes that id as `apiServer` (runner-wire.md). This records what the
// plugin sends through it.
import { results, type runner, type types } from "@plugwire/plugin-sdk/runner";
import type { TestHost } from "@plugwire/plugin-sdk/testing";

/** What a plugin sent through one ApiHelper. */
export interface ApiHelperRecord {
  evidence: types.Evidence[];
  subjectTemplates: types.SubjectTemplate[];
  riskTemplates: types.RiskTemplate[];
}

/** Serves a recording ApiHelper; `await using` closes it. */
export async function serveApiHelper(host: TestHost<{ runner: typeof runner.Runner }>) {
  const got: ApiHelperRecord = { evidence: [], subjectTemplates: [], riskTemplates: [] };
  const id = host.broker.nextId();
  const server = await host.broker.accept(id, (router) =>
    router.service(results.ApiHelper, {
      createEvidence(req) {
        got.evidence.push(...req.Evidence);
        return {};
      },
      upsertRiskTemplates(req) {
        got.riskTemplates.push(...req.RiskTemplates);
        return {};
      },
      upsertSubjectTemplates(req) {
        got.subjectTemplates.push(...req.SubjectTemplates);
        return {};
      },
    }),
  );
  return { id, got, [Symbol.asyncDispose]: () => server.close() };
}
