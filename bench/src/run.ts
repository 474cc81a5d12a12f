// `pnpm bench`: builds the Go programs, runs every scenario with warm-up and interleaved rounds
// (A B C, C B A, …), prints medians and ratios, writes bench/results/latest.json and the results
// section of bench/README.md. `--only <id>` runs chosen scenarios and only prints them.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bundlePlugin } from "./bundle.js";
import { type Medians, scenarioTable, verdicts, verdictTable } from "./report.js";
import { type Metrics, memory, type Sizes, scenarios } from "./scenarios.js";
import { interleave, median } from "./stats.js";
import { bins, repoRoot } from "./systems.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    quick: { type: "boolean", default: false },
    // `--only cold-start` (repeatable; `memory` is scenario 6): a partial run, printed only.
    only: { type: "string", multiple: true },
  },
});
const rounds = Number(values.rounds);
const only = values.only;
const selected = (id: string) => only === undefined || only.includes(id);
const sizes: Sizes = values.quick
  ? { warmup: 300, seq: 1000, conc: 4000, coldSamples: 3, brokerCalls: 200 }
  : { warmup: 2000, seq: 3000, conc: 10000, coldSamples: 5, brokerCalls: 1000 };
const memoryCounts = values.quick ? [1, 10] : [1, 50, 200];
const ids = [...scenarios(sizes).map((s) => s.id), "memory"];
for (const id of only ?? []) {
  if (!ids.includes(id)) throw new Error(`--only ${id}: the scenarios are ${ids.join(", ")}`);
}

// The Go side: our bench host plus the plugins under test (same go-plugin v1.8 as the interop suite).
const goVersion = execFileSync("go", ["version"], { encoding: "utf8" }).trim();
for (const cmd of ["bench-host", "kv-plugin", "counter-plugin"]) {
  execFileSync("go", ["build", "-o", `bin/${cmd}`, `./cmd/${cmd}`], {
    cwd: join(repoRoot, "conformance"),
    stdio: "inherit",
  });
}
// The TS plugin as it ships: one executable bundle (the unbundled example is measured too). Its V8
// code cache goes to a directory of this run's own: the first launch of the run compiles, later ones
// use the cache (the "no code cache" row compiles every time).
await bundlePlugin(bins.tsKv, bins.tsKvBundled);
const codeCacheDir = mkdtempSync(join(os.tmpdir(), "plugwire-bench-code-cache-"));
process.env.PLUGWIRE_CODE_CACHE_DIR = codeCacheDir;
process.on("exit", () => rmSync(codeCacheDir, { recursive: true, force: true }));

const medians: Medians = {};
const raw: Record<string, Record<string, Metrics[]>> = {};
const tables: string[] = [];
for (const scenario of scenarios(sizes).filter((s) => selected(s.id))) {
  const perSystem: Record<string, Metrics[]> = Object.fromEntries(scenario.systems.map((s) => [s.name, []]));
  const scenarioRounds = rounds * (scenario.roundsFactor ?? 1);
  for (const [r, order] of interleave(scenario.systems, scenarioRounds).entries()) {
    for (const system of order) {
      perSystem[system.name]?.push(await system.run());
    }
    process.stderr.write(`${scenario.id}: round ${r + 1}/${scenarioRounds}\n`);
  }
  const m: Record<string, Metrics> = {};
  for (const [name, results] of Object.entries(perSystem)) {
    m[name] = Object.fromEntries(
      scenario.metrics.map((spec) => [spec.key, median(results.map((x) => x[spec.key] ?? Number.NaN))]),
    );
  }
  medians[scenario.id] = m;
  raw[scenario.id] = perSystem;
  tables.push(scenarioTable(scenario, m));
  process.stdout.write(`\n${tables.at(-1)}\n`);
}

// Supervised (judged) and plain launches, interleaved per count.
const mem: Metrics[] = [];
const plainMem: Metrics[] = [];
for (const count of selected("memory") ? memoryCounts : []) {
  mem.push(await memory(count, true));
  plainMem.push(await memory(count, false));
  process.stderr.write(`memory: ${count} plugins\n`);
}
const memRow = (kind: string, x: Metrics) =>
  `| ${x.count} plugins, ${kind} | ${x.rssBeforeMiB?.toFixed(1)} | ${x.rssAfterMiB?.toFixed(1)} | ${x.perPluginMiB?.toFixed(3)} |`;
const memTable = [
  "| 6. host memory per Go KV plugin (each supervised: health probes, memory sampling, run records; or plain launches) | host RSS before MiB | after MiB | per plugin MiB |",
  "|---|---:|---:|---:|",
  ...mem.map((x) => memRow("supervised", x)),
  ...plainMem.map((x) => memRow("plain PluginHost.launch", x)),
].join("\n");
if (mem.length > 0) process.stdout.write(`\n${memTable}\n`);

const last = mem.at(-1) ?? {};
const v = verdicts(medians, last.perPluginMiB ?? Number.NaN, last.count ?? Number.NaN);
// A partial run judges only the targets it measured, and leaves the recorded results alone.
process.stdout.write(`\n${verdictTable(only ? v.filter((x) => Number.isFinite(x.value)) : v)}\n`);
if (only) process.exit(0);

const cpus = os.cpus();
const machine = {
  cpu: cpus[0]?.model ?? "unknown",
  cores: cpus.length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  go: goVersion,
};
const date = new Date().toISOString();
const results = {
  date,
  machine,
  rounds,
  sizes,
  medians,
  raw,
  memory: { supervised: mem, plain: plainMem },
  verdicts: v,
  quick: values.quick,
};
mkdirSync(join(repoRoot, "bench/results"), { recursive: true });
writeFileSync(join(repoRoot, "bench/results/latest.json"), `${JSON.stringify(results, null, 2)}\n`);

if (!values.quick) {
  const readmePath = join(repoRoot, "bench/README.md");
  const section = [
    `Run ${date.slice(0, 10)} on ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, ${machine.go}.`,
    `${rounds} interleaved rounds (${scenarios(sizes)
      .filter((s) => (s.roundsFactor ?? 1) > 1)
      .map((s) => `${s.id}: ${rounds * (s.roundsFactor ?? 1)}`)
      .join(", ")}); medians of the rounds; (×n) = ratio to the first row.`,
    ...tables,
    memTable,
    verdictTable(v),
  ].join("\n\n");
  const readme = readFileSync(readmePath, "utf8");
  const marked = /<!-- results:start -->[\s\S]*<!-- results:end -->/;
  if (!marked.test(readme)) throw new Error("bench/README.md lacks the results markers");
  writeFileSync(
    readmePath,
    readme.replace(marked, `<!-- results:start -->\n${section}\n<!-- results:end -->`),
  );
}
