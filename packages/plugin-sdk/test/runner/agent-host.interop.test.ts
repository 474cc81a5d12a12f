// Interop: the TS runner examples under conformance/bin/agent-host, a Go program built with go-plugin
// v1.8 that plays the Compliance Framework agent (RUNNER_PLUGIN cookie, a NEW broker ApiHelper server
// per Init/Eval call). Evidence it received (Go protojson) must equal what the example built.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { types } from "@plugwire/plugin-sdk/runner";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as v1 from "../../../../examples/runner-v1/dist/plugin.js";
import * as v2 from "../../../../examples/runner-v2/dist/plugin.js";
import { conformanceBin, prepareConformance, repoRoot } from "../support/conformance.js";
import { reapAll, run } from "../support/processes.js";

interface AgentResult {
  ok?: boolean;
  error?: string;
  initUnimplemented: boolean;
  status: string;
  evidence: JsonValue[];
  subjectTemplates: number;
  riskTemplates: number;
  riskPackage: string;
  forcedKill: boolean;
}

let skipReason: string | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  skipReason = await prepareConformance(["agent-host"]);
  if (skipReason) console.warn(`skipping runner agent interop tests: ${skipReason}`);
});
afterEach(async () => {
  expect(await reapAll()).toBe(0);
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function agent(example: string, protocol: 1 | 2, config: Record<string, string>, policies: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "pw-agent-"));
  dirs.push(dir);
  const args = [
    "--plugin",
    join(repoRoot, "examples", example, "bin", "plugin"),
    "--protocol",
    String(protocol),
  ];
  for (const [k, v] of Object.entries(config)) args.push("--config", `${k}=${v}`);
  for (const p of policies) args.push("--policy", p);
  const env = { ...process.env, PLUGIN_UNIX_SOCKET_DIR: dir, TMPDIR: dir };
  const res = await run(join(conformanceBin, "agent-host"), args, { env, timeoutMs: 60_000 });
  const result = JSON.parse(res.stdout.trim().split("\n").at(-1) ?? "{}") as AgentResult;
  if (!result.ok) throw new Error(`agent-host failed: ${result.error}\n${res.stderr}`);
  expect(readdirSync(dir), "sockets left behind").toEqual([]);
  return result;
}

/** Rebuilds what the example sent from its inputs (the observation time read back from Start). */
function expected(
  build: (input: v1.EvidenceInput) => types.Evidence,
  config: Record<string, string>,
  policies: string[],
  received: JsonValue[],
) {
  return policies.map((policy, i) => {
    const start = fromJson(types.EvidenceSchema, received[i] ?? {}).Start;
    const observedAtMs = start ? timestampMs(start) : Number.NaN;
    return toJson(types.EvidenceSchema, build({ config, policy, observedAtMs }));
  });
}

describe("TS runner examples under the Go agent (conformance/agent-host)", () => {
  it("runner-v1: Configure, Init answers UNIMPLEMENTED, Eval sends one evidence per policy", async (t) => {
    if (skipReason) t.skip(skipReason);
    const config = { hostname: "web-1", environment: "prod" };
    const policies = ["policies/a", "policies/b"];
    const result = await agent("runner-v1", 1, config, policies);
    expect(result.initUnimplemented).toBe(true);
    expect(result.status).toBe("SUCCESS");
    expect(result.forcedKill).toBe(false);
    expect(result.evidence).toEqual(expected(v1.buildEvidence, config, policies, result.evidence));
  });

  it("runner-v1 with no policies sends one evidence for the default policy", async (t) => {
    if (skipReason) t.skip(skipReason);
    const result = await agent("runner-v1", 1, { hostname: "h" }, []);
    expect(result.evidence).toEqual(
      expected(v1.buildEvidence, { hostname: "h" }, ["default"], result.evidence),
    );
  });

  it("runner-v2: Configure, Init upserts templates, Eval sends every field intact", async (t) => {
    if (skipReason) t.skip(skipReason);
    const config = { service: "billing", url: "https://billing.example.com" };
    const policies = ["policies/tls", "policies/other"];
    const result = await agent("runner-v2", 2, config, policies);
    expect(result).toMatchObject({
      initUnimplemented: false,
      status: "SUCCESS",
      subjectTemplates: 1,
      riskTemplates: 2,
      riskPackage: "runner-v2",
      forcedKill: false,
    });
    expect(result.evidence).toEqual(expected(v2.buildEvidence, config, policies, result.evidence));
  });
});
