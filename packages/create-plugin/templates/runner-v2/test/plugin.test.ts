// The plugin under the SDK test kit: a real gRPC server and broker in this process, no subprocess.
import { runner } from "@plugwire/plugin-sdk/runner";
import { createTestHost } from "@plugwire/plugin-sdk/testing";
import { describe, expect, it } from "vitest";
import { buildEvidence, createPlugin } from "../src/plugin.js";
import { serveApiHelper } from "./support/api-helper.js";

describe("{{pluginId}}", () => {
  const NOW = Date.UTC(2025, 0, 1);

  it("Init registers the subject template; Eval sends one evidence per policy", async () => {
    await using host = await createTestHost(createPlugin(() => NOW));
    await host.clients.runner.configure({ config: { service: "web", url: "http://web.example.com" } });

    await using init = await serveApiHelper(host);
    await host.clients.runner.init({ apiServer: init.id });
    expect(init.got.subjectTemplates.map((t) => t.Name)).toEqual(["{{pluginId}}-service"]);

    await using api = await serveApiHelper(host);
    const res = await host.clients.runner.eval({
      policyPaths: ["policies/tls", "policies/other"],
      apiServer: api.id,
    });
    expect(res.status).toBe(runner.ExecutionStatus.SUCCESS);
    expect(api.got.evidence.map((e) => [e.Title, e.Labels._policy, e.Status?.Reason])).toEqual([
      ["TLS check for web", "policies/tls", "http://web.example.com is not served over HTTPS"],
      ["TLS check for web", "policies/other", "http://web.example.com is not served over HTTPS"],
    ]);
  });

  it("evidence is stable: the same inputs give the same UUID run after run", () => {
    const config = { service: "billing", url: "https://billing.example.com" };
    const a = buildEvidence(config, "p", NOW);
    const b = buildEvidence(config, "p", NOW + 60_000);
    expect(a.UUID).toBe(b.UUID);
    expect(a.Status.Reason).toBe("served over HTTPS");
  });
});
