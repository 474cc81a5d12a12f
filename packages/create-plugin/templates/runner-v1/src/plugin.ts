// A runner protocol 1 plugin: Configure keeps the agent's config, Eval checks the configured paths
// and sends one piece of evidence per policy path. There is no init handler: Init answers
// UNIMPLEMENTED, which is how agents tell protocol 1 plugins apart. Add `init` to move to protocol 2.
import { existsSync } from "node:fs";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { defineRunner, stableUuid, types } from "@plugwire/plugin-sdk/runner";

const PLUGIN = "{{pluginId}}";

/** The comma-separated `paths` config value as a list. */
export function pathsOf(config: Readonly<Record<string, string>>): string[] {
  return (config.paths ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

/** One evidence record: do all configured paths exist? `exists` is injectable for tests. */
export function buildEvidence(
  config: Readonly<Record<string, string>>,
  policy: string,
  nowMs: number,
  exists: (path: string) => boolean = existsSync,
) {
  const paths = pathsOf(config);
  const missing = paths.filter((p) => !exists(p));
  const ok = paths.length > 0 && missing.length === 0;
  return {
    UUID: stableUuid(`${PLUGIN}|${paths.join(",")}|${policy}`),
    Title: "Required files are present",
    Labels: { _plugin: PLUGIN, _policy: policy },
    Start: timestampFromMs(nowMs),
    End: timestampFromMs(nowMs),
    Props: paths.map((p) => ({ Name: "path", Value: p })),
    Status: {
      Reason:
        paths.length === 0 ? "no paths configured" : ok ? "all present" : `missing: ${missing.join(", ")}`,
      State: ok ? types.EvidenceStatusState.SATISFIED : types.EvidenceStatusState.NOT_SATISFIED,
    },
  };
}

/** A fresh plugin (one per process, or per test). `now` is injectable for tests. */
export function createPlugin(now: () => number = Date.now) {
  let config: Record<string, string> = {};
  return defineRunner({
    name: PLUGIN,
    configure(req) {
      config = { ...req.config };
      return undefined;
    },
    async eval(req, { api }) {
      const nowMs = now();
      const policies = req.policyPaths.length > 0 ? req.policyPaths : ["default"];
      await api.createEvidence({ Evidence: policies.map((policy) => buildEvidence(config, policy, nowMs)) });
      return undefined;
    },
  });
}
