// examples/registry/bin/publish-and-run.mjs, run as a user would: a real docker-registry, real CLI.
import { execFile, execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("../registry/bin/publish-and-run.mjs", import.meta.url));
const registry = (() => {
  try {
    execFileSync("sh", ["-c", "command -v docker-registry"], { stdio: "ignore" });
    return { ok: true, reason: "" };
  } catch {
    if (process.env.CI === "true") throw new Error("docker-registry is required in CI (.ci/run installs it)");
    return { ok: false, reason: "(skipped: docker-registry is not installed)" };
  }
})();

describe.skipIf(!registry.ok)(`examples/registry ${registry.reason}`, () => {
  it("publishes a signed runner plugin and runs it from the registry as protocol 2", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 120_000 });
    expect(stdout).toMatch(
      /pushed 127\.0\.0\.1:\d+\/plugins\/runner-v2:1\.0\.0@sha256:[a-f0-9]{64} \(1 signature\)/,
    );
    expect(stdout).toContain(
      "plugwire run: protocol 2 from the artifact's annotation, signature verified, 2 evidence:",
    );
  });
});
