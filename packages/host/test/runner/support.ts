// Shared pieces of the runner tests: what a Go agent (conformance/agent-host) received from a plugin,
// used as the reference the host's sink must match field by field.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonValue } from "@bufbuild/protobuf";
import { goBin } from "../support/go-fixtures.js";

/** Runs conformance/bin/agent-host (go-plugin v1.8 client, new ApiHelper broker server per call). */
export async function goAgent(
  plugin: string,
  protocol: 1 | 2,
  config: Record<string, string>,
  policies: string[],
  env: Record<string, string> = {},
): Promise<{ evidence: JsonValue[]; initUnimplemented: boolean; status: string }> {
  const dir = mkdtempSync(join(tmpdir(), "pw-agent-"));
  const args = ["--plugin", plugin, "--protocol", String(protocol)];
  for (const [k, v] of Object.entries(config)) args.push("--config", `${k}=${v}`);
  for (const p of policies) args.push("--policy", p);
  try {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        goBin("agent-host"),
        args,
        { env: { ...process.env, ...env, PLUGIN_UNIX_SOCKET_DIR: dir, TMPDIR: dir }, timeout: 60_000 },
        (err, out, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(out)),
      ),
    );
    return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
