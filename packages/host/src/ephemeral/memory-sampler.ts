import { readdir, readFile } from "node:fs/promises";

/** Samples a process group's memory until stopped. */
export interface MemorySampler {
  /** Takes one sample now (also runs on the interval). */
  sample(): Promise<void>;
  /** Stops sampling; the peak seen, in bytes, or undefined if none was taken. */
  stop(): number | undefined;
  /** Peak so far. */
  readonly peakBytes: number | undefined;
}

/**
 * Peak memory of a process group from the real process table: each sample sums `VmHWM` (the
 * kernel's per-process resident high-water mark, so spikes between samples still count) over the
 * live members of the group (`pgrp` in /proc/<pid>/stat), and the largest sum is kept. Linux only:
 * elsewhere the peak stays undefined.
 */
export function startMemorySampler(pgid: number, intervalMs = 100): MemorySampler {
  let peak: number | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const sample = (): Promise<void> => {
    running ??= groupHighWater(pgid)
      .then((bytes) => {
        if (!stopped && bytes !== undefined) peak = Math.max(peak ?? 0, bytes);
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void sample(), intervalMs);
  timer.unref();
  void sample();
  return {
    sample,
    stop() {
      stopped = true;
      clearInterval(timer);
      return peak;
    },
    get peakBytes() {
      return peak;
    },
  };
}

/** Sum of VmHWM over the live members of group `pgid`, or undefined if none is readable. */
export async function groupHighWater(pgid: number): Promise<number | undefined> {
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return undefined;
  }
  let total: number | undefined;
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (pid) => {
        try {
          const stat = await readFile(`/proc/${pid}/stat`, "utf8");
          // Fields after the last ")" (comm may hold spaces): state, ppid, pgrp, …
          const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
          if (pgrp !== pgid) return;
          const status = await readFile(`/proc/${pid}/status`, "utf8");
          const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
          if (kb !== undefined) total = (total ?? 0) + Number(kb) * 1024;
        } catch {
          // raced with an exit
        }
      }),
  );
  return total;
}
