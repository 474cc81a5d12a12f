import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { EmptySchema, GetResponseSchema, KV } from "../../../../examples/go-plugin-kv/src/gen/kv/kv_pb.js";
import { ErrorCode, PlugwireError } from "../../src/index.js";
import { repoRoot } from "../support/go-fixtures.js";
import { descendants, waitUntil } from "../support/leaks.js";
import { baseline, caseProcesses, checkResources, checkTypedError } from "./invariants.js";
import { type CaseContext, type CaseResult, type ChaosCase, fixtureCommand } from "./matrix.js";

const MiB = 1024 * 1024;

/** Settles `p` and returns what it rejected with (fails the case if it resolved). */
async function rejection(p: Promise<unknown>, what: string): Promise<unknown> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err === undefined) throw new Error(`${what} succeeded, but the fault should have failed it`);
  return err;
}

/** `ConnectError unavailable` / `PlugwireError HANDSHAKE_INVALID`: what the table shows. */
function label(err: unknown): string {
  if (err instanceof PlugwireError) return err.code;
  if (err instanceof ConnectError) return `grpc ${Code[err.code]}`;
  return String(err);
}

function expectCode(err: unknown, code: string): void {
  if (!(err instanceof PlugwireError) || err.code !== code)
    throw new Error(`expected PlugwireError ${code}, got ${label(err)}: ${(err as Error)?.message}`);
}

/** A launch that must fail with `code`. */
async function launchFails(ctx: CaseContext, mode: string, code: string, extra = {}): Promise<CaseResult> {
  const err = await rejection(ctx.launch(mode, extra), "launch");
  expectCode(err, code);
  return { outcome: code, error: err };
}

/** The protocol-level faults against PluginHost (both plugin languages). */
export const protocolFaults: ChaosCase[] = [
  {
    fault: "crash mid-call",
    async run(ctx) {
      const p = await ctx.launch();
      const err = await rejection(p.clients.kv.get({ key: "crash" }), "get(crash)");
      const exit = await p.exited;
      if (exit.code !== 3) throw new Error(`expected exit code 3, got ${exit.code}/${exit.signal}`);
      return { outcome: `${label(err)}, exit 3`, error: err };
    },
  },
  {
    fault: "hang in a call (deadline, AbortSignal)",
    async run(ctx) {
      const p = await ctx.launch();
      const deadline = await rejection(p.clients.kv.get({ key: "hang" }, { timeoutMs: 300 }), "get(hang)");
      if (ConnectError.from(deadline).code !== Code.DeadlineExceeded) throw new Error(label(deadline));
      const ac = new AbortController();
      const aborted = rejection(p.clients.kv.get({ key: "hang" }, { signal: ac.signal }), "get(hang)");
      ac.abort();
      const err = await aborted;
      if (ConnectError.from(err).code !== Code.Canceled) throw new Error(label(err));
      await p.ping(); // the plugin still answers other calls
      return { outcome: `${label(deadline)} / ${label(err)}`, error: deadline };
    },
  },
  {
    fault: "ignore SIGTERM and Shutdown",
    async run(ctx) {
      const p = await ctx.launch("ignore-term");
      const exit = await p.close({ graceMs: 300 });
      if (!exit.forced || exit.signal !== "SIGKILL") throw new Error(`not forced: ${JSON.stringify(exit)}`);
      return { outcome: "group SIGKILL after 300 ms grace" };
    },
  },
  {
    fault: "fork grandchildren that ignore signals",
    async run(ctx) {
      const p = await ctx.launch("fork");
      const pid = p.pid as number;
      // The fixture forks sh → (sh → sleep) + sleep: wait until they all exist.
      if (!(await waitUntil(() => descendants(pid).length >= 3, 5000)))
        throw new Error(`grandchildren never appeared: ${descendants(pid).join(", ")}`);
      const n = descendants(pid).length;
      await p.close();
      return { outcome: `${n} deaf descendants reaped` };
    },
  },
  {
    fault: "flood stdout+stderr (MiB lines)",
    async run(ctx) {
      let stdio = 0;
      const host = ctx.extraHost({
        onStdio: (_p, _c, data) => {
          stdio += data.byteLength;
        },
      });
      const p = await host.launch(ctx.options("flood-early"));
      const res = await p.clients.kv.get({ key: "flood" });
      if (res.value.byteLength !== 0) throw new Error("unexpected value");
      // go-plugin blocks its writers until the host drains GRPCStdio: all 8 MiB must arrive. The SDK
      // never blocks: past a 1 MiB backlog it writes to the real stderr, which the host drains too.
      const want = ctx.lang === "go" ? 8 * MiB : 1;
      if (!(await waitUntil(() => stdio >= want, 10_000))) throw new Error(`only ${stdio} bytes of stdio`);
      await p.ping();
      return { outcome: `4 MiB early + ${(stdio / MiB).toFixed(1)} MiB via GRPCStdio` };
    },
  },
  {
    fault: "junk before the handshake",
    run: (ctx) => launchFails(ctx, "junk", ErrorCode.HandshakeInvalid),
  },
  {
    fault: "wrong cookie",
    async run(ctx) {
      const host = ctx.extraHost({ handshake: { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "nope" } });
      const err = await rejection(host.launch(ctx.options()), "launch");
      expectCode(err, ErrorCode.PluginExited);
      if (!(err as Error).message.includes("This binary is a plugin"))
        throw new Error(`the plugin's message is missing: ${(err as Error).message}`);
      return { outcome: `${ErrorCode.PluginExited} + cookie message`, error: err };
    },
  },
  {
    fault: "handshake never printed",
    run: (ctx) => launchFails(ctx, "silent", ErrorCode.HandshakeTimeout, { startTimeoutMs: 500 }),
  },
  {
    fault: "oversized message (Go's 4 MiB; host limits)",
    async run(ctx) {
      const p = await ctx.launch();
      const value = new Uint8Array(5 * MiB).fill(7);
      const put = p.clients.kv.put({ key: "big", value });
      let first: string;
      if (ctx.lang === "go") {
        const err = await rejection(put, "put(5 MiB)");
        if (ConnectError.from(err).code !== Code.ResourceExhausted) throw new Error(label(err));
        await p.ping();
        first = `Go ${label(err)}`;
      } else {
        // The SDK's limit is go-plugin's host limit, 2^31-1: 5 MiB must round-trip intact.
        await put;
        const back = await p.clients.kv.get({ key: "big" });
        if (back.value.byteLength !== value.byteLength) throw new Error(`got ${back.value.byteLength} bytes`);
        first = "SDK 5 MiB ok";
      }
      // A host with configured limits: 5 MiB out exceeds writeMaxBytes, 2 MiB back exceeds readMaxBytes.
      const host = ctx.extraHost({ readMaxBytes: MiB, writeMaxBytes: 4 * MiB });
      const q = await host.launch(ctx.options());
      const tooBig = await rejection(q.clients.kv.put({ key: "big", value }), "put(5 MiB)");
      await q.clients.kv.put({ key: "two", value: new Uint8Array(2 * MiB).fill(2) });
      const tooBigBack = await rejection(q.clients.kv.get({ key: "two" }), "get(2 MiB)");
      for (const err of [tooBig, tooBigBack]) {
        if (ConnectError.from(err).code !== Code.ResourceExhausted) throw new Error(label(err));
        const bad = checkTypedError(err, ctx.name);
        if (bad) throw new Error(bad);
      }
      await q.ping(); // the plugin stays up, and small calls still work
      if ((await q.clients.kv.get({ key: "none" })).value.byteLength !== 0)
        throw new Error("unexpected value");
      return {
        outcome: `${first}; write>4 MiB and read>1 MiB: ${label(tooBig)}, plugin up`,
        error: tooBigBack,
      };
    },
  },
  {
    fault: "socket closed mid-stream",
    async run(ctx) {
      const p = await ctx.launch();
      const err = await rejection(p.clients.kv.get({ key: "drop" }, { timeoutMs: 10_000 }), "get(drop)");
      return { outcome: label(err), error: err };
    },
  },
  {
    fault: "exit during broker dial",
    async run(ctx) {
      const p = await ctx.launch();
      const id = await p.serveShared("kv", (router) =>
        router.service(KV, {
          put: () => create(EmptySchema),
          get: () => create(GetResponseSchema),
        }),
      );
      const err = await rejection(p.clients.kv.get({ key: `dial-exit:${id}` }), "get(dial-exit)");
      const exit = await p.exited;
      if (exit.code !== 4) throw new Error(`expected exit code 4, got ${exit.code}/${exit.signal}`);
      return { outcome: `${label(err)}, exit 4`, error: err };
    },
  },
];

const hostFixture = join(repoRoot, "packages/host/test/fixtures/chaos-host.mjs");

/** Faults of the host process itself, and launch churn. */
export const hostFaults: ChaosCase[] = [
  {
    fault: "host SIGKILLed while plugins run",
    async run(ctx) {
      const { command, args } = fixtureCommand(ctx.lang);
      const host = spawn(process.execPath, [hostFixture, ctx.socketRoot, command, ...args], {
        env: { ...process.env, ...ctx.env, CHAOS_MODE: "fork" },
        stdio: ["ignore", "pipe", "inherit"],
      });
      const exited = new Promise((r) => host.once("exit", r));
      const [line] = (await Promise.race([once(host.stdout, "data"), exited.then(() => [""])])) as [Buffer];
      const pid = Number(line.toString().trim());
      if (!(pid > 0)) throw new Error("the host fixture exited before launching its plugin");
      if (!(await waitUntil(() => descendants(pid).length >= 3, 5000)))
        throw new Error("the plugin's grandchildren never appeared");
      const before = caseProcesses(ctx.marker).length;
      host.kill("SIGKILL");
      await exited;
      const started = Date.now();
      if (!(await waitUntil(() => caseProcesses(ctx.marker).length === 0, 5000)))
        throw new Error(`outlived the host: ${caseProcesses(ctx.marker).join(", ")}`);
      return { outcome: `${before} processes gone ${Date.now() - started} ms after the host` };
    },
  },
  {
    fault: "launch/close cycles (fd, RSS drift)",
    async run(ctx) {
      // Go plugins start in ~20 ms; a Node plugin costs a Node start-up, so fewer cycles of it.
      const total = Number(process.env.CHAOS_CYCLES ?? (ctx.lang === "go" ? 500 : 100));
      const cycle = async () => {
        const p = await ctx.launch();
        await p.clients.kv.put({ key: "k", value: new Uint8Array([1]) });
        await p.close();
      };
      const batch = async (n: number) => {
        for (let i = 0; i < n; i += CYCLE_PARALLEL)
          await Promise.all(Array.from({ length: Math.min(CYCLE_PARALLEL, n - i) }, cycle));
      };
      const warmUp = Math.min(20, total);
      await batch(warmUp);
      const base = baseline();
      await batch(total - warmUp);
      const drift = await checkResources(base, { fdSlack: 4, rssSlackBytes: 64 * MiB });
      if (drift.length > 0) throw new Error(`after ${total} cycles: ${drift.join("; ")}`);
      const rss = (process.memoryUsage.rss() - base.rss) / MiB;
      return { outcome: `${total} cycles, fds ±0, RSS ${rss >= 0 ? "+" : ""}${rss.toFixed(0)} MiB` };
    },
  },
];

const CYCLE_PARALLEL = 4;
