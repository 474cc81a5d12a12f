import { createSupervisor, ErrorCode, PlugwireError, type Supervisor } from "../../src/index.js";
import { alive, waitUntil } from "../support/leaks.js";
import type { CaseContext, ChaosCase, versions } from "./matrix.js";

/** A supervisor of the chaos fixture on the case's host: fast backoff, a tight circuit, quick probes. */
function supervise(ctx: CaseContext): Supervisor<typeof versions> {
  return createSupervisor({
    host: ctx.host,
    launch: ctx.options(),
    backoff: { initialMs: 20, maxMs: 100, jitter: 0 },
    circuit: { maxRestarts: 3, windowMs: 60_000, cooldownMs: 60_000 },
    health: { intervalMs: 100, timeoutMs: 300, failureThreshold: 2 },
    readyTimeoutMs: 10_000,
  });
}

/** Restarts of a supervised plugin under faults; the cell's leftover checks run after `stop()`. */
export const supervisionFaults: ChaosCase[] = [
  {
    fault: "supervised crash loop → circuit open",
    async run(ctx) {
      const sup = supervise(ctx);
      const pids: number[] = [];
      try {
        sup.start();
        // A poison request crashes every lifetime: the supervisor restarts until the circuit opens.
        for (let i = 0; i < 10 && sup.state !== "circuit_open"; i++) {
          const p = await sup.ready().catch(() => undefined);
          if (!p) break; // the circuit opened meanwhile
          pids.push(p.pid as number);
          await p.clients.kv.get({ key: "crash" }).catch(() => {});
          await p.exited;
          await waitUntil(() => sup.state !== "running", 5000);
        }
        if (!(await waitUntil(() => sup.state === "circuit_open", 10_000)))
          throw new Error(`circuit never opened: ${sup.state} after ${pids.length} crashes`);
        const status = sup.status();
        if (status.circuit.state !== "open") throw new Error(`circuit ${status.circuit.state}`);
        const err = await sup.ready().then(
          () => new Error("ready() succeeded with the circuit open"),
          (e: unknown) => e,
        );
        if (!(err instanceof PlugwireError) || err.code !== ErrorCode.PluginUnavailable)
          throw new Error(`expected PLUGIN_UNAVAILABLE, got ${String(err)}`);
        const survivors = pids.filter(alive);
        if (survivors.length > 0) throw new Error(`crashed lifetimes still alive: ${survivors.join(", ")}`);
        return { outcome: `${pids.length} crashes, circuit open, ${err.code}`, error: err };
      } finally {
        await sup.stop();
      }
    },
  },
  {
    fault: "supervised hang (SIGSTOP) → unhealthy → restart",
    async run(ctx) {
      const sup = supervise(ctx);
      try {
        sup.start();
        const frozen = await sup.ready();
        const pid = frozen.pid as number;
        const restarted = new Promise<number | undefined>((resolve) =>
          sup.on("restarted", (e) => {
            if (e.reason === "unhealthy") resolve(e.pid);
          }),
        );
        // The whole process stops: probes time out, and SIGTERM stays pending — only SIGKILL ends it.
        process.kill(pid, "SIGSTOP");
        const bound = new Promise<undefined>((r) => setTimeout(r, 15_000, undefined).unref());
        const next = await Promise.race([restarted, bound]);
        if (next === undefined) throw new Error(`no restart after the hang: state ${sup.state}`);
        if (next === pid) throw new Error("restarted with the same pid");
        if (!(await waitUntil(() => !alive(pid), 5000))) throw new Error(`the frozen ${pid} is still alive`);
        const fresh = await sup.ready();
        const res = await fresh.clients.kv.get({ key: "k" });
        if (res.value.byteLength !== 0) throw new Error("unexpected value");
        const exit = await frozen.exited;
        return { outcome: `unhealthy → restarted (old pid ${exit.signal ?? exit.code}), new one answers` };
      } finally {
        await sup.stop();
      }
    },
  },
];
