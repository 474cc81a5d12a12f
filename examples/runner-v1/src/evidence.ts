// The evidence this example sends: a pure function of the configured values, the policy path and
// the observation time, so a test can rebuild exactly what the plugin sent and compare field by field.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { stableUuid, types } from "@plugwire/plugin-sdk/runner";

/** Config keys this runner checks; each must be set (non-empty) for the evidence to be satisfied. */
export const REQUIRED_KEYS = ["hostname", "environment"] as const;

/** Inputs of {@link buildEvidence}. */
export interface EvidenceInput {
  config: Readonly<Record<string, string>>;
  /** The policy path, or `default` when the agent sent none. */
  policy: string;
  /** When the check ran (ms since the epoch). */
  observedAtMs: number;
}

/** One evidence per policy path: are the required config keys set? */
export function buildEvidence({ config, policy, observedAtMs }: EvidenceInput): types.Evidence {
  const missing = REQUIRED_KEYS.filter((k) => !config[k]);
  const host = config.hostname ?? "unknown";
  return create(types.EvidenceSchema, {
    UUID: stableUuid(`runner-v1|${host}|${policy}`),
    Title: `Configuration audit for ${host}`,
    Description: `Checks that ${REQUIRED_KEYS.join(", ")} are configured (policy ${policy})`,
    Labels: { _plugin: "runner-v1", _policy: policy, host },
    Start: timestampFromMs(observedAtMs),
    End: timestampFromMs(observedAtMs),
    Props: Object.keys(config)
      .sort()
      .map((Name) => ({ Name, Value: config[Name] ?? "" })),
    Subjects: [{ Identifier: `host/${host}`, Type: types.SubjectType.INVENTORY_ITEM }],
    Status: {
      Reason: missing.length === 0 ? "all required keys set" : `missing: ${missing.join(", ")}`,
      State:
        missing.length === 0 ? types.EvidenceStatusState.SATISFIED : types.EvidenceStatusState.NOT_SATISFIED,
    },
  });
}
