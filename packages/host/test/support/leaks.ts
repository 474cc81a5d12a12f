// What tests leave behind: live descendant processes and open fds, read from /proc. Shared by the
// tests of every package (plugin-sdk, create-plugin and the examples import it from here).
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { afterEach, expect } from "vitest";

/** Pids of every live descendant of `root` (walks /proc: the real process table). */
export function descendants(root: number = process.pid): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Field 2 (comm) may contain spaces and parens; fields after the last ")" are fixed.
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (rest[0] === "Z") continue; // zombies are dead, awaiting their reaper
      parent.set(Number(entry), Number(rest[1]));
    } catch {
      // raced with an exit
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    for (const [pid, ppid] of parent) {
      if (ppid === p) {
        out.push(pid);
        queue.push(pid);
      }
    }
  }
  return out;
}

/** Open file descriptors of this process. */
export function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/** Open unix sockets and other fds, by target, for debugging leaks. */
export function fdTargets(): string[] {
  return readdirSync("/proc/self/fd").map((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return "?";
    }
  });
}

/** True while `pid` exists (and is not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/**
 * Polls `predicate` until it holds or `timeoutMs` passes. Polling a real condition with a bound —
 * not a sleep standing in for synchronisation.
 */
export async function waitUntil(
  predicate: () => boolean,
  timeoutMs: number,
  intervalMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return predicate();
}

/** Something a test opened: `close` it after the test, then `check` what it left behind. */
export interface TestResource {
  close(): Promise<void>;
  check(): void;
}

/**
 * Registers an `afterEach` that closes every resource of the test, waits (bounded) until no
 * descendant process is left, then checks each resource. Everything is closed before anything is
 * checked: one host's idle zygote (prespawn) is a live process until that host closes, and must not
 * count against another host of the same test. Returns the function that adds a resource.
 */
export function closeAfterEach(timeoutMs: number): (resource: TestResource) => void {
  const open: TestResource[] = [];
  afterEach(async () => {
    const pending = open.splice(0);
    if (pending.length === 0) return;
    for (const r of pending) await r.close();
    const gone = await waitUntil(() => descendants().length === 0, timeoutMs);
    for (const r of pending) r.check();
    expect(gone, `processes left behind: ${descendants().join(", ")}`).toBe(true);
  });
  return (resource) => open.push(resource);
}
