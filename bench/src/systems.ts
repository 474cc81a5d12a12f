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
  tsKvBundled: join(repoRoot, "bench/dist/bundle/kv-plugin.cjs"),
};

const probe = join(dirname(fileURLToPath(import.meta.url)), "probe.js");

/** Runs a command that prints one JSON line; rejects with its stderr when it fails. */
export function runJson(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, unknown>> {
  return new Promise((resolvePromise, reject) => {
    const options = { timeout: 300_000, maxBuffer: 16 * 2 ** 20, env };
    execFile(command, args, options, (err, stdout, stderr) => {
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

/** How a probe process runs: extra Node flags, and the environment it (and its plugins) get. */
export interface ProbeOptions {
  nodeFlags?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** plugwire's host (or a grpc-js client), in a fresh Node process. */
export const nodeProbe = (
  mode: string,
  plugin: string,
  flags: readonly string[] = [],
  options: ProbeOptions = {},
) =>
  runJson(
    process.execPath,
    [...(options.nodeFlags ?? []), probe, mode, ...(plugin ? ["--plugin", plugin] : []), ...flags],
    options.env,
  );

/**
 * Node 20 reads the file `NODE_EXTRA_CA_CERTS` names when a process starts, before any script runs
 * (~40 ms for Debian's CA bundle on the bench machine; nodejs/node#40524): every TS plugin pays it
 * when the host's environment sets it, as some CI and corporate machines do. The environment
 * without it, for the rows that show a TS plugin's start on a default Node install; undefined when
 * it is not set.
 */
export const envWithoutExtraCaCerts = (): NodeJS.ProcessEnv | undefined =>
  process.env.NODE_EXTRA_CA_CERTS
    ? Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "NODE_EXTRA_CA_CERTS"))
    : undefined;

/** The environment with the bundled plugin's V8 code cache off (@plugwire/plugin-sdk/build). */
export const envWithoutCodeCache = (): NodeJS.ProcessEnv => ({ ...process.env, PLUGWIRE_CODE_CACHE: "off" });
