// The TypeScript side of one bench measurement, run in a fresh Node process per sample (as the Go
// baseline, conformance/cmd/bench-host, is): prints one JSON line.
//
//   probe unary  --plugin PATH [--client plugwire|grpc-js] [--warmup N] [--seq N] [--conc N] [--inflight N]
//   probe cold   --plugin PATH [--samples N] [--no-prespawn]
//   probe node   [--samples N]          (Node's own start: spawn `node -e 0` → exit)
//   probe broker --plugin PATH [--warmup N] [--calls N] [--shared]
//   probe memory --plugin PATH --count N [--supervised]
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { create } from "@bufbuild/protobuf";
import { GetRequestSchema, KV } from "@plugwire/example-go-plugin-kv/gen";
import { createSupervisor, PluginHost, silentLogger } from "@plugwire/host";
import {
  AddHelperService,
  CounterService,
} from "../../conformance/ts/gen/plugwire/conformance/v1/counter_pb.js";
import { createGrpcJsKv } from "./grpc-js-kv.js";
import { concurrent, sequential } from "./measure.js";

const handshake = { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" };

const { positionals, values } = parseArgs({
  allowPositionals: true,
  allowNegative: true,
  options: {
    plugin: { type: "string" },
    client: { type: "string", default: "plugwire" },
    warmup: { type: "string", default: "2000" },
    seq: { type: "string", default: "5000" },
    conc: { type: "string", default: "50000" },
    inflight: { type: "string", default: "64" },
    samples: { type: "string", default: "10" },
    calls: { type: "string", default: "2000" },
    count: { type: "string", default: "1" },
    shared: { type: "boolean", default: false },
    supervised: { type: "boolean", default: false },
    prespawn: { type: "boolean", default: true },
  },
});
const n = (name: keyof typeof values) => Number(values[name]);
const plugin = values.plugin;
if (!plugin && positionals[0] !== "node") throw new Error("--plugin PATH is required");

function kvHost() {
  return new PluginHost({ handshake, versions: { 1: { kv: KV } }, logger: silentLogger });
}

async function unary() {
  await using host = kvHost();
  await using p = await host.launch({ name: "kv", command: plugin as string });
  await p.clients.kv.put({ key: "k", value: new TextEncoder().encode("value") });
  const req = create(GetRequestSchema, { key: "k" });
  let get: () => Promise<unknown> = () => p.clients.kv.get(req);
  let closeClient = () => {};
  if (values.client === "grpc-js") {
    const grpcJs = createGrpcJsKv(p.reattachConfig().addr);
    get = () => grpcJs.get("k");
    closeClient = grpcJs.close;
  }
  await sequential(n("warmup"), get);
  const seq = await sequential(n("seq"), get);
  const conc = await concurrent(n("conc"), n("inflight"), get);
  closeClient();
  return { sequential: seq, concurrent: conc };
}

/**
 * One host for every launch, as an application has (the Go baseline's analog of `launch()` is a new
 * `plugin.Client` per launch). The first launch of the process is the warm-up: reported on its own
 * (`firstMs`: the JS compiled on first use, and a direct fork since no zygote is ready yet), then
 * `--samples` timed launches, which exec in the host's prespawned zygote (PluginHost `prespawn`);
 * `--no-prespawn` measures direct spawns throughout. The Go baseline does the same.
 */
async function cold() {
  await using host = new PluginHost({
    handshake,
    versions: { 1: { kv: KV } },
    logger: silentLogger,
    prespawn: values.prespawn,
  });
  // Awaited here: `await using` closes the host when this function returns.
  return await firstThenSamples(async () => {
    const start = performance.now();
    const p = await host.launch({ name: "kv", command: plugin as string });
    await p.clients.kv.get({ key: "k" });
    const ms = performance.now() - start;
    await p.close();
    return ms;
  });
}

/** Node's own start in this environment (the floor under any TS plugin's cold start): `node -e 0`. */
function nodeStart() {
  return firstThenSamples(
    () =>
      new Promise<number>((resolve, reject) => {
        const start = performance.now();
        const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
        child.once("error", reject);
        child.once("exit", (code) =>
          code === 0 ? resolve(performance.now() - start) : reject(new Error(`node -e 0 exited ${code}`)),
        );
      }),
  );
}

/** One warm-up run (`firstMs`), then `--samples` timed runs of `once`, sorted. */
async function firstThenSamples(once: () => Promise<number>) {
  const firstMs = await once();
  const startMs: number[] = [];
  for (let i = 0; i < n("samples"); i++) startMs.push(await once());
  return { firstMs, startMs: startMs.sort((a, b) => a - b) };
}

async function broker() {
  await using host = new PluginHost({
    handshake,
    versions: { 1: { counter: CounterService } },
    logger: silentLogger,
  });
  await using p = await host.launch({ name: "counter", command: plugin as string });
  const routes = (router: Parameters<Parameters<typeof p.serve>[0]>[0]) =>
    router.service(AddHelperService, { sum: (req) => ({ r: req.a + req.b }) });
  // go-plugin's shape (a new broker server per call, stopped after it), or one shared server.
  const put = values.shared
    ? async () =>
        p.clients.counter.put({ key: "k", value: 1n, addServer: await p.serveShared("add", routes) })
    : async () => {
        const server = await p.serve(routes);
        try {
          await p.clients.counter.put({ key: "k", value: 1n, addServer: server.id });
        } finally {
          await server.close(0);
        }
      };
  await sequential(n("warmup"), put);
  return { sequential: await sequential(n("calls"), put) };
}

/**
 * Host RSS growth per plugin: N Go plugins launched and answering, after a full GC. `--supervised`
 * runs each under its own `createSupervisor` with the defaults an application gets (Health probes
 * every 5 s, /proc memory sampling every 250 ms, run records, events); without it, plain launches.
 */
async function memory() {
  const gc = globalThis.gc;
  if (!gc) throw new Error("run with --expose-gc");
  await using host = kvHost();
  const supervise = (name: string) => createSupervisor({ host, launch: { name, command: plugin as string } });
  const supervisors: ReturnType<typeof supervise>[] = [];
  const start = async (name: string) => {
    if (!values.supervised) return host.launch({ name, command: plugin as string });
    const supervisor = supervise(name);
    supervisors.push(supervisor);
    supervisor.start();
    return supervisor.ready();
  };
  // One plugin first so code paths (HTTP/2, protobuf, child_process, supervision) are loaded before the baseline.
  const first = await start("warm");
  await first.clients.kv.get({ key: "k" });
  await (supervisors.pop()?.stop() ?? first.close());
  gc();
  const before = process.memoryUsage().rss;
  let answering = 0;
  for (let i = 0; i < n("count"); i++) {
    const p = await start(`kv-${i}`);
    await p.clients.kv.get({ key: "k" });
    answering++;
  }
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
  const after = process.memoryUsage().rss;
  // Every supervisor still has its plugin running (none restarted while the others started).
  const running = supervisors.filter((s) => s.status().state === "running" && s.status().restarts === 0);
  if (values.supervised && running.length !== answering) {
    throw new Error(`${answering - running.length} supervised plugins were not running at the end`);
  }
  await Promise.all(supervisors.map((s) => s.stop()));
  await host.close();
  return {
    count: answering,
    rssBeforeMiB: before / 2 ** 20,
    rssAfterMiB: after / 2 ** 20,
    perPluginMiB: (after - before) / 2 ** 20 / answering,
  };
}

const modes: Record<string, () => Promise<object>> = { unary, cold, node: nodeStart, broker, memory };
const run = modes[positionals[0] ?? ""];
if (!run) throw new Error(`mode must be one of ${Object.keys(modes).join(", ")}`);
process.stdout.write(`${JSON.stringify({ ok: true, ...(await run()) })}\n`);
