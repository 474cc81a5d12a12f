// `plugwire run` end to end, as `pnpm exec plugwire run <config>` at the repo root: the TS runner
// examples (v1, v2) and the Go runner plugin (v1, v2 variants, go-plugin v1.8); evidence in the sink
// must equal what each plugin sent, field by field.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { types } from "@plugwire/contract";
import { afterEach, describe, expect, test } from "vitest";
import * as v1 from "../../../../examples/runner-v1/dist/plugin.js";
import * as v2 from "../../../../examples/runner-v2/dist/plugin.js";
import { goBin, goFixtures, repoRoot, tempRoot } from "../support/go-fixtures.js";
import { descendants, waitUntil } from "../support/leaks.js";
import { goAgent } from "./support.js";

const example = (name: string) => join(repoRoot, "examples", name, "bin", "plugin");
const children = new Set<ChildProcess>();
const roots: ReturnType<typeof tempRoot>[] = [];

afterEach(async () => {
  for (const c of children) c.kill("SIGKILL");
  expect(await waitUntil(() => descendants().length === 0, 5000), "processes left behind").toBe(true);
  for (const r of roots.splice(0)) {
    expect(
      r.entries().filter((e) => e !== "agent.yaml" && e !== "out.jsonl"),
      "sockets left behind",
    ).toEqual([]);
    r.remove();
  }
});

/** `pnpm exec plugwire run …` in the repo root, with TMPDIR (plugin sockets) in a private dir. */
function plugwire(args: string[], root: string) {
  const child = spawn("pnpm", ["exec", "plugwire", "run", ...args], {
    cwd: repoRoot,
    env: { ...process.env, TMPDIR: root },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  const out = { stdout: "", stderr: "" };
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out.stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (out.stderr += s));
  const exited = new Promise<number | null>((resolve) =>
    child.once("close", (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { child, out, exited };
}

function setup(yaml: string) {
  const root = tempRoot();
  roots.push(root);
  const config = join(root.path, "agent.yaml");
  writeFileSync(config, yaml);
  return { root: root.path, config, out: join(root.path, "out.jsonl") };
}

function rebuilt(
  build: (i: v1.EvidenceInput) => types.Evidence,
  config: Record<string, string>,
  got: JsonValue[],
) {
  return got.map((json) => {
    const e = fromJson(types.EvidenceSchema, json);
    const observedAtMs = e.Start ? timestampMs(e.Start) : Number.NaN;
    return toJson(types.EvidenceSchema, build({ config, policy: e.Labels._policy ?? "", observedAtMs }));
  });
}

const tsV1 = { hostname: "web-1", environment: "prod" };
const tsV2 = { service: "billing", url: "https://billing.example.com" };
const goV1 = { hostname: "go-one" };
const goV2 = { hostname: "go-two", zone: "b" };

describe.skipIf(!goFixtures.ok)("plugwire run", () => {
  test("runs TS v1/v2 examples and the Go runner plugin (v1, v2): every evidence field intact", async () => {
    const { root, config, out } = setup(`
plugins:
  ts-v1:
    source: ${example("runner-v1")}
    protocol_version: 1
    config: { hostname: web-1, environment: prod }
    policies: [policies/a, policies/b]
  ts-v2:
    source: ${example("runner-v2")}
    protocol_version: 2
    config: { service: billing, url: "https://billing.example.com" }
    policies: [policies/tls]
  go-v1:
    source: ${goBin("runner-plugin")}
    env: { RUNNER_PROTOCOL: "1" }
    config: { hostname: go-one }
  go-v2:
    source: ${goBin("runner-plugin")}
    args: [--protocol, "2"]
    protocol_version: 2
    config: { hostname: go-two, zone: b }
    policies: [p1, p2]
`);
    const run = plugwire([config, "--evidence-out", out], root);
    expect(await run.exited, run.out.stderr).toBe(0);
    const table = run.out.stderr.split("\n").filter((l) => /^(PLUGIN|ts-|go-)/.test(l));
    expect(table[0]).toMatch(/^PLUGIN\s+STATUS\s+PROTOCOL\s+EVIDENCE\s+DURATION$/);
    expect(table.slice(1).map((l) => l.split(/\s+/).slice(0, 4))).toEqual([
      ["ts-v1", "SUCCESS", "v1", "2"],
      ["ts-v2", "SUCCESS", "v2", "1"],
      ["go-v1", "SUCCESS", "v1", "1"],
      ["go-v2", "SUCCESS", "v2", "2"],
    ]);
    const lines = readFileSync(out, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as JsonValue);
    const by = (pred: (labels: Record<string, string>) => boolean) =>
      lines.filter((l) => pred((l as { Labels: Record<string, string> }).Labels));
    const tsV1Got = by((l) => l._plugin === "runner-v1");
    const tsV2Got = by((l) => l._plugin === "runner-v2");
    const goV1Got = by((l) => l["config.hostname"] === "go-one");
    const goV2Got = by((l) => l["config.hostname"] === "go-two");
    expect(lines).toHaveLength(6);
    expect(tsV1Got).toEqual(rebuilt(v1.buildEvidence, tsV1, tsV1Got));
    expect(tsV2Got).toEqual(rebuilt(v2.buildEvidence, tsV2, tsV2Got));
    expect(goV1Got).toEqual(
      (await goAgent(goBin("runner-plugin"), 1, goV1, [], { RUNNER_PROTOCOL: "1" })).evidence,
    );
    expect(goV2Got).toEqual((await goAgent(goBin("runner-plugin"), 2, goV2, ["p1", "p2"])).evidence);
  });

  test("exit 1 naming the failing plugin; the others still run", async () => {
    const { root, config } = setup(`
plugins:
  fine:
    source: ${example("runner-v1")}
  v1-as-v2:
    source: ${goBin("runner-plugin")}
    env: { RUNNER_PROTOCOL: "1" }
    protocol_version: 2
`);
    const run = plugwire([config], root);
    expect(await run.exited).toBe(1);
    expect(run.out.stderr).toContain(
      "plugwire run: plugin v1-as-v2 failed: plugin v1-as-v2 configured as protocol_version=2 but does not implement Init\n",
    );
    expect(run.out.stderr).toMatch(/\nfine\s+SUCCESS\s+v1\s+1 /);
    expect(run.out.stderr).toMatch(/\nv1-as-v2\s+ERROR\s+-\s+0 /);
    expect(run.out.stdout.trimEnd().split("\n")).toHaveLength(1); // fine's evidence, on stdout
  });

  test("a config error exits 1 with the line-numbered message", async () => {
    const { root, config } = setup("plugins:\n  p:\n    source: ./x\n    protocol_version: 0\n");
    const run = plugwire([config], root);
    expect(await run.exited).toBe(1);
    expect(run.out.stderr).toContain(
      `${config}:4:23: plugin p: protocol_version 0 is not supported; use 1, 2 or auto`,
    );
  });

  test("--daemon runs on schedule until SIGTERM, then shuts down gracefully", async () => {
    const { root, config, out } = setup(`
plugins:
  every-second:
    source: ${example("runner-v1")}
    schedule: "* * * * * *"
`);
    const run = plugwire([config, "--daemon", "--evidence-out", out], root);
    expect(
      await waitUntil(() => /\nevery-second\s+SUCCESS/.test(run.out.stderr), 20_000),
      run.out.stderr,
    ).toBe(true);
    const pnpm = run.child.pid as number;
    // pnpm exec (maybe through npx, whose arguments name plugwire too) → node: signal the plugwire
    // process itself — the one whose script is the plugwire bin — as a service manager would.
    const node = descendants(pnpm).find((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[1]?.endsWith("plugwire.mjs"),
    );
    process.kill(node ?? pnpm, "SIGTERM");
    expect(await run.exited, run.out.stderr).toBe(0);
    expect(readFileSync(out, "utf8").trimEnd().split("\n").length).toBeGreaterThanOrEqual(1);
  });
});
