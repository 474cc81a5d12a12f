// The compared systems: each measurement runs in a fresh process, the Go host
// (conformance/bin/bench-host) or our probe (probe.ts), and answers with one JSON line.
import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is bench/dist/bench/src/systems.js once built). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

/** Executables under test. */
export const bins = {
  benchHost: join(repoRoot, "conformance/bin/bench-host"),
  goKv: join(repoRoot, "conformance/bin/kv-plugin"),
  goCounter: join(repoRoot, "conformance/bin/counter-plugin"),
  tsKv: join(repoRoot, "examples/go-plugin-kv/bin/kv-plugin"),
  /** The same TS plugin bundled into one file by run.ts (bundle.ts), the shape create-plugin ships. */
  tsKvBundled: join(repoRoot, "bench/dist/bundle/kv-plugin.mjs"),
};

const probe = join(dirname(fileURLToPath(import.meta.url)), "probe.js");

/** Runs a command that prints one JSON line; rejects with its stderr when it fails. */
export function runJson(
  command: string,
  args: readonly string[],
  timeoutMs = 300_000,
): Promise<Record<string, unknown>> {
  return new Promise((resolvePromise, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      const line = stdout.trim().split("\n").pop() ?? "";
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {}
      if (err || parsed?.ok !== true) {
        reject(new Error(`${command} ${args.join(" ")} failed: ${parsed?.error ?? err?.message}\n${stderr}`));
      } else resolvePromise(parsed);
    });
  });
}

/** go-plugin v1.8's Go host (conformance/cmd/bench-host). */
export const goHost = (mode: string, plugin: string, flags: readonly string[] = []) =>
  runJson(bins.benchHost, [mode, "--plugin", plugin, ...flags]);

/** plugwire's host (or a grpc-js client), in a fresh Node process. */
export const nodeProbe = (
  mode: string,
  plugin: string,
  flags: readonly string[] = [],
  nodeFlags: readonly string[] = [],
) => runJson(process.execPath, [...nodeFlags, probe, mode, "--plugin", plugin, ...flags]);
