// Acceptance 2 of issue 6: keygen/package/sign/push a Go and a TS runner plugin to a real registry,
// then `plugwire run` a config whose sources are those references (one by tag, one by digest) without
// protocol_version: both run as protocol 2 and their evidence arrives.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostPlatform } from "../../src/index.js";
import { goBin, goFixtures } from "../support/go-fixtures.js";
import { descendants, waitUntil } from "../support/leaks.js";
import { bundleRunnerV2 } from "./support/bundle.js";
import { plugwire } from "./support/cli.js";
import { registryAvailable, startRegistry, type TestRegistry } from "./support/registry.js";

describe.skipIf(!registryAvailable.ok || !goFixtures.ok)(
  `plugwire run from OCI sources ${registryAvailable.reason} ${goFixtures.reason}`,
  () => {
    let registry: TestRegistry;
    let work: string;
    beforeAll(async () => {
      registry = await startRegistry("basic");
      work = mkdtempSync(join(tmpdir(), "pwt-e2e-"));
    });
    afterAll(async () => {
      await registry?.stop();
      rmSync(work, { recursive: true, force: true });
    });

    it("publishes both plugins signed and runs them as protocol 2 from their references", async () => {
      const env = { PLUGWIRE_REGISTRY_USERNAME: "plugwire", PLUGWIRE_REGISTRY_PASSWORD: "s3cret-pass" };
      const key = join(work, "signing");
      expect((await plugwire(["keygen", "--out", key])).code).toBe(0);

      // Go runner plugin: the native binary for this host.
      const { os, architecture } = hostPlatform();
      const goLayout = join(work, "go-layout");
      const goPkg = await plugwire([
        "package",
        "--name",
        "go-runner",
        "--version",
        "1.0.0",
        "--protocol",
        "2",
        "--out",
        goLayout,
        `${os}/${architecture}=${goBin("runner-plugin")}`,
      ]);
      expect(goPkg, goPkg.stderr).toMatchObject({ code: 0 });
      expect((await plugwire(["sign", "--key", `${key}.key`, goLayout])).code).toBe(0);
      const goPush = await plugwire(
        ["push", `${registry.host}/plugins/go-runner:1.0.0`, "--layout", goLayout],
        env,
      );
      expect(goPush, goPush.stderr).toMatchObject({ code: 0 });

      // TS runner plugin: examples/runner-v2 bundled into one .mjs, shipped as a tarball run with Node.
      const entry = join(work, "ts-runner.mjs");
      await bundleRunnerV2(entry);
      const tsLayout = join(work, "ts-layout");
      const tsPkg = await plugwire([
        "package",
        "--name",
        "ts-runner",
        "--version",
        "2.0.0",
        "--protocol",
        "2",
        "--runtime",
        "node",
        "--tarball",
        "--out",
        tsLayout,
        `any=${entry}`,
      ]);
      expect(tsPkg, tsPkg.stderr).toMatchObject({ code: 0 });
      expect((await plugwire(["sign", "--key", `${key}.key`, tsLayout])).code).toBe(0);
      const tsPush = await plugwire(
        ["push", `${registry.host}/plugins/ts-runner:2.0.0`, "--layout", tsLayout],
        env,
      );
      expect(tsPush, tsPush.stderr).toMatchObject({ code: 0 });
      const tsDigest = /@(sha256:[a-f0-9]{64})/.exec(tsPush.stdout)?.[1];
      expect(tsDigest).toBeDefined();

      const inspect = await plugwire(
        ["inspect", `${registry.host}/plugins/ts-runner@${tsDigest}`, "--key", `${key}.pub`, "--json"],
        env,
      );
      expect(inspect, inspect.stderr).toMatchObject({ code: 0 });
      const report = JSON.parse(inspect.stdout);
      expect(report.annotations["org.ccf.plugin.protocol.version"]).toBe("2");
      expect(report.signature).toMatch(/^verified/);
      expect(report.platforms.map((p: { platform: string }) => p.platform)).toEqual(["any/any"]);

      const evidence = join(work, "evidence.jsonl");
      const config = join(work, "agent.yaml");
      writeFileSync(
        config,
        [
          "plugins:",
          "  go-runner:",
          `    source: ${registry.host}/plugins/go-runner:1.0.0`,
          "    config: { hostname: web-1 }",
          "    policies: [policies/a]",
          "  ts-runner:",
          `    source: ${registry.host}/plugins/ts-runner@${tsDigest}`,
          "    config: { service: billing, url: https://billing.example.com }",
          "    policies: [policies/tls]",
          "",
        ].join("\n"),
      );
      // Docker-config credentials for the run (the agent reads them like docker does).
      const dockerDir = join(work, "docker");
      mkdirSync(dockerDir);
      writeFileSync(
        join(dockerDir, "config.json"),
        JSON.stringify({
          auths: { [registry.host]: { auth: Buffer.from("plugwire:s3cret-pass").toString("base64") } },
        }),
      );
      const run = await plugwire(
        [
          "run",
          config,
          "--evidence-out",
          evidence,
          "--staging-root",
          join(work, "staging"),
          "--key",
          `${key}.pub`,
          "--require-signature",
        ],
        { DOCKER_CONFIG: dockerDir },
      );
      expect(run, run.stderr).toMatchObject({ code: 0 });
      const rows = run.stderr.split("\n").filter((l) => /^(go|ts)-runner /.test(l));
      expect(rows).toHaveLength(2);
      for (const row of rows) expect(row).toMatch(/^\S+\s+SUCCESS\s+v2\s+[1-9]\d*\s/);
      const lines = readFileSync(evidence, "utf8").trim().split("\n");
      expect(lines.length).toBeGreaterThan(1);
      const plugins = () => descendants().filter((pid) => pid !== registry.pid);
      expect(
        await waitUntil(() => plugins().length === 0, 5000),
        `left behind: ${plugins().join(", ")}`,
      ).toBe(true);
    });
  },
);
