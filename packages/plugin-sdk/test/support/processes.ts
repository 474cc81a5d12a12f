// Spawns and reaps the SDK tests' own child processes. Checks on what is left behind (live pids,
// open fds, bounded polling) are shared with the other packages' tests: packages/host/test/support/leaks.ts.
import { type ChildProcess, spawn } from "node:child_process";

/** Every child spawned through {@link run} or {@link track}, so afterEach can reap stragglers. */
const children = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Kills what is still running and reports how many there were (tests assert 0). */
export async function reapAll(): Promise<number> {
  const left = [...children];
  for (const child of left) child.kill("SIGKILL");
  await Promise.all(
    left.map(
      (c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(0) : c.once("exit", r))),
    ),
  );
  return left.length;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion with a bound, collecting its output. */
export function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const child = track(
    spawn(command, [...args], { env: options.env, cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] }),
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (s: string) => {
    stdout += s;
  });
  child.stderr?.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
