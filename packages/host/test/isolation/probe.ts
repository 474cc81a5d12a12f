import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KV } from "../../../../examples/go-plugin-kv/src/gen/kv/kv_pb.js";
import type { Plugin } from "../../src/index.js";
import { repoRoot } from "../support/go-fixtures.js";

/** Services of go-plugin's KV example, which the Go kv-plugin, the TS kv-plugin and the probe serve. */
export const versions = { 1: { kv: KV } };
export type KvPlugin = Plugin<typeof versions>;

/** The probe plugin (a TS SDK plugin that misbehaves on request; see the fixture's header). */
export const probePlugin = join(repoRoot, "packages/host/test/fixtures/isolation/probe-plugin.mjs");
/** go-plugin's KV example in TypeScript. */
export const tsKvPlugin = join(repoRoot, "examples/go-plugin-kv/bin/kv-plugin");

/** The real environment of a running process, from /proc (what the kernel gave it at exec). */
export function environOf(pid: number): Record<string, string> {
  const raw = readFileSync(`/proc/${pid}/environ`, "utf8");
  const env: Record<string, string> = {};
  for (const pair of raw.split("\0").filter(Boolean)) {
    const at = pair.indexOf("=");
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

/** Calls the probe's `put` (errors are returned, not thrown, so tests can assert on them). */
export async function put(plugin: KvPlugin, key: string, value = ""): Promise<unknown> {
  try {
    await plugin.clientsFor(1)?.kv.put({ key, value: new TextEncoder().encode(value) });
    return undefined;
  } catch (err) {
    return err;
  }
}

/** Calls the probe's `get` and decodes the answer. */
export async function get(plugin: KvPlugin, key: string): Promise<string> {
  const res = await plugin.clientsFor(1)?.kv.get({ key });
  return new TextDecoder().decode(res?.value);
}
