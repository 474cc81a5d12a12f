import { spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, openSync } from "node:fs";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, test } from "vitest";
import { ErrorCode, PlugwireError } from "../../src/index.js";
import { goFixtures } from "../support/go-fixtures.js";
import { descendants, waitUntil } from "../support/leaks.js";
import { baseline, caseProcesses, checkEvidence, checkResources, checkTypedError } from "./invariants.js";
import { type ChaosCase, createMatrix, fixtureCommand, type Lang, runCell } from "./matrix.js";

// The checker must fail when an invariant breaks — otherwise an all-PASS matrix proves nothing.
const lang: Lang = goFixtures.ok ? "go" : "ts";
let orphanMarker = "";

afterEach(() => {
  // Whatever the broken host left behind is ours to reap (found by its marker, wherever it went).
  for (const pid of orphanMarker ? caseProcesses(orphanMarker) : []) process.kill(pid, "SIGKILL");
});

/**
 * A deliberately broken host: go-plugin's Kill, which SIGKILLs only the plugin pid and skips the
 * group kill. The fixture forks grandchildren deaf to TERM/INT/HUP; they survive, re-parented away.
 */
const brokenHost: ChaosCase = {
  fault: "broken host: no group kill",
  async run(ctx) {
    orphanMarker = ctx.marker;
    const { command, args } = fixtureCommand(ctx.lang);
    const child = spawn(command, args, {
      env: {
        ...process.env,
        ...ctx.env,
        CHAOS_MODE: "fork",
        BASIC_PLUGIN: "hello",
        PLUGIN_PROTOCOL_VERSIONS: "1",
        PLUGIN_UNIX_SOCKET_DIR: ctx.tmp,
      },
      stdio: ["ignore", "pipe", "ignore"],
    });
    const exited = once(child, "exit");
    await once(child.stdout, "data"); // the handshake line
    const pid = child.pid as number;
    if (!(await waitUntil(() => descendants(pid).length >= 3, 5000))) throw new Error("no grandchildren");
    process.kill(pid, "SIGKILL");
    await exited;
    return { outcome: "plugin pid killed, group not" };
  },
};

describe("the chaos invariant checker", () => {
  test("a host that skips the group kill fails the cell: orphans and a stale socket", async () => {
    const cell = await runCell(brokenHost, lang);
    expect(cell.violations).toContainEqual(expect.stringMatching(/^process left behind: \d+ \(sleep 600\)$/));
    expect(cell.violations.filter((v) => v.startsWith("process left behind")).length).toBeGreaterThanOrEqual(
      2,
    );
    if (lang === "go") {
      // go-plugin removes its socket only on a clean exit; the killed plugin leaves it in TMPDIR's place.
      expect(cell.violations).toContainEqual(expect.stringMatching(/^left in .*: plugin\d+$/));
    }
    const matrix = createMatrix();
    matrix.record(cell);
    expect(matrix.render()).toMatch(/\| broken host: no group kill \| .*FAIL \(\d+\)/);
    // The orphans really are out there, outside our process tree: the marker scan found them.
    expect(caseProcesses(orphanMarker).filter((p) => !descendants().includes(p)).length).toBeGreaterThan(0);
  });

  test("errors: untyped, unnamed, or naming another plugin are violations", () => {
    expect(checkTypedError(new Error("boom"), "p")).toMatch(/^untyped error/);
    expect(checkTypedError(new ConnectError("gone", Code.Unavailable), "p")).toMatch(/does not name/);
    expect(checkTypedError(new ConnectError("plugin p: gone", Code.Unavailable), "p")).toBeUndefined();
    const other = new PlugwireError(ErrorCode.PluginExited, "x", { plugin: "q" });
    expect(checkTypedError(other, "p")).toMatch(/names q, not p/);
    const mine = new PlugwireError(ErrorCode.PluginExited, "x", { plugin: "p" });
    expect(checkTypedError(mine, "p")).toBeUndefined();
  });

  test("resources: leaked fds are a violation until they are closed", async () => {
    const base = baseline();
    const fds = Array.from({ length: 12 }, () => openSync("/dev/null", "r"));
    expect(await checkResources(base, { fdSlack: 4, rssSlackBytes: 2 ** 30 }, 100)).toContainEqual(
      expect.stringMatching(/^fds \d+ > baseline/),
    );
    for (const fd of fds) closeSync(fd);
    expect(await checkResources(base, { fdSlack: 4, rssSlackBytes: 2 ** 30 }, 100)).toEqual([]);
  });

  test("evidence: a duplicate or a loss in a SUCCESS eval is a violation; failed evals may be partial unless all-or-nothing is asked", () => {
    const ok = new Map([["e1", ["a", "b"]]]);
    expect(checkEvidence(ok, ["a", "b", "x"])).toEqual([]);
    expect(checkEvidence(ok, ["a", "b", "b"])).toEqual(["evidence b recorded 2 times"]);
    expect(checkEvidence(ok, ["a"])).toEqual(["eval e1 answered SUCCESS but lost 1 evidence"]);
    const failed = new Map([["e2", ["c", "d"]]]);
    expect(checkEvidence(ok, ["a", "b"], failed)).toEqual([]);
    expect(checkEvidence(ok, ["a", "b", "c"], failed)).toEqual([
      "eval e2 failed but 1 evidence were recorded",
    ]);
  });
});
