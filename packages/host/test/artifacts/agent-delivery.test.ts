// `plugwire run`'s agent on OCI sources against a real registry and the real Go runner plugin:
// a failed delivery runs the last-known-good binary WITH its own stored config (never an old binary
// with new config), and a slow artifact download is bounded by the delivery's own timeout, not by
// the runner's protocol-annotation lookup timeout (which used to turn it into protocol 1).
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toJsonString } from "@bufbuild/protobuf";
import { types } from "@plugwire/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgentSources } from "../../src/artifacts/source/agent-sources.js";
import {
  type AgentConfig,
  createAgent,
  createMemorySink,
  createRegistryClient,
  generateSigningKey,
  hostPlatform,
  type MemorySink,
  type PluginConfig,
  packageArtifact,
  parseReference,
  pushLayout,
  signLayout,
} from "../../src/index.js";
import { captureLogger } from "../support/capture-logger.js";
import { goBin, goFixtures } from "../support/go-fixtures.js";
import { descendants, waitUntil } from "../support/leaks.js";
import { registryAvailable, startRegistry, type TestRegistry } from "./support/registry.js";

/** An HTTP proxy to the registry that holds every blob GET for `delayMs` (a slow link). */
async function slowBlobProxy(target: string, delayMs: number): Promise<{ host: string; server: Server }> {
  const server = createServer((req, res) => {
    const forward = () => {
      const upstream = request(
        `http://${target}${req.url}`,
        { method: req.method, headers: { ...req.headers, host: target } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    };
    if (req.method === "GET" && /\/blobs\/sha256:/.test(req.url ?? "")) {
      const timer = setTimeout(forward, delayMs);
      res.on("close", () => clearTimeout(timer));
    } else forward();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { host: `127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

const sent = (sink: MemorySink) =>
  sink
    .evidence()
    .map((e) => toJsonString(types.EvidenceSchema, e))
    .join("\n");

describe.skipIf(!registryAvailable.ok || !goFixtures.ok)(
  `agent delivery ${registryAvailable.reason} ${goFixtures.reason}`,
  () => {
    let registry: TestRegistry;
    let work: string;
    const signer = generateSigningKey();
    const stranger = generateSigningKey();
    const client = createRegistryClient({ timeoutMs: 5000 });

    /** Packages the Go runner plugin (annotation protocol 2), signs it with `key`, pushes `repo:tag`. */
    async function publish(repo: string, tag: string, key: string) {
      const { os, architecture } = hostPlatform();
      const layout = join(mkdtempSync(join(work, "pub-")), "layout");
      await packageArtifact(layout, {
        name: repo,
        version: tag,
        protocolVersion: 2,
        platforms: [{ platform: `${os}/${architecture}`, entry: goBin("runner-plugin") }],
      });
      await signLayout(layout, key);
      await pushLayout(client, layout, parseReference(`${registry.host}/${repo}:${tag}`));
    }

    const pluginConfig = (source: string, hostname: string): PluginConfig => ({
      name: "go-runner",
      source,
      protocolVersion: undefined,
      args: [],
      env: {},
      config: { hostname },
      policies: ["policies/a"],
      schedule: undefined,
      labels: {},
    });
    const agentConfig = (plugin: PluginConfig): AgentConfig => ({
      file: join(work, "agent.yaml"),
      plugins: [plugin],
      evidence: undefined,
      logging: { level: undefined },
    });

    beforeAll(async () => {
      registry = await startRegistry("none");
      work = mkdtempSync(join(tmpdir(), "pwt-agent-"));
    });
    afterAll(async () => {
      await registry?.stop();
      rmSync(work, { recursive: true, force: true });
    });

    it("a failed delivery runs the last-known-good binary with its stored config, not the new one", async () => {
      await publish("lkg-runner", "1", signer.privateKeyPem);
      await publish("lkg-runner", "2", stranger.privateKeyPem); // fails verification
      const logger = captureLogger();
      const sources = createAgentSources({
        stagingRoot: join(work, "staging-lkg"),
        keys: [signer.publicKeyPem],
        logger,
      });
      const good = pluginConfig(`${registry.host}/lkg-runner:1`, "old-host");
      const sink1 = createMemorySink();
      {
        await using agent = createAgent({ config: agentConfig(good), sink: sink1, logger, ...sources });
        const [first] = await agent.runOnce();
        expect(first, first?.error?.message).toMatchObject({ status: "SUCCESS", protocol: 2 });
        expect(first?.fallback).toBeUndefined();
      }
      expect(sent(sink1)).toContain("old-host");

      const bad = pluginConfig(`${registry.host}/lkg-runner:2`, "new-host");
      const sink2 = createMemorySink();
      {
        await using agent = createAgent({ config: agentConfig(bad), sink: sink2, logger, ...sources });
        const [second] = await agent.runOnce();
        expect(second, second?.error?.message).toMatchObject({ status: "SUCCESS", protocol: 2 });
        expect(second?.fallback).toContain(stranger.keyId);
      }
      expect(sent(sink2)).toContain("old-host");
      expect(sent(sink2)).not.toContain("new-host");
      expect(await waitUntil(() => descendants().filter((p) => p !== registry.pid).length === 0, 5000)).toBe(
        true,
      );
    });

    it("a slow download is bounded by the delivery timeout, not the annotation-lookup timeout", async () => {
      await publish("slow-runner", "1", signer.privateKeyPem);
      // Blobs take 1.5 s; the runner's lookup timeout is 100 ms. The protocol still comes from the
      // annotation (2), because the delivery is no longer run inside that lookup.
      const proxy = await slowBlobProxy(registry.host, 1500);
      try {
        const logger = captureLogger();
        const plugin = pluginConfig(`${proxy.host}/slow-runner:1`, "slow-host");
        const run = async (deliveryTimeoutMs: number, stagingRoot: string) => {
          const sources = createAgentSources({
            stagingRoot: join(work, stagingRoot),
            keys: [signer.publicKeyPem],
            deliveryTimeoutMs,
            logger,
          });
          const sink = createMemorySink();
          await using agent = createAgent({
            config: agentConfig(plugin),
            sink,
            logger,
            protocolLookupTimeoutMs: 100,
            ...sources,
          });
          return { outcome: (await agent.runOnce())[0], sink };
        };
        const slow = await run(60_000, "staging-slow");
        expect(slow.outcome, slow.outcome?.error?.message).toMatchObject({ status: "SUCCESS", protocol: 2 });
        expect(sent(slow.sink)).toContain("slow-host");
        expect(logger.entries.filter((e) => e.level === "warn").map((e) => e.message)).toEqual([]);

        // Its own bound still holds: past it, a typed transient TIMEOUT (no last-known-good here).
        const late = await run(300, "staging-late");
        expect(late.outcome?.status).toBe("ERROR");
        expect(late.outcome?.error).toMatchObject({
          code: "TIMEOUT",
          plugin: "go-runner",
          details: { failure: "transient", timeoutMs: 300 },
        });
      } finally {
        proxy.server.closeAllConnections();
        await new Promise<void>((r) => proxy.server.close(() => r()));
      }
    });
  },
);
