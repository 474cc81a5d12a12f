// Acceptance 2, tried as a new user would: literally `npm create plugin my-plugin`, which npm turns
// into `npm exec create-plugin`. The package comes from this package packed into a tarball and
// installed where the user runs the command (npm then uses it instead of fetching it), and --local
// points the project at the packed @plugwire packages (not on a registry yet). Then the printed next
// steps are run exactly as printed, as one shell script, in order: cd, install, build, test, start.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { descendants } from "../../host/test/support/leaks.js";
import { cleanEnv, parseNextSteps, run } from "./support/commands.js";
import { packWorkspacePackages, REPO } from "./support/workspace.js";

let root: string;
let tarballs: string;
let createPluginTarball: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "npm-create-plugin-"));
  tarballs = await packWorkspacePackages(join(root, "tarballs"));
  const own = join(root, "create-plugin");
  mkdirSync(own);
  await run("pnpm", ["pack", "--pack-destination", own], { cwd: join(REPO, "packages/create-plugin") });
  createPluginTarball = join(own, readdirSync(own)[0] as string);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  expect(existsSync(root)).toBe(false);
});

describe("npm create plugin → cd → the printed next commands", () => {
  it("work as printed (npm, default template)", { timeout: 170_000 }, async () => {
    const home = join(root, "user");
    mkdirSync(home);
    // The npm cache is reused between runs (prefer-offline): only a first-ever run downloads.
    const env = {
      ...cleanEnv(),
      npm_config_prefer_offline: "true",
      npm_config_fund: "false",
      npm_config_audit: "false",
    };
    // Where the user stands: npm finds create-plugin installed here instead of on the registry.
    writeFileSync(join(home, "package.json"), '{ "private": true }\n');
    await run("npm", ["install", createPluginTarball], { cwd: home, env });
    const made = await run("npm", ["create", "plugin", "my-plugin", "--", "--local", tarballs], {
      cwd: home,
      env,
    });
    expect(made.stdout).toContain("Created my-plugin (template runner-v2)");
    const steps = parseNextSteps(made.stdout);
    expect(steps).toEqual(["cd my-plugin", "npm install", "npm run build", "npm run test", "npm run start"]);
    // Exactly the printed lines, as one POSIX shell script that stops at the first failure.
    const done = await run("sh", ["-e", "-c", steps.join("\n")], { cwd: home, env, timeoutMs: 150_000 });
    expect(done.stdout).toMatch(/Tests\s+.*2 passed/);
    expect(done.stdout).toContain('"Title":"TLS check for billing"');
    expect(done.stderr).toMatch(/^my-plugin\s+SUCCESS\s+v2\s+1\s/m);
    expect(descendants()).toEqual([]);
  });
});
