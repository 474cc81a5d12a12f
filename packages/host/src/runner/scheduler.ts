import type { Logger } from "@plugwire/contract";
import { cronParser } from "../lazy/lazy-deps.js";
import { type Clock, sleep, systemClock } from "../supervision/clock.js";

/** The next time `schedule` fires strictly after `afterMs` (cron-parser; 5 fields, or 6 with seconds; UTC). */
export function nextRun(schedule: string, afterMs: number): number {
  return cronParser()
    .parse(schedule, { currentDate: new Date(afterMs), tz: "UTC" })
    .next()
    .getTime();
}

/** One scheduled job: a name, its cron schedule, and the work (given a signal that aborts at shutdown + grace). */
export interface ScheduledJob {
  name: string;
  schedule: string;
  run(signal: AbortSignal): Promise<unknown>;
}

/** Options for {@link runSchedule}. */
export interface ScheduleOptions {
  jobs: readonly ScheduledJob[];
  /** Aborting it stops scheduling; runs in flight get `shutdownGraceMs` to finish, then their signal aborts. */
  signal: AbortSignal;
  /** Default 10 s. */
  shutdownGraceMs?: number;
  clock?: Clock;
  logger: Logger;
}

/**
 * Runs each job on its cron schedule until `signal` aborts. A job never overlaps itself: its next
 * time is computed after its run ends, so fire times missed while it ran are skipped, not queued.
 * Resolves once every job's loop has ended (in-flight runs finished or were cancelled).
 */
export async function runSchedule(options: ScheduleOptions): Promise<void> {
  const clock = options.clock ?? systemClock;
  const graceMs = options.shutdownGraceMs ?? 10_000;
  const { signal, logger } = options;
  const loop = async (job: ScheduledJob) => {
    while (!signal.aborted) {
      const at = nextRun(job.schedule, clock.now());
      if (!(await sleep(clock, at - clock.now(), signal))) break;
      const run = new AbortController();
      const done = new AbortController();
      // At shutdown, the run gets the grace period, then its signal aborts (plugins are then closed).
      const onStop = () =>
        void sleep(clock, graceMs, done.signal).then((expired) => {
          if (expired) run.abort(new Error(`shutdown: run did not finish within ${graceMs} ms`));
        });
      signal.addEventListener("abort", onStop, { once: true });
      try {
        await job.run(run.signal);
      } catch (err) {
        logger.error({ plugin: job.name, error: (err as Error).message }, "scheduled run failed");
      } finally {
        signal.removeEventListener("abort", onStop);
        done.abort();
      }
    }
  };
  // The clock's timers do not keep the process alive; a daemon waiting for its next run must.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  try {
    await Promise.all(options.jobs.map(loop));
  } finally {
    clearInterval(keepAlive);
  }
}
