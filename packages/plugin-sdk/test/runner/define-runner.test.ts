// defineRunner in-process (real gRPC server and broker, no subprocess): the runner preset, Init
// UNIMPLEMENTED for protocol 1, ApiHelper dialed through the broker and closed after each call.
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { PlugwireError } from "@plugwire/plugin-sdk";
import { defineRunner, RUNNER_PRESET, results, runner, type types } from "@plugwire/plugin-sdk/runner";
import { createTestHost, type TestHost } from "@plugwire/plugin-sdk/testing";
import { describe, expect, it } from "vitest";

type RunnerHost = TestHost<{ runner: typeof runner.Runner }>;

/** Serves a recording ApiHelper on a new host broker id for one call; returns the id and the record. */
async function apiHelper(host: RunnerHost) {
  const got = { evidence: [] as types.Evidence[], subjects: 0, risks: 0, connections: 0 };
  const id = host.broker.nextId();
  const server = await host.broker.accept(id, (router: ConnectRouter) =>
    router.service(results.ApiHelper, {
      createEvidence(req) {
        got.evidence.push(...req.Evidence);
        return {};
      },
      upsertRiskTemplates(req) {
        got.risks += req.RiskTemplates.length;
        return {};
      },
      upsertSubjectTemplates(req) {
        got.subjects += req.SubjectTemplates.length;
        return {};
      },
    }),
  );
  return { id, got, server };
}

describe("defineRunner", () => {
  it("uses the Compliance Framework agent's handshake: RUNNER_PLUGIN cookie, version 1, set runner", () => {
    expect(RUNNER_PRESET).toEqual({
      handshake: {
        magicCookieKey: "RUNNER_PLUGIN",
        magicCookieValue: "AC755DCE-C118-481A-8EFA-18D8675D8122",
      },
      appVersion: 1,
      pluginSetName: "runner",
    });
    const def = defineRunner({ configure: () => undefined, eval: () => undefined });
    expect(def.handshake).toEqual(RUNNER_PRESET.handshake);
    expect(def.versionNumbers).toEqual([1]);
    expect(Object.keys(def.versions[1])).toEqual(["runner"]);
  });

  it("rejects a definition without an eval handler", () => {
    expect(() => defineRunner({ name: "x", configure: () => undefined } as never)).toThrow(
      new PlugwireError("CONFIG_INVALID", "defineRunner needs a eval handler", { plugin: "x" }),
    );
  });

  it("protocol 1 (no init): Configure, Init → UNIMPLEMENTED, Eval sends evidence through ApiHelper", async () => {
    let config: Record<string, string> = {};
    await using host = await createTestHost(
      defineRunner({
        name: "v1",
        configure(req) {
          config = req.config;
          return new TextEncoder().encode("ok");
        },
        async eval(req, { api }) {
          await api.createEvidence({
            Evidence: req.policyPaths.map((p) => ({ UUID: p, Title: config.title ?? "", Labels: config })),
          });
          return undefined;
        },
      }),
    );
    const configured = await host.clients.runner.configure({ config: { title: "T", a: "1" } });
    expect(new TextDecoder().decode(configured.value)).toBe("ok");
    const err = await host.clients.runner.init({ apiServer: 1 }).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(err?.code).toBe(Code.Unimplemented);
    expect(err?.rawMessage).toBe(
      "method Init not implemented: v1 is a runner protocol 1 plugin (no init handler)",
    );
    const { id, got, server } = await apiHelper(host);
    const res = await host.clients.runner.eval({ policyPaths: ["p1", "p2"], apiServer: id });
    expect(res.status).toBe(runner.ExecutionStatus.SUCCESS);
    expect(got.evidence.map((e) => [e.UUID, e.Title, e.Labels])).toEqual([
      ["p1", "T", { title: "T", a: "1" }],
      ["p2", "T", { title: "T", a: "1" }],
    ]);
    await server.close();
  });

  it("protocol 2: Init gets a dialed ApiHelper; Eval may answer FAILURE; handler errors keep their message", async () => {
    let fail = false;
    await using host = await createTestHost(
      defineRunner({
        configure: () => undefined,
        async init(_req, { api }) {
          await api.upsertSubjectTemplates({ SubjectTemplates: [{ Name: "s" }] });
          await api.upsertRiskTemplates({
            PackageName: "p",
            RiskTemplates: [{ Name: "r1" }, { Name: "r2" }],
          });
        },
        async eval(req) {
          if (req.policyPaths[0] === "boom") throw new Error("policy boom exploded");
          return fail ? runner.ExecutionStatus.FAILURE : undefined;
        },
      }),
    );
    const a = await apiHelper(host);
    await host.clients.runner.init({ apiServer: a.id });
    expect(a.got).toMatchObject({ subjects: 1, risks: 2 });
    fail = true;
    const b = await apiHelper(host);
    expect((await host.clients.runner.eval({ apiServer: b.id })).status).toBe(runner.ExecutionStatus.FAILURE);
    const c = await apiHelper(host);
    const err = await host.clients.runner.eval({ apiServer: c.id, policyPaths: ["boom"] }).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(err?.rawMessage).toBe("policy boom exploded");
    for (const s of [a, b, c]) await s.server.close();
  });

  it("an apiServer id the host never announced fails Eval with the broker timeout, naming the id", async () => {
    await using host = await createTestHost(
      defineRunner({ configure: () => undefined, eval: () => undefined }),
    );
    const err = await host.clients.runner.eval({ apiServer: 4242 }).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(err?.rawMessage).toContain("timeout waiting for broker connection info for id 4242");
  }, 15_000);
});
