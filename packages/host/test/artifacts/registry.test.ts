import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createRegistryClient,
  PlugwireError,
  packageArtifact,
  parseReference,
  pushLayout,
  resolvePluginSource,
  staticCredentials,
} from "../../src/index.js";
import { registryAvailable, startRegistry, type TestRegistry } from "./support/registry.js";

const modes = ["none", "basic", "token"] as const;

describe.skipIf(!registryAvailable.ok)(`against a real docker-registry ${registryAvailable.reason}`, () => {
  for (const mode of modes) {
    describe(`auth: ${mode}`, () => {
      let registry: TestRegistry;
      let work: string;
      beforeAll(async () => {
        registry = await startRegistry(mode);
        work = mkdtempSync(join(tmpdir(), "pwt-art-"));
      });
      afterAll(async () => {
        await registry?.stop();
        rmSync(work, { recursive: true, force: true });
      });

      const credentials = () =>
        registry.credentials ? staticCredentials({ [registry.host]: registry.credentials }) : undefined;

      it("pushes a packaged artifact and stages it back byte for byte", async () => {
        const bin = join(work, "my-plugin");
        writeFileSync(bin, "#!/bin/sh\necho hello\n");
        const layout = join(work, "layout");
        const packaged = await packageArtifact(layout, {
          name: "my-plugin",
          version: "1.2.3",
          protocolVersion: 2,
          platforms: [
            { platform: "linux/amd64", entry: bin },
            { platform: "linux/arm64", entry: bin },
          ],
        });
        const client = createRegistryClient({ credentials: credentials() });
        const ref = parseReference(`${registry.host}/plugins/my-plugin:1.2.3`);
        const pushed = await pushLayout(client, layout, ref);
        expect(pushed.digest).toBe(packaged.digest);

        const root = join(work, "staging");
        const resolved = await resolvePluginSource(`${registry.host}/plugins/my-plugin:1.2.3`, {
          id: "my-plugin",
          stagingRoot: root,
          client,
          platform: { os: "linux", architecture: "arm64" },
        });
        expect(resolved.kind).toBe("oci");
        expect(resolved.digest).toBe(packaged.digest);
        expect(resolved.protocolVersionAnnotation).toBe(2);
        expect(resolved.signature).toEqual({ status: "unsigned" });
        expect(resolved.command).toBe(join(root, "my-plugin", "versions", "1.2.3", "my-plugin"));
        expect(readFileSync(resolved.command, "utf8")).toBe("#!/bin/sh\necho hello\n");
        expect(statSync(resolved.command).mode & 0o777).toBe(0o755);
        expect(readlinkSync(join(root, "my-plugin", "current"))).toBe(join("versions", "1.2.3"));
        if (mode === "token") {
          expect(registry.token?.requests.length).toBeGreaterThan(0);
          expect(registry.token?.requests.every((r) => r.granted && r.user === "plugwire")).toBe(true);
        }
      });

      if (mode !== "none")
        it("without credentials fails with a typed, permanent 401", async () => {
          const client = createRegistryClient();
          const err = await client
            .getManifest(parseReference(`${registry.host}/plugins/my-plugin:1.2.3`))
            .catch((e) => e);
          expect(err).toBeInstanceOf(PlugwireError);
          expect(err.code).toBe("FETCH_FAILED");
          expect(err.details).toMatchObject({ failure: "permanent" });
        });
    });
  }
});
