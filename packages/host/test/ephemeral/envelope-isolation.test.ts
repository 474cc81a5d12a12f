// Envelope plugins get the same isolation as gRPC launches (issue 11), through the one isolation
// layer: the env allowlist, prlimit limits with the breach in the run record, forbidden paths
// reverted (policy_violation with the paths) or unwritable under bwrap.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import { type EnvelopeRunOptions, type IsolationOptions, runEnvelopePlugin } from "../../src/index.js";
import { bwrapUnavailable } from "../../src/isolation/sandbox/bwrap.js";
import { captureLogger } from "../support/capture-logger.js";
import { tempRoot } from "../support/go-fixtures.js";
import { descendants, waitUntil } from "../support/leaks.js";

const probe = fileURLToPath(new URL("../fixtures/isolation/envelope-probe.mjs", import.meta.url));
const noBwrap = await bwrapUnavailable(true);
if (noBwrap && process.env.CI === "true") throw new Error(`bwrap must work in CI: ${noBwrap}`);
const roots: ReturnType<typeof tempRoot>[] = [];

afterEach(async () => {
  expect(await waitUntil(() => descendants().length === 0, 5000), "processes left behind").toBe(true);
  for (const r of roots.splice(0)) r.remove();
});

function workDir() {
  const root = tempRoot();
  roots.push(root);
  const cwd = join(root.path, "work");
  mkdirSync(cwd);
  writeFileSync(join(cwd, "id.pem"), "original key\n");
  return cwd;
}

const run = (request: unknown, isolation: IsolationOptions, extra: Partial<EnvelopeRunOptions> = {}) =>
  runEnvelopePlugin({
    plugin: "probe",
    command: process.execPath,
    args: [probe],
    request,
    isolation,
    logger: captureLogger(),
    ...extra,
  });

describe("envelope plugins under the isolation layer", () => {
  test("a secret in the host env never reaches the plugin; a pass-through name does", async () => {
    process.env.PLUGWIRE_TEST_SECRET = "hunter2";
    process.env.PLUGWIRE_TEST_PASS = "visible";
    try {
      const secret = await run({ mode: "env", name: "PLUGWIRE_TEST_SECRET" }, {});
      expect(secret).toMatchObject({ status: "success", output: { value: null } });
      const passed = await run(
        { mode: "env", name: "PLUGWIRE_TEST_PASS" },
        { passEnv: ["PLUGWIRE_TEST_PASS"] },
      );
      expect(passed).toMatchObject({ status: "success", output: { value: "visible" } });
    } finally {
      delete process.env.PLUGWIRE_TEST_SECRET;
      delete process.env.PLUGWIRE_TEST_PASS;
    }
  });

  test("a forbidden write without a sandbox is reverted: policy_violation listing the path", async () => {
    const cwd = workDir();
    const res = await run({ mode: "write" }, { forbidden: ["*.pem"] }, { cwd });
    expect(res.status).toBe("policy_violation");
    expect(res.records[0]).toMatchObject({ status: "policy_violation", violations: ["id.pem"] });
    expect(res.records[0]?.cause).toContain("id.pem");
    expect(readFileSync(join(cwd, "id.pem"), "utf8")).toBe("original key\n");
  });

  test.skipIf(noBwrap !== undefined)(
    `a forbidden write under bwrap is blocked ${noBwrap ?? ""}`,
    async () => {
      const cwd = workDir();
      const res = await run(
        { mode: "write" },
        { sandbox: "bwrap", writable: [cwd], forbidden: ["*.pem"] },
        { cwd },
      );
      // The write fails inside the sandbox (read-only bind): the plugin crashes, nothing changed.
      expect(res.status).toBe("failed");
      expect(res.records[0]?.stderr).toMatch(/EROFS|read-only/i);
      expect(readFileSync(join(cwd, "id.pem"), "utf8")).toBe("original key\n");
    },
  );

  test.skipIf(process.platform !== "linux")(
    "a plugin past its memory limit is a policy_violation with the cause",
    async () => {
      const res = await run({ mode: "heap" }, { limits: { memoryBytes: 256 * 1024 * 1024 } });
      expect(res.status).toBe("policy_violation");
      expect(res.records[0]?.cause).toMatch(/^hit its memory limit \(268435456\): .*heap/i);
    },
  );
});
