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

/** Group id → the peak-keeping callbacks of its samplers. */
const watched = new Map<number, Set<(bytes: number) => void>>();
/** The newest scan of the process table, shared by every sampler of this process. */
let lastScan: { startedAt: number; done: Promise<void> } | undefined;

/**
 * One walk of /proc for every watched group at once. Finding a group's members means reading every
 * process's stat, so a scan per sampler made N supervised plugins cost N × (all processes) reads per
 * interval (measured: 120 supervised plugins starved the host's thread pool until launches timed
 * out); one shared scan costs one read per process whatever the number of samplers. A scan younger
 * than `maxAgeMs` (finished or still running) is reused.
 */
function scanWatched(maxAgeMs: number): Promise<void> {
  const now = performance.now();
  if (lastScan && now - lastScan.startedAt <= maxAgeMs) return lastScan.done;
  const done = groupsHighWater((pgrp) => watched.has(pgrp)).then((totals) => {
    for (const [pgid, bytes] of totals) for (const keep of watched.get(pgid) ?? []) keep(bytes);
  });
  lastScan = { startedAt: now, done };
  return done;
}

/**
 * Peak memory of a process group from the real process table: each sample sums `VmHWM` (the
 * kernel's per-process resident high-water mark, so spikes between samples still count) over the
 * live members of the group (`pgrp` in /proc/<pid>/stat), and the largest sum is kept. Every
 * sampler of the host shares one scan of the table per half interval. Linux only: elsewhere the
 * peak stays undefined.
 */
export function startMemorySampler(pgid: number, intervalMs = 100): MemorySampler {
  let peak: number | undefined;
  const keep = (bytes: number) => {
    peak = Math.max(peak ?? 0, bytes);
  };
  const members = watched.get(pgid) ?? new Set();
  watched.set(pgid, members);
  members.add(keep);
  const timer = setInterval(() => void scanWatched(intervalMs / 2), intervalMs);
  timer.unref();
  void scanWatched(intervalMs / 2);
  return {
    // An explicit sample is a fresh one (the run's last, after its leader exited).
    sample: () => (members.has(keep) ? scanWatched(0) : Promise.resolve()),
    stop() {
      clearInterval(timer);
      members.delete(keep);
      if (members.size === 0 && watched.get(pgid) === members) watched.delete(pgid);
      return peak;
    },
    get peakBytes() {
      return peak;
    },
  };
}

/** Sum of VmHWM over the live members of group `pgid`, or undefined if none is readable. */
export async function groupHighWater(pgid: number): Promise<number | undefined> {
  return (await groupsHighWater((pgrp) => pgrp === pgid)).get(pgid);
}

/** Sum of VmHWM per process group, for the groups `wanted` picks, over one walk of /proc. */
async function groupsHighWater(wanted: (pgrp: number) => boolean): Promise<Map<number, number>> {
  const totals = new Map<number, number>();
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return totals;
  }
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (pid) => {
        try {
          const stat = await readFile(`/proc/${pid}/stat`, "utf8");
          // Fields after the last ")" (comm may hold spaces): state, ppid, pgrp, …
          const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
          if (!wanted(pgrp)) return;
          const status = await readFile(`/proc/${pid}/status`, "utf8");
          const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
          if (kb !== undefined) totals.set(pgrp, (totals.get(pgrp) ?? 0) + Number(kb) * 1024);
        } catch {
          // raced with an exit
        }
      }),
  );
  return totals;
}
