// Acceptance 1: every template, scaffolded into a temp dir by the real bin, installed against the
// local workspace packages (packed into tarballs, as they would be published), built, tested with
// its own tests, and run under the host: runner templates through `plugwire run`, the service
// template through PluginHost, the in-process template through the host's loader.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  registryAvailable,
  startRegistry,
  type TestRegistry,
} from "../../host/test/artifacts/support/registry.js";
import { descendants } from "../../host/test/support/leaks.js";
import { TEMPLATE_NAMES, type TemplateName } from "../src/index.js";
import { run, userAgentEnv } from "./support/commands.js";
import { BIN, packWorkspacePackages } from "./support/workspace.js";

const PNPM_VERSION = "10.34.9";

/** What `start` must print for each template: proof that the host really ran the plugin. */
const EXPECT_START: Record<TemplateName, (out: { stdout: string; stderr: string }) => void> = {
  "runner-v2": ({ stdout, stderr }) => {
    const evidence = JSON.parse(stdout.trim().split("\n").at(-1) ?? "");
    expect(evidence).toMatchObject({ Title: "TLS check for billing", Labels: { _policy: "policies/tls" } });
    expect(stderr).toMatch(/^t-runner-v2\s+SUCCESS\s+v2\s+1\s/m);
  },
  "runner-v1": ({ stdout, stderr }) => {
    const evidence = JSON.parse(stdout.trim().split("\n").at(-1) ?? "");
    expect(evidence).toMatchObject({
      Title: "Required files are present",
      Status: { Reason: "all present" },
    });
    expect(stderr).toMatch(/^t-runner-v1\s+SUCCESS\s+v1\s+1\s/m);
  },
  service: ({ stdout }) => {
    expect(stdout).toContain("greet(world) → Hello, world! (from t-service over go-plugin)");
  },
  "in-process": ({ stdout }) => {
    expect(stdout).toMatch(/^in-process: ping → pong #1$/m);
    expect(stdout).toMatch(/^process: ping → pong #1$/m);
  },
};

let root: string;
let tarballs: string;
/** A real OCI registry (CNCF distribution) on loopback for `npm run push`; CI always has one. */
let registry: TestRegistry | undefined;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "create-plugin-"));
  tarballs = await packWorkspacePackages(join(root, "tarballs"));
  if (registryAvailable.ok) registry = await startRegistry("none");
  else console.warn(`[create-plugin] ${registryAvailable.reason}: npm run push is not exercised`);
});

afterAll(async () => {
  await registry?.stop();
  rmSync(root, { recursive: true, force: true });
  expect(existsSync(root)).toBe(false);
});

describe("create-plugin templates", () => {
  for (const template of TEMPLATE_NAMES) {
    it(`${template}: scaffold → install → build → test → run under the host`, {
      timeout: 150_000,
    }, async () => {
      // Plugins' V8 code caches (@plugwire/plugin-sdk/build) go under the test's root, not ~/.cache.
      const env = {
        ...userAgentEnv("pnpm", PNPM_VERSION),
        PLUGWIRE_CODE_CACHE_DIR: join(root, "code-cache"),
      };
      const name = `t-${template}`;
      const made = await run(
        process.execPath,
        [BIN, name, "--template", template, "--no-interactive", "--local", tarballs],
        { cwd: root, env },
      );
      expect(made.stdout).toContain(`Created ${name} (template ${template})`);
      const dir = join(root, name);
      expect(existsSync(join(dir, ".gitignore"))).toBe(true);
      expect(existsSync(join(dir, "_gitignore"))).toBe(false);

      // The store is shared across templates and runs: only the first ever install downloads.
      await run("pnpm", ["install", "--prefer-offline", "--reporter=append-only"], { cwd: dir, env });
      if (template === "service") {
        // Codegen is wired: regenerating from the proto reproduces the shipped code byte for byte.
        const before = readFileSync(join(dir, "src/gen/greeter/v1/greeter_pb.ts"), "utf8");
        await run("pnpm", ["run", "generate"], { cwd: dir, env });
        expect(readFileSync(join(dir, "src/gen/greeter/v1/greeter_pb.ts"), "utf8")).toBe(before);
      }
      await run("pnpm", ["run", "build"], { cwd: dir, env });
      // One self-contained executable file: no node_modules needed next to it.
      // Executables are CommonJS (Node starts them sooner); the in-process module is imported.
      const bundle = readFileSync(
        join(dir, template === "in-process" ? "dist/plugin.mjs" : "dist/plugin.cjs"),
        "utf8",
      );
      expect(bundle.startsWith("#!/usr/bin/env node\n")).toBe(true);
      expect(bundle).not.toMatch(/from\s*"@plugwire\//);
      // Executables run their code with a V8 code cache; the in-process template's module is imported.
      expect(bundle.includes("Built by @plugwire/plugin-sdk/build")).toBe(template !== "in-process");

      const tested = await run("pnpm", ["run", "test"], { cwd: dir, env });
      expect(tested.stdout).toMatch(/Tests\s+.*\d+ passed/);

      const started = await run("pnpm", ["run", "start"], { cwd: dir, env, timeoutMs: 60_000 });
      EXPECT_START[template](started);
      // The publishing scripts, up to the registry: key pair, OCI layout, signature.
      for (const script of ["keygen", "package", "sign"])
        await run("pnpm", ["run", script], { cwd: dir, env });
      expect(existsSync(join(dir, "plugwire-signing.key"))).toBe(true);
      expect(
        JSON.parse(readFileSync(join(dir, "artifact/index.json"), "utf8")).manifests.length,
      ).toBeGreaterThan(0);
      if (registry && template.startsWith("runner-")) {
        // Publish with the project's own script, then run the same config from the registry: the
        // source overridden through the environment, the signature required and checked.
        const ref = `${registry.host}/${name}:0.1.0`;
        await run("pnpm", ["run", "push"], { cwd: dir, env: { ...env, PLUGWIRE_REGISTRY: registry.host } });
        const sourceVar = `PLUGWIRE_PLUGINS__${name.toUpperCase().replaceAll("-", "_")}__SOURCE`;
        const fromRegistry = await run(
          "pnpm",
          [
            "exec",
            "plugwire",
            "run",
            "plugwire.yaml",
            "--staging-root",
            join(dir, "staging"),
            "--key",
            "plugwire-signing.pub",
            "--require-signature",
          ],
          { cwd: dir, env: { ...env, [sourceVar]: ref } },
        );
        EXPECT_START[template](fromRegistry);
        expect(existsSync(join(dir, "staging"))).toBe(true);
      }
      // Nothing left running but the test's own registry.
      expect(descendants().filter((pid) => pid !== registry?.pid)).toEqual([]);
    });
  }
});
