import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createRegistryClient,
  dockerConfigCredentials,
  ErrorCode,
  PlugwireError,
  packageArtifact,
  parseReference,
  pushLayout,
} from "../../src/index.js";
import { registryAvailable, startRegistry, type TestRegistry } from "./support/registry.js";

const helperDir = fileURLToPath(new URL("../fixtures/credential-helper", import.meta.url));

/** A Docker config dir with `config`, and the env that finds the test helper (docker-credential-pwtest). */
function dockerEnv(work: string, config: object, extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(work, "docker-"));
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  return {
    ...process.env,
    DOCKER_CONFIG: dir,
    PATH: `${helperDir}${delimiter}${process.env.PATH ?? ""}`,
    PWTEST_LOG: join(dir, "asked.log"),
    ...extra,
  };
}

const asked = (env: NodeJS.ProcessEnv) =>
  readFileSync(env.PWTEST_LOG as string, "utf8")
    .trim()
    .split("\n");

describe("Docker credential helpers (credHelpers, credsStore)", () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "pwt-cred-"));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("asks the registry's credHelpers entry first, then credsStore, then falls back to auths", async () => {
    const env = dockerEnv(
      work,
      {
        credHelpers: { "helped.example:5000": "pwtest" },
        credsStore: "pwtest",
        auths: { "plain.example": { auth: Buffer.from("file-user:file-pass").toString("base64") } },
      },
      { PWTEST_SERVER: "helped.example:5000", PWTEST_USER: "u", PWTEST_SECRET: "p:with:colons" },
    );
    const store = dockerConfigCredentials(env);
    expect(await store("helped.example:5000")).toEqual({ username: "u", password: "p:with:colons" });
    // credsStore does not know it: the auths entry answers.
    expect(await store("plain.example")).toEqual({ username: "file-user", password: "file-pass" });
    expect(await store("unknown.example")).toBeUndefined();
    // Docker Hub is asked for under Docker's own server URL.
    expect(await store("docker.io")).toBeUndefined();
    expect(asked(env)).toEqual([
      "helped.example:5000",
      "plain.example",
      "unknown.example",
      "https://index.docker.io/v1/",
    ]);
  });

  it("a missing, failing or garbled helper is a typed error naming the helper and the config", async () => {
    const env = dockerEnv(work, {
      credHelpers: { "missing.example": "not-installed" },
      credsStore: "pwtest",
    });
    const store = dockerConfigCredentials(env);
    const failure = (registry: string) =>
      store(registry).then(
        () => undefined,
        (e: unknown) => e,
      );

    const missing = await failure("missing.example");
    expect(PlugwireError.is(missing, ErrorCode.FetchFailed)).toBe(true);
    expect((missing as Error).message).toMatch(
      /docker-credential-not-installed \(named by credHelpers in .*config\.json\) is not installed/,
    );
    const broken = (await failure("broken.example")) as PlugwireError;
    expect(broken.message).toMatch(
      /docker-credential-pwtest \(named by credsStore .*\) failed for broken\.example \(exit 4: the keychain is locked\)/,
    );
    expect(broken.details.failure).toBe("transient");
    expect(((await failure("garbage.example")) as Error).message).toMatch(/not JSON/);
    expect(((await failure("token.example")) as Error).message).toMatch(/identity token/);
  });

  it("an aborted lookup is ABORTED", async () => {
    const env = dockerEnv(work, { credsStore: "pwtest" });
    const err = await dockerConfigCredentials(env)("any.example", { signal: AbortSignal.abort() }).catch(
      (e: unknown) => e,
    );
    expect(PlugwireError.is(err, ErrorCode.Aborted)).toBe(true);
  });

  describe.skipIf(!registryAvailable.ok)(
    `against a real docker-registry with basic auth ${registryAvailable.reason}`,
    () => {
      let registry: TestRegistry;
      beforeAll(async () => {
        registry = await startRegistry("basic");
      });
      afterAll(async () => {
        await registry?.stop();
      });

      it("pushes with the credential the helper hands out; without it the registry refuses", async () => {
        const bin = join(work, "helped-plugin");
        writeFileSync(bin, "#!/bin/sh\necho hi\n");
        const layout = join(work, "layout");
        await packageArtifact(layout, {
          name: "helped-plugin",
          version: "1.0.0",
          protocolVersion: 2,
          platforms: [{ platform: "linux/amd64", entry: bin }],
        });
        const ref = parseReference(`${registry.host}/plugins/helped-plugin:1.0.0`);
        const creds = registry.credentials as { username: string; password: string };
        const env = dockerEnv(
          work,
          { credHelpers: { [registry.host]: "pwtest" } },
          { PWTEST_SERVER: registry.host, PWTEST_USER: creds.username, PWTEST_SECRET: creds.password },
        );
        const pushed = await pushLayout(
          createRegistryClient({ credentials: dockerConfigCredentials(env) }),
          layout,
          ref,
        );
        expect(pushed.digest).toMatch(/^sha256:/);

        const anonymous = dockerEnv(work, { credHelpers: { [registry.host]: "pwtest" } });
        const refused = await pushLayout(
          createRegistryClient({ credentials: dockerConfigCredentials(anonymous) }),
          layout,
          ref,
        ).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(PlugwireError);
      });
    },
  );
});
