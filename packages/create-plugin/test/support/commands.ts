import { execFile } from "node:child_process";

/** What a finished command printed. */
export interface CommandResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs `command args` (no shell) in `cwd` with a bound; rejects with everything it printed when it
 * fails or times out (execFile kills it: SIGKILL, so nothing outlives the test).
 */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 120_000,
        killSignal: "SIGKILL",
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) {
          const what = `${command} ${args.join(" ")} (in ${options.cwd})`;
          reject(new Error(`${what} failed: ${error.message}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
        } else resolve({ stdout, stderr });
      },
    );
  });
}

/** This process's environment without the `npm_*` variables the package manager running vitest set. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("npm_")) delete env[key];
  return env;
}

/** The environment a package manager gives the bins it runs: `npm_config_user_agent` names it. */
export function userAgentEnv(pm: "npm" | "pnpm", version: string): NodeJS.ProcessEnv {
  const env = cleanEnv();
  env.npm_config_user_agent = `${pm}/${version} npm/? node/${process.version} ${process.platform} ${process.arch}`;
  return env;
}

/** The lines after "Next steps:" that are indented: the commands create-plugin told the user to run. */
export function parseNextSteps(stdout: string): string[] {
  const after = stdout.split("Next steps:\n")[1];
  if (after === undefined) throw new Error(`no "Next steps:" in:\n${stdout}`);
  const lines = after.split("\n");
  const end = lines.findIndex((l) => !l.startsWith("  "));
  return lines.slice(0, end === -1 ? lines.length : end).map((l) => l.trim());
}
