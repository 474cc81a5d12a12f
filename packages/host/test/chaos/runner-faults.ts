import { join } from "node:path";
import { KnownHandshakes, runner } from "@plugwire/contract";
import {
  createMemorySink,
  createRunnerClient,
  type LaunchOptions,
  type Plugin,
  PluginHost,
  RUNNER_VERSIONS,
  type RunnerClient,
  silentLogger,
} from "../../src/index.js";
import { goBin, repoRoot } from "../support/go-fixtures.js";
import { alive, waitUntil } from "../support/leaks.js";
import { checkEvidence, checkTypedError } from "./invariants.js";
import type { CaseContext, ChaosCase, Lang } from "./matrix.js";

/** A small seeded PRNG (mulberry32): the same CHAOS_SEED replays the same kills. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The runner fixture of `lang`: one CreateEvidence per policy path, evidence titled by the path. */
function runnerCommand(lang: Lang): Pick<LaunchOptions, "command" | "args"> {
  return lang === "go"
    ? { command: goBin("runner-plugin"), args: ["--protocol", "1"] }
    : { command: process.execPath, args: [join(repoRoot, "packages/host/test/fixtures/chaos-runner.mjs")] };
}

const POLICIES_PER_EVAL = 3;
/** Share of Evals that get a SIGKILL fired at a random moment of them. */
const KILL_RATE = 0.03;

/**
 * Random SIGKILLs of a runner plugin during `CHAOS_EVALS` (default 1,000) Evals, each sending three
 * evidence in three CreateEvidence calls. A kill fires after a seeded random delay within the typical
 * Eval time, so it lands before, between or after the CreateEvidence calls; the killed plugin is
 * relaunched and configured again. Invariants: every Eval answers SUCCESS or fails with an error
 * naming the plugin; each SUCCESS Eval's evidence is in the sink exactly once; a failed Eval left none.
 */
export const runnerKills: ChaosCase = {
  fault: "random kills during runner evals (evidence)",
  async run(ctx: CaseContext) {
    const seed = Number(process.env.CHAOS_SEED ?? 9);
    const total = Number(process.env.CHAOS_EVALS ?? 1000);
    const random = seededRandom(seed);
    const host = new PluginHost({
      handshake: KnownHandshakes.runner,
      versions: RUNNER_VERSIONS,
      logger: silentLogger,
      socketRoot: ctx.socketRoot,
    });
    const sink = createMemorySink();
    const env = { ...ctx.env, RUNNER_BATCH: "1" };
    const start = async (): Promise<{ plugin: Plugin; client: RunnerClient }> => {
      const plugin = await host.launch({ name: ctx.name, ...runnerCommand(ctx.lang), env });
      const client = createRunnerClient(plugin, { protocol: 1, sink });
      await client.configure({});
      return { plugin, client };
    };
    const succeeded = new Map<string, string[]>();
    const failed = new Map<string, string[]>();
    const violations: string[] = [];
    let kills = 0;
    let evalMs = 2; // running mean of an Eval: kills are spread over it
    try {
      let { plugin, client } = await start();
      for (let i = 0; i < total; i++) {
        const ids = Array.from({ length: POLICIES_PER_EVAL }, (_, k) => `e${i}-p${k}`);
        const victim = plugin.pid as number;
        const kill =
          random() < KILL_RATE
            ? new Promise<void>((resolve) =>
                setTimeout(
                  () => {
                    process.kill(victim, "SIGKILL");
                    resolve();
                  },
                  random() * evalMs * 1.5,
                ),
              )
            : undefined;
        const began = performance.now();
        try {
          const res = await client.eval(ids, { signal: AbortSignal.timeout(10_000) });
          if (res.status === runner.ExecutionStatus.SUCCESS) succeeded.set(`e${i}`, ids);
          else failed.set(`e${i}`, ids);
          evalMs = evalMs * 0.9 + (performance.now() - began) * 0.1;
        } catch (err) {
          failed.set(`e${i}`, ids);
          const bad = checkTypedError(err, ctx.name);
          if (bad) violations.push(`eval e${i}: ${bad}`);
          if (!kill) violations.push(`eval e${i} failed without a kill: ${(err as Error).message}`);
        }
        if (kill) {
          // A kill landing after the answer still ends the plugin: wait for it, then start over.
          kills++;
          await kill;
          await plugin.exited;
          ({ plugin, client } = await start());
        }
        if (violations.length > 10) break;
      }
      await plugin.close();
      if (!(await waitUntil(() => !alive(plugin.pid as number), 3000)))
        violations.push("plugin outlived close");
    } finally {
      await host.close();
    }
    const received = sink.evidence().map((e) => e.Title.replace(/^Evidence for /, ""));
    violations.push(...checkEvidence(succeeded, received, failed));
    if (kills > 0 && failed.size === 0) violations.push(`${kills} kills, none landed inside an Eval`);
    if (succeeded.size + failed.size !== total)
      violations.push(`${succeeded.size + failed.size} of ${total} evals ran`);
    if (violations.length > 0) throw new Error(violations.join("; "));
    return {
      outcome: `seed ${seed}: ${total} evals, ${kills} kills, ${failed.size} failed (0 evidence kept), ${received.length} evidence exactly once`,
    };
  },
};
