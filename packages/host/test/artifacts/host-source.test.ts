// PluginHost.launch({ source }) against a real registry (issue 6: anywhere a plugin command is
// accepted, a source may be given): the go-plugin KV plugin is pushed signed, launched by its OCI
// reference through the host's delivery options, and answers; bad combinations are typed errors.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KV } from "../../../../examples/go-plugin-kv/src/gen/kv/kv_pb.js";
import {
  createRegistryClient,
  generateSigningKey,
  hostPlatform,
  PluginHost,
  PlugwireError,
  packageArtifact,
  parseReference,
  pushLayout,
  signLayout,
} from "../../src/index.js";
import { captureLogger } from "../support/capture-logger.js";
import { goBin, goFixtures } from "../support/go-fixtures.js";
import { BASIC } from "../support/harness.js";
import { descendants, waitUntil } from "../support/leaks.js";
import { registryAvailable, startRegistry, type TestRegistry } from "./support/registry.js";

describe.skipIf(!registryAvailable.ok || !goFixtures.ok)(
  `PluginHost launch from a source ${registryAvailable.reason} ${goFixtures.reason}`,
  () => {
    let registry: TestRegistry;
    let work: string;
    const signer = generateSigningKey();

    beforeAll(async () => {
      registry = await startRegistry("none");
      work = mkdtempSync(join(tmpdir(), "pwt-hostsrc-"));
      const { os, architecture } = hostPlatform();
      const layout = join(work, "layout");
      await packageArtifact(layout, {
        name: "kv",
        version: "1.0.0",
        platforms: [{ platform: `${os}/${architecture}`, entry: goBin("kv-plugin") }],
      });
      await signLayout(layout, signer.privateKeyPem);
      await pushLayout(createRegistryClient(), layout, parseReference(`${registry.host}/plugins/kv:1.0.0`));
    });
    afterAll(async () => {
      await registry?.stop();
      rmSync(work, { recursive: true, force: true });
    });

    it("launches an OCI reference: delivered, verified, staged, then the go-plugin handshake", async () => {
      const stagingRoot = join(work, "staging");
      const sockets = mkdtempSync(join(work, "sockets-"));
      await using host = new PluginHost({
        handshake: BASIC,
        versions: { 1: { kv: KV } },
        logger: captureLogger(),
        socketRoot: sockets,
        delivery: { stagingRoot, keys: [signer.publicKeyPem], policy: { requireSignature: true } },
      });
      const plugin = await host.launch({ name: "kv", source: `${registry.host}/plugins/kv:1.0.0` });
      await plugin.clients.kv.put({ key: "k", value: new TextEncoder().encode("from-oci") });
      expect(new TextDecoder().decode((await plugin.clients.kv.get({ key: "k" })).value)).toBe("from-oci");
      expect(readdirSync(join(stagingRoot, "kv", "versions"))).toEqual(["1.0.0"]);
      expect(await plugin.close()).toMatchObject({ code: 0, forced: false });
      expect(readdirSync(sockets)).toEqual([]);
      await host.close(); // and its idle zygote
      expect(await waitUntil(() => descendants().filter((p) => p !== registry.pid).length === 0, 5000)).toBe(
        true,
      );
    });

    it("typed errors: source without delivery options, both command and source, a rejected artifact", async () => {
      const logger = captureLogger();
      await using bare = new PluginHost({ handshake: BASIC, versions: { 1: { kv: KV } }, logger });
      const src = `${registry.host}/plugins/kv:1.0.0`;
      const noDelivery = await bare.launch({ name: "kv", source: src }).catch((e: unknown) => e);
      expect(noDelivery).toBeInstanceOf(PlugwireError);
      expect(noDelivery).toMatchObject({ code: "CONFIG_INVALID", plugin: "kv" });
      const both = await bare
        .launch({ name: "kv", source: src, command: goBin("kv-plugin") })
        .catch((e: unknown) => e);
      expect(both).toMatchObject({ code: "CONFIG_INVALID", plugin: "kv" });

      const stagingRoot = join(work, "staging-nokey");
      await using host = new PluginHost({
        handshake: BASIC,
        versions: { 1: { kv: KV } },
        logger,
        delivery: { stagingRoot, keys: [] }, // signed artifact, no key: fail closed
      });
      const rejected = await host.launch({ name: "kv", source: src }).catch((e: unknown) => e);
      expect(rejected).toMatchObject({ code: "SIGNATURE_INVALID", plugin: "kv" });
      // Verification fails before anything is staged: nothing written for this plugin.
      expect(existsSync(join(stagingRoot, "kv"))).toBe(false);
    });
  },
);
