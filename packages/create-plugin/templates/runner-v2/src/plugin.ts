// A runner protocol 2 plugin: Configure keeps the agent's config, Init registers templates, Eval
// checks the configured service and sends one piece of evidence per policy path.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { defineRunner, stableUuid, types } from "@plugwire/plugin-sdk/runner";

const PLUGIN = "{{pluginId}}";

/** One evidence record about `config.url`, for `policy`. Pure: tests rebuild it and compare. */
export function buildEvidence(config: Readonly<Record<string, string>>, policy: string, nowMs: number) {
  const service = config.service ?? "service";
  const url = config.url ?? "";
  const secure = url.startsWith("https://");
  return {
    UUID: stableUuid(`${PLUGIN}|${service}|${policy}`),
    Title: `TLS check for ${service}`,
    Labels: { _plugin: PLUGIN, _policy: policy, service },
    Start: timestampFromMs(nowMs),
    End: timestampFromMs(nowMs),
    Subjects: [{ Identifier: `component/${service}`, Type: types.SubjectType.COMPONENT }],
    Status: {
      Reason: secure ? "served over HTTPS" : `${url || "(no url)"} is not served over HTTPS`,
      State: secure ? types.EvidenceStatusState.SATISFIED : types.EvidenceStatusState.NOT_SATISFIED,
    },
  };
}

/** A fresh plugin (one per process, or per test). `now` is injectable for tests. */
export function createPlugin(now: () => number = Date.now) {
  let config: Record<string, string> = {};
  const policies = (paths: readonly string[]) => (paths.length > 0 ? [...paths] : ["default"]);
  return defineRunner({
    name: PLUGIN,
    configure(req) {
      config = { ...req.config };
      return undefined;
    },
    async init(_req, { api }) {
      await api.upsertSubjectTemplates({
        SubjectTemplates: [
          {
            Name: `${PLUGIN}-service`,
            Type: types.SubjectType.COMPONENT,
            TitleTemplate: "Service {{ .service }}",
            IdentityLabelKeys: ["service"],
          },
        ],
      });
    },
    async eval(req, { api, logger }) {
      const nowMs = now();
      const Evidence = policies(req.policyPaths).map((policy) => buildEvidence(config, policy, nowMs));
      await api.createEvidence({ Evidence });
      logger.info({ evidence: Evidence.length }, "evidence sent");
      return undefined;
    },
  });
}
