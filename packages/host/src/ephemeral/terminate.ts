import { groupAlive, signalGroup } from "../process/process-group.js";

/**
 * Ends a process group the way a wall-clock timeout or a cancel must: SIGTERM to the whole group,
 * up to `graceMs` for `exited`, then SIGKILL to whatever is left. Resolves with the signal that ended
 * it (`SIGKILL` when the grace ran out).
 */
export async function terminateGroup(
  pid: number,
  exited: Promise<unknown>,
  graceMs: number,
): Promise<"SIGTERM" | "SIGKILL"> {
  signalGroup(pid, "SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const graceful = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (graceful && !groupAlive(pid)) return "SIGTERM";
  signalGroup(pid, "SIGKILL");
  return "SIGKILL";
}
