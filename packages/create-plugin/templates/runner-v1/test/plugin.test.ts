// The plugin under the SDK test kit: a real gRPC server and broker in this process, no subprocess.
import { runner } from "@plugwire/plugin-sdk/runner";
import { createTestHost } from "@plugwire/plugin-sdk/testing";
import { describe, expect, it } from "vitest";
import { buildEvidence, createPlugin } from "../src/plugin.js";
import { serveApiHelper } from "./support/api-helper.js";

describe("{{pluginId}}", () => {
  const NOW = Date.UTC(2025, 0, 1);

  it("is a protocol 1 plugin: Init answers UNIMPLEMENTED", async () => {
    await using host = await createTestHost(createPlugin(() => NOW));
    // 12 is gRPC's UNIMPLEMENTED.
    await expect(host.clients.runner.init({ apiServer: 0 })).rejects.toMatchObject({ code: 12 });
  });

  it("Eval sends one evidence per policy about the configured paths", async () => {
    await using host = await createTestHost(createPlugin(() => NOW));
    await host.clients.runner.configure({ config: { paths: "package.json, no/such/file" } });
    await using api = await serveApiHelper(host);
    const res = await host.clients.runner.eval({ policyPaths: ["policies/files"], apiServer: api.id });
    expect(res.status).toBe(runner.ExecutionStatus.SUCCESS);
    expect(api.got.evidence.map((e) => [e.Labels._policy, e.Status?.Reason])).toEqual([
      ["policies/files", "missing: no/such/file"],
    ]);
  });

  it("reports satisfied when every path exists, and keeps the UUID stable", () => {
    const config = { paths: "a,b" };
    const a = buildEvidence(config, "p", NOW, () => true);
    expect(a.Status.Reason).toBe("all present");
    expect(buildEvidence(config, "p", NOW + 1, () => true).UUID).toBe(a.UUID);
  });
});
