import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { bwrapUnavailable } from "../../src/isolation/sandbox/bwrap.js";
import { goBin, goFixtures, repoRoot } from "../support/go-fixtures.js";
import { testHost } from "../support/harness.js";
import { alive, descendants, waitUntil } from "../support/leaks.js";
import { probePlugin, tsKvPlugin } from "./probe.js";

const noBwrap = await bwrapUnavailable(true);
const hostScript = join(repoRoot, "packages/host/test/fixtures/isolation/host-dies.mjs");

describe.skipIf(!goFixtures.ok || process.platform !== "linux")("isolation: the host is SIGKILLed", () => {
  for (const sandbox of ["none", "bwrap"] as const) {
    test.skipIf(sandbox === "bwrap" && !!noBwrap)(
      `sandbox ${sandbox}: Go and TS plugins and a forked grandchild are gone within 2 s`,
      async () => {
        const { env } = testHost({ versions: { 1: {} } });
        const host = spawn(
          process.execPath,
          [hostScript, goBin("kv-plugin"), tsKvPlugin, probePlugin, sandbox],
          {
            env: { ...process.env, ...env },
            stdio: ["ignore", "pipe", "inherit"],
          },
        );
        const pids = await new Promise<Record<string, number>>((resolve, reject) => {
          host.stdout.once("data", (d: Buffer) => resolve(JSON.parse(d.toString())));
          host.once("exit", (code) => reject(new Error(`host fixture exited early (${code})`)));
        });
        // Everything the host started: plugins, wrappers, watchdogs, bwrap, the grandchild.
        const tree = descendants(host.pid as number);
        for (const name of ["go", "ts", "probe"]) expect(tree).toContain(pids[name]);
        if (sandbox === "none") expect(tree).toContain(pids.grandchild);
        expect(tree.length).toBeGreaterThanOrEqual(4);
        host.kill("SIGKILL");
        const gone = await waitUntil(() => tree.every((pid) => !alive(pid)), 2000);
        expect(gone, `still alive: ${tree.filter(alive).join(", ")}`).toBe(true);
      },
    );
  }
});
