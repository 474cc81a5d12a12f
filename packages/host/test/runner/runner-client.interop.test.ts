// The host's runner client against the Go runner plugin (conformance/bin/runner-plugin, go-plugin v1.8,
// protos generated from our contract): every evidence field intact, protocol detection by the
// plugin's answer, one ApiHelper listener per connection (1,000 Evals grow no fds).
import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { KnownHandshakes, types } from "@plugwire/contract";
import { describe, expect, test } from "vitest";
import {
  createMemorySink,
  createRunnerClient,
  type EvidenceSink,
  PlugwireError,
  RUNNER_VERSIONS,
} from "../../src/index.js";
import { goBin, goFixtures } from "../support/go-fixtures.js";
import { testHost } from "../support/harness.js";
import { openFds } from "../support/leaks.js";
import { goAgent } from "./support.js";

const config = { hostname: "web-1", region: "eu-west-1" };
const policies = ["policies/a", "policies/b", "policies/c"];

/** Launches the Go runner plugin; pass `on` to launch a second one from the same test host. */
const runnerHost = () => testHost({ handshake: KnownHandshakes.runner, versions: RUNNER_VERSIONS });

async function launch(protocol: "1" | "2", on?: ReturnType<typeof runnerHost>) {
  const h = on ?? runnerHost();
  const plugin = await h.host.launch({
    name: `go-v${protocol}`,
    command: goBin("runner-plugin"),
    env: { ...h.env, RUNNER_PROTOCOL: protocol },
  });
  return { plugin, h };
}

describe.skipIf(!goFixtures.ok)("runner client × Go runner plugin", () => {
  for (const protocol of [1, 2] as const) {
    test(`protocol ${protocol}: Configure → ${protocol === 2 ? "Init → " : ""}Eval; evidence equals what the Go agent receives`, async () => {
      const { plugin } = await launch(String(protocol) as "1" | "2");
      const sink = createMemorySink();
      const client = createRunnerClient(plugin, { protocol, sink, labels: { team: "x" } });
      const report = await client.run({ config, policies });
      expect(report).toMatchObject({
        plugin: `go-v${protocol}`,
        protocol,
        status: "SUCCESS",
        evidence: 3,
        subjectTemplates: protocol === 2 ? 1 : 0,
        riskTemplates: protocol === 2 ? 3 : 0,
      });
      expect(sink.batches.map((b) => [b.plugin, b.labels])).toEqual([[`go-v${protocol}`, { team: "x" }]]);
      const reference = await goAgent(goBin("runner-plugin"), protocol, config, policies, {
        RUNNER_PROTOCOL: String(protocol),
      });
      expect(reference.status).toBe("SUCCESS");
      expect(sink.evidence().map((e) => toJson(types.EvidenceSchema, e))).toEqual(reference.evidence);
      // Spot-check that the comparison covers optional fields, nanosecond timestamps and nesting.
      const first = sink.evidence()[0];
      expect(first?.Start?.nanos).toBe(123456789);
      expect(first?.Props[0]?.Remarks).toBe("remarks for policies/a#0");
      expect(first?.Components[0]?.Protocols[0]?.PortRanges).toHaveLength(2);
    });
  }

  test("a plugin configured as 2 whose Init is UNIMPLEMENTED fails with the plugin named", async () => {
    const { plugin } = await launch("1");
    const client = createRunnerClient(plugin, { protocol: 2, sink: createMemorySink() });
    const err = await client.run({ config, policies }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlugwireError);
    expect((err as PlugwireError).message).toBe(
      "plugin go-v1 configured as protocol_version=2 but does not implement Init",
    );
    expect((err as PlugwireError).code).toBe("CONFIG_INVALID");
  });

  test("auto: Init UNIMPLEMENTED means protocol 1; an implemented Init means 2", async () => {
    const v1 = await launch("1");
    const r1 = await createRunnerClient(v1.plugin, { protocol: "auto", sink: createMemorySink() }).run({
      config,
      policies,
    });
    expect([r1.protocol, r1.status, r1.evidence]).toEqual([1, "SUCCESS", 3]);
    // One test host per test: the harness's leftover check covers every process of the test.
    const v2 = await launch("2", v1.h);
    const r2 = await createRunnerClient(v2.plugin, { protocol: "auto", sink: createMemorySink() }).run({
      config,
      policies,
    });
    expect([r2.protocol, r2.riskTemplates]).toEqual([2, 3]);
  });

  test("a failing sink fails the Eval when its evidence is committed, keeping the gRPC code", async () => {
    const { plugin } = await launch("1");
    const sink: EvidenceSink = {
      async write() {
        throw new ConnectError("evidence store is full", Code.ResourceExhausted);
      },
      async close() {},
    };
    const err = await createRunnerClient(plugin, { protocol: 1, sink })
      .run({ config, policies })
      .catch((e: unknown) => e);
    expect(ConnectError.from(err).message).toContain("plugin go-v1: Eval failed:");
    expect(ConnectError.from(err).message).toContain("evidence store is full");
  });

  test("1,000 consecutive Evals on one plugin reuse one ApiHelper listener: no fd growth", async () => {
    const { plugin } = await launch("1");
    let evidence = 0;
    const sink: EvidenceSink = {
      async write(batch) {
        evidence += batch.evidence.length;
      },
      async close() {},
    };
    const client = createRunnerClient(plugin, { protocol: 1, sink });
    await client.configure(config);
    for (let i = 0; i < 50; i++) await client.eval(["p"]); // warm-up: connections settle
    const before = openFds();
    for (let i = 0; i < 1000; i++) await client.eval(["p"]);
    const after = openFds();
    expect(evidence).toBe(1050);
    expect(after - before).toBeLessThanOrEqual(2);
  }, 120_000);
});

describe("ApiHelper server", () => {
  test("a request outside any Init/Eval call answers FAILED_PRECONDITION naming the plugin", async () => {
    const { host, env } = testHost({ handshake: KnownHandshakes.runner, versions: RUNNER_VERSIONS });
    const plugin = await host.launch({
      name: "late-api",
      command: process.execPath,
      args: [new URL("../fixtures/late-api-runner.mjs", import.meta.url).pathname],
      env,
    });
    const sink = createMemorySink();
    const client = createRunnerClient(plugin, { protocol: 1, sink });
    await client.run({ config: {}, policies: [] });
    const res = await plugin.clientsFor(1)?.runner.configure({ config: { late: "1" } });
    expect(new TextDecoder().decode(res?.value)).toBe(
      `${Code.FailedPrecondition}|ApiHelper.CreateEvidence called outside an Init or Eval call of plugin late-api`,
    );
    expect(sink.evidence()).toEqual([]);
  });
});
