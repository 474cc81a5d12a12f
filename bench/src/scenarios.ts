// The scenarios of issue 10, each with its baseline in the same run, and the targets on their ratios.
import { bins, envWithoutCodeCache, envWithoutExtraCaCerts, goHost, nodeProbe } from "./systems.js";

/** Flat numeric results of one measurement. */
export type Metrics = Record<string, number>;

/** One compared system of a scenario. */
export interface System {
  name: string;
  run(): Promise<Metrics>;
}

/** A metric shown in the table. */
export interface MetricSpec {
  key: string;
  label: string;
  /** Whether a lower value is better (latencies) or a higher one (rates). */
  better: "lower" | "higher";
}

export interface Scenario {
  id: string;
  title: string;
  /** Name of the system the ratios are relative to. */
  baseline: string;
  metrics: MetricSpec[];
  systems: System[];
  /** Rounds of this scenario per `--rounds` (default 1): for results that vary most between processes. */
  roundsFactor?: number;
}

/** Call counts per measurement; `quick` is for a fast look, not for the README. */
export interface Sizes {
  warmup: number;
  seq: number;
  conc: number;
  coldSamples: number;
  brokerCalls: number;
}

/** Row of Node's own start (`node -e 0`): the floor under every TS plugin's cold start. */
export const NODE_START = "Node's own start (node -e 0)";
/** Suffix of the rows measured with NODE_EXTRA_CA_CERTS removed (see envWithoutExtraCaCerts). */
export const NO_EXTRA_CA = ", NODE_EXTRA_CA_CERTS unset";

const unaryMetrics: MetricSpec[] = [
  { key: "seqP50Us", label: "seq p50 µs", better: "lower" },
  { key: "seqP99Us", label: "seq p99 µs", better: "lower" },
  { key: "seqCallsPerSec", label: "seq calls/s", better: "higher" },
  { key: "concCallsPerSec", label: "64 in flight calls/s", better: "higher" },
];

const num = (v: unknown, path: string): number => {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`result has no number at ${path}`);
  return v;
};

function unary(result: Record<string, unknown>): Metrics {
  const seq = result.sequential as Record<string, unknown>;
  const conc = result.concurrent as Record<string, unknown>;
  return {
    seqP50Us: num(seq?.p50Us, "sequential.p50Us"),
    seqP99Us: num(seq?.p99Us, "sequential.p99Us"),
    seqCallsPerSec: num(seq?.callsPerSec, "sequential.callsPerSec"),
    concCallsPerSec: num(conc?.callsPerSec, "concurrent.callsPerSec"),
  };
}

function cold(result: Record<string, unknown>): Metrics {
  const ms = result.startMs as number[];
  return {
    startP50Ms: num(ms[ms.length >> 1], "startMs[p50]"),
    startMaxMs: num(ms[ms.length - 1], "startMs[max]"),
    firstMs: num(result.firstMs, "firstMs"),
  };
}

function callback(result: Record<string, unknown>): Metrics {
  const seq = result.sequential as Record<string, unknown>;
  return { cbP50Us: num(seq?.p50Us, "sequential.p50Us"), cbP99Us: num(seq?.p99Us, "sequential.p99Us") };
}

/** Scenarios 1–5 (6, memory, has no baseline and runs on its own: see run.ts). */
export function scenarios(s: Sizes): Scenario[] {
  const u = ["--warmup", `${s.warmup}`, "--seq", `${s.seq}`, "--conc", `${s.conc}`, "--inflight", "64"];
  const b = ["--warmup", `${Math.ceil(s.brokerCalls / 10)}`, "--calls", `${s.brokerCalls}`];
  const c = ["--samples", `${s.coldSamples}`];
  return [
    {
      id: "host-go-plugin",
      title: "1. host → Go KV plugin (unary Get)",
      baseline: "go-plugin Go host",
      metrics: unaryMetrics,
      // 64 calls in flight on 2 cores: how the three processes get scheduled moves calls/s by ±20 %.
      roundsFactor: 2,
      systems: [
        { name: "go-plugin Go host", run: async () => unary(await goHost("unary", bins.goKv, u)) },
        { name: "plugwire host", run: async () => unary(await nodeProbe("unary", bins.goKv, u)) },
        {
          name: "grpc-js client",
          run: async () => unary(await nodeProbe("unary", bins.goKv, [...u, "--client", "grpc-js"])),
        },
      ],
    },
    {
      id: "ts-plugin",
      title: "2–3. TS KV plugin under a Go host and under plugwire (unary Get)",
      baseline: "Go host → Go plugin",
      metrics: unaryMetrics,
      // 64 calls in flight on 2 cores: how the three processes get scheduled moves calls/s by ±20 %.
      roundsFactor: 2,
      systems: [
        { name: "Go host → Go plugin", run: async () => unary(await goHost("unary", bins.goKv, u)) },
        { name: "Go host → TS plugin", run: async () => unary(await goHost("unary", bins.tsKv, u)) },
        {
          name: "Go host → TS plugin, bundled",
          run: async () => unary(await goHost("unary", bins.tsKvBundled, u)),
        },
        { name: "plugwire host → TS plugin", run: async () => unary(await nodeProbe("unary", bins.tsKv, u)) },
      ],
    },
    {
      id: "cold-start",
      title: "4. cold start: spawn → handshake → first answer",
      baseline: "Go plugin via Go host",
      // A process's cold starts agree within ~10 %; between processes their median moves by ±20 %
      // on the bench machine (both hosts alike), so more processes, each short.
      roundsFactor: 4,
      metrics: [
        { key: "startP50Ms", label: "p50 ms", better: "lower" },
        { key: "startMaxMs", label: "max ms", better: "lower" },
        { key: "firstMs", label: "first launch ms", better: "lower" },
      ],
      systems: [
        { name: "Go plugin via Go host", run: async () => cold(await goHost("cold", bins.goKv, c)) },
        { name: "Go plugin via plugwire", run: async () => cold(await nodeProbe("cold", bins.goKv, c)) },
        {
          name: "Go plugin via plugwire, prespawn off",
          run: async () => cold(await nodeProbe("cold", bins.goKv, [...c, "--no-prespawn"])),
        },
        { name: "TS plugin via plugwire", run: async () => cold(await nodeProbe("cold", bins.tsKv, c)) },
        {
          name: "TS plugin via plugwire, bundled",
          run: async () => cold(await nodeProbe("cold", bins.tsKvBundled, c)),
        },
        {
          name: "TS plugin via plugwire, bundled, no code cache",
          run: async () => cold(await nodeProbe("cold", bins.tsKvBundled, c, { env: envWithoutCodeCache() })),
        },
        { name: NODE_START, run: async () => cold(await nodeProbe("node", "", c)) },
        ...(envWithoutExtraCaCerts() === undefined
          ? []
          : [
              {
                name: `TS plugin via plugwire, bundled${NO_EXTRA_CA}`,
                run: async () =>
                  cold(await nodeProbe("cold", bins.tsKvBundled, c, { env: envWithoutExtraCaCerts() })),
              },
              {
                name: `${NODE_START}${NO_EXTRA_CA}`,
                run: async () => cold(await nodeProbe("node", "", c, { env: envWithoutExtraCaCerts() })),
              },
            ]),
      ],
    },
    {
      id: "broker-callback",
      title: "5. broker callback: Put → plugin dials the host's AddHelper → Sum (new broker server per call)",
      baseline: "go-plugin Go host",
      metrics: [
        { key: "cbP50Us", label: "p50 µs", better: "lower" },
        { key: "cbP99Us", label: "p99 µs", better: "lower" },
      ],
      systems: [
        { name: "go-plugin Go host", run: async () => callback(await goHost("broker", bins.goCounter, b)) },
        { name: "plugwire host", run: async () => callback(await nodeProbe("broker", bins.goCounter, b)) },
        {
          name: "plugwire host, serveShared",
          run: async () => callback(await nodeProbe("broker", bins.goCounter, [...b, "--shared"])),
        },
      ],
    },
  ];
}

/**
 * Scenario 6: host RSS growth per plugin, Go KV plugins each run by a supervisor (`supervised`, what
 * the target judges) or launched plainly with `PluginHost.launch`.
 */
export async function memory(count: number, supervised: boolean): Promise<Metrics> {
  const args = ["--count", `${count}`, ...(supervised ? ["--supervised"] : [])];
  const r = await nodeProbe("memory", bins.goKv, args, { nodeFlags: ["--expose-gc"] });
  return {
    count: num(r.count, "count"),
    rssBeforeMiB: num(r.rssBeforeMiB, "rssBeforeMiB"),
    rssAfterMiB: num(r.rssAfterMiB, "rssAfterMiB"),
    perPluginMiB: num(r.perPluginMiB, "perPluginMiB"),
  };
}
