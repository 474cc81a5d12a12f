// What this example sends: pure functions of the configured values, the policy path and the
// observation time, so a test can rebuild exactly what the plugin sent and compare field by field.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { stableUuid, types } from "@plugwire/plugin-sdk/runner";

/** Inputs of {@link buildEvidence}. */
export interface EvidenceInput {
  config: Readonly<Record<string, string>>;
  /** The policy path, or `default` when the agent sent none. */
  policy: string;
  observedAtMs: number;
}

const HOUR_MS = 3_600_000;

/** Whether the configured endpoint uses TLS (`url` starts with https://). */
function secure(config: Readonly<Record<string, string>>): boolean {
  return (config.url ?? "").startsWith("https://");
}

/** One evidence per policy path about the configured endpoint, with activities, components and subjects. */
export function buildEvidence({ config, policy, observedAtMs }: EvidenceInput): types.Evidence {
  const url = config.url ?? "";
  const service = config.service ?? "service";
  const ok = secure(config);
  const link = { Href: url, Rel: "endpoint", Text: service };
  return create(types.EvidenceSchema, {
    UUID: stableUuid(`runner-v2|${service}|${policy}`),
    Title: `TLS check for ${service}`,
    Description: `Checks that ${service} is served over HTTPS`,
    Remarks: `policy ${policy}`,
    Labels: { _plugin: "runner-v2", _policy: policy, service },
    Start: timestampFromMs(observedAtMs),
    End: timestampFromMs(observedAtMs + 1),
    Expires: timestampFromMs(observedAtMs + 24 * HOUR_MS),
    Links: [link],
    Props: [{ Name: "url", Value: url, Ns: "https://plugwire.dev/ns/example", Class: "endpoint" }],
    Origins: [{ Actors: [{ UUID: stableUuid("runner-v2|actor"), Title: "runner-v2", Type: "tool" }] }],
    Activities: [
      {
        Title: "Inspect endpoint",
        Description: `Parse ${url || "(no url)"} and check its scheme`,
        Steps: [{ Title: "Parse", Description: "Read the configured url" }],
      },
    ],
    Components: [
      {
        Identifier: `component/${service}`,
        Type: "service",
        Title: service,
        Protocols: [
          {
            Name: ok ? "https" : "http",
            Title: ok ? "HTTPS" : "HTTP",
            PortRanges: [{ Start: ok ? 443 : 80, End: ok ? 443 : 80, Transport: "TCP" }],
          },
        ],
      },
    ],
    Subjects: [{ Identifier: `component/${service}`, Type: types.SubjectType.COMPONENT }],
    Status: {
      Reason: ok ? "served over HTTPS" : "not served over HTTPS",
      State: ok ? types.EvidenceStatusState.SATISFIED : types.EvidenceStatusState.NOT_SATISFIED,
    },
  });
}

/** The subject template Init upserts: how the API names services this runner reports on. */
export function subjectTemplate(): types.SubjectTemplate {
  return create(types.SubjectTemplateSchema, {
    Name: "runner-v2-service",
    Type: types.SubjectType.COMPONENT,
    TitleTemplate: "Service {{ .service }}",
    IdentityLabelKeys: ["service"],
    LabelSchema: [{ Key: "service", Description: "the service name" }],
  });
}

/** One risk template per policy path. */
export function riskTemplates(policies: readonly string[]): types.RiskTemplate[] {
  return policies.map((policy) =>
    create(types.RiskTemplateSchema, {
      UUID: stableUuid(`runner-v2|risk|${policy}`),
      PolicyPackage: policy,
      Name: `plaintext-${policy}`,
      Title: "Service reachable without TLS",
      Statement: "Traffic to the service can be read or altered in transit.",
      LikelihoodHint: "medium",
      ImpactHint: "high",
      Remediation: { Title: "Serve over HTTPS", Tasks: [{ Title: "Install a certificate", OrderIndex: 0 }] },
    }),
  );
}
