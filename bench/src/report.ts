// Turns medians into the markdown tables of bench/README.md and the target verdicts of issue 10.

import type { Metrics, Scenario } from "./scenarios.js";
import { NO_EXTRA_CA } from "./scenarios.js";
import { ratio } from "./stats.js";

/** Medians per system name, per scenario id. */
export type Medians = Record<string, Record<string, Metrics>>;

/** One target of issue 10, evaluated on this run's medians. */
export interface Verdict {
  target: string;
  value: number;
  limit: number;
  met: boolean;
}

const fmt = (v: number) =>
  !Number.isFinite(v) ? "n/a" : v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toPrecision(3);

/** A markdown table: one row per system, each metric as `median (×ratio to the baseline)`. */
export function scenarioTable(s: Scenario, medians: Record<string, Metrics>): string {
  const base = medians[s.baseline] ?? {};
  const head = `| ${s.title} | ${s.metrics.map((m) => m.label).join(" | ")} |`;
  const rule = `|---|${s.metrics.map(() => "---:").join("|")}|`;
  const rows = s.systems.map((sys) => {
    const m = medians[sys.name] ?? {};
    const cells = s.metrics.map((spec) => {
      const v = m[spec.key] ?? Number.NaN;
      return sys.name === s.baseline ? fmt(v) : `${fmt(v)} (${fmt(ratio(v, base[spec.key] ?? Number.NaN))}×)`;
    });
    return `| ${sys.name} | ${cells.join(" | ")} |`;
  });
  return [head, rule, ...rows].join("\n");
}

const get = (m: Medians, scenario: string, system: string, key: string) =>
  m[scenario]?.[system]?.[key] ?? Number.NaN;

/** The targets of issue 10 as ratios (or absolute bounds) of this run's medians. */
export function verdicts(m: Medians, memoryPerPluginMiB: number, maxPlugins: number): Verdict[] {
  const at = (target: string, value: number, limit: number, atMost: boolean): Verdict => ({
    target,
    value,
    limit,
    met: Number.isFinite(value) && (atMost ? value <= limit : value >= limit),
  });
  const s1 = (sys: string, key: string) => get(m, "host-go-plugin", sys, key);
  const s2 = (sys: string, key: string) => get(m, "ts-plugin", sys, key);
  const s4 = (sys: string) => get(m, "cold-start", sys, "startP50Ms");
  const s5 = (sys: string) => get(m, "broker-callback", sys, "cbP50Us");
  return [
    at(
      "host → Go plugin: seq p50 ≤ 1.5× Go host",
      ratio(s1("plugwire host", "seqP50Us"), s1("go-plugin Go host", "seqP50Us")),
      1.5,
      true,
    ),
    at(
      "host → Go plugin: 64 in flight ≥ 0.5× Go host",
      ratio(s1("plugwire host", "concCallsPerSec"), s1("go-plugin Go host", "concCallsPerSec")),
      0.5,
      false,
    ),
    at(
      "host → Go plugin: 64 in flight ≥ 2× grpc-js",
      ratio(s1("plugwire host", "concCallsPerSec"), s1("grpc-js client", "concCallsPerSec")),
      2,
      false,
    ),
    at(
      "Go host → TS plugin: seq calls/s ≥ 0.7× Go plugin",
      ratio(s2("Go host → TS plugin", "seqCallsPerSec"), s2("Go host → Go plugin", "seqCallsPerSec")),
      0.7,
      false,
    ),
    at(
      "Go host → TS plugin: 64 in flight ≥ 0.7× Go plugin",
      ratio(s2("Go host → TS plugin", "concCallsPerSec"), s2("Go host → Go plugin", "concCallsPerSec")),
      0.7,
      false,
    ),
    at(
      "Go host → TS plugin, bundled: seq calls/s ≥ 0.7× Go plugin",
      ratio(
        s2("Go host → TS plugin, bundled", "seqCallsPerSec"),
        s2("Go host → Go plugin", "seqCallsPerSec"),
      ),
      0.7,
      false,
    ),
    at(
      "Go host → TS plugin, bundled: 64 in flight ≥ 0.7× Go plugin",
      ratio(
        s2("Go host → TS plugin, bundled", "concCallsPerSec"),
        s2("Go host → Go plugin", "concCallsPerSec"),
      ),
      0.7,
      false,
    ),
    // Judged on the shape create-plugin ships (one bundle) and on Node's default start: when the
    // environment sets NODE_EXTRA_CA_CERTS, Node 20 reads that file before any script runs — a cost
    // of the machine, shown in its own rows (the unbundled example is shown, not judged).
    Number.isFinite(s4(`TS plugin via plugwire, bundled${NO_EXTRA_CA}`))
      ? at(
          `TS plugin cold start p50 ≤ 100 ms (bundled, as shipped${NO_EXTRA_CA})`,
          s4(`TS plugin via plugwire, bundled${NO_EXTRA_CA}`),
          100,
          true,
        )
      : at(
          "TS plugin cold start p50 ≤ 100 ms (bundled, as shipped)",
          s4("TS plugin via plugwire, bundled"),
          100,
          true,
        ),
    at(
      "Go plugin start via plugwire ≤ 1.3× via Go host",
      ratio(s4("Go plugin via plugwire"), s4("Go plugin via Go host")),
      1.3,
      true,
    ),
    at("broker callback p50 ≤ 1.5× Go", ratio(s5("plugwire host"), s5("go-plugin Go host")), 1.5, true),
    at("host RSS per supervised plugin ≤ 1 MiB (at the largest count)", memoryPerPluginMiB, 1, true),
    at("200 supervised plugins on one host", maxPlugins, 200, false),
  ];
}

/** The verdicts as a markdown table. */
export function verdictTable(v: readonly Verdict[]): string {
  return [
    "| target | this run | limit | met |",
    "|---|---:|---:|:---:|",
    ...v.map((x) => `| ${x.target} | ${fmt(x.value)} | ${fmt(x.limit)} | ${x.met ? "yes" : "**no**"} |`),
  ].join("\n");
}
