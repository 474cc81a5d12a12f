import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import {
  applyLocalOverrides,
  createRegistryClient,
  ErrorCode,
  generateSigningKey,
  PlugwireError,
  packageArtifact,
  parseReference,
  pushLayout,
  type RegistryClient,
  type ResolvedSource,
  type ResolveSourceOptions,
  resolvePluginSource,
  signLayout,
} from "../../src/index.js";
import { bundleEntry } from "../artifacts/support/bundle.js";
import { registryAvailable, startRegistry, type TestRegistry } from "../artifacts/support/registry.js";
import { goBin, repoRoot } from "../support/go-fixtures.js";
import type { CaseContext, CaseResult, ChaosCase, ChaosPlugin } from "./matrix.js";
import { type FaultProxy, startFaultProxy } from "./registry-proxy.js";

export { registryAvailable };

const signer = generateSigningKey();
const stranger = generateSigningKey();
/** The real temp dir, captured before cases point TMPDIR at their own. */
const baseTmp = tmpdir();
let bundleDir: string | undefined;
let bundled: Promise<string> | undefined;

/**
 * The SDK chaos plugin as one self-contained .mjs (an artifact carries no node_modules). Built once;
 * call it before the cells (beforeAll): loading the bundler is a one-off RSS step, not a case's leak.
 */
export function tsBundle(): Promise<string> {
  bundleDir ??= mkdtempSync(join(baseTmp, "pwc-bundle-"));
  const out = join(bundleDir, "chaos-plugin.mjs");
  bundled ??= bundleEntry(join(repoRoot, "packages/host/test/fixtures/chaos-plugin.mjs"), out).then(
    () => out,
  );
  return bundled;
}

/** Removes the cached bundle (afterAll). */
export function disposeArtifactFixtures(): void {
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
}

/** What an artifact fault works with: a registry behind a fault proxy, and a plugin running v1. */
interface ArtifactEnv {
  ctx: CaseContext;
  registry: TestRegistry;
  proxy: FaultProxy;
  client: RegistryClient;
  area: string;
  stagingRoot: string;
  repo: string;
  /** Resolve options for the case's plugin (id = the plugin name). */
  opts(extra?: Partial<ResolveSourceOptions>): ResolveSourceOptions;
  /** Packages, signs (with `key`) and pushes `tag`: the chaos plugin, or a script printing `text`. */
  publish(tag: string, options?: { text?: string; key?: string }): Promise<void>;
  v1: ResolvedSource;
  running: ChaosPlugin;
}

/** One artifact fault: `prepare` stages it (before the snapshot), `deliver` meets it. */
interface ArtifactFault {
  fault: string;
  /** Plugin id and repository: `<name>-<lang>`. */
  name: string;
  prepare?(env: ArtifactEnv): Promise<void>;
  deliver(env: ArtifactEnv): Promise<{ outcome: string; resolved?: ResolvedSource; error?: unknown }>;
}

/** Every file under `dir` (path, size, mtime), skipping `skip` subtrees: what "written" means. */
function snapshot(dir: string, skip: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (skip.includes(p)) continue;
      const st = statSync(p);
      out.set(relative(dir, p), st.isDirectory() ? "dir" : `${st.size}@${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

function diff(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [p, v] of after) if (before.get(p) !== v) out.push(`written outside the staging root: ${p}`);
  for (const p of before.keys()) if (!after.has(p)) out.push(`removed outside the staging root: ${p}`);
  return out;
}

/**
 * Runs an artifact fault: v1 of the chaos plugin is delivered from a real registry (through the
 * proxy) and launched; then the fault. Invariants: nothing written outside the staging root (the
 * case's whole TMPDIR snapshotted around it, the registry's storage aside), no new version staged,
 * a fallback is last-known-good v1 and launches, and the running plugin still answers.
 */
async function runArtifactFault(ctx: CaseContext, f: ArtifactFault): Promise<CaseResult> {
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = ctx.tmp; // anything the delivery code puts in os.tmpdir() lands in the snapshot
  const area = mkdtempSync(join(ctx.tmp, "area-"));
  const stagingRoot = join(area, "staging");
  mkdirSync(stagingRoot);
  const registry = await startRegistry("none");
  const proxy = await startFaultProxy(registry.host);
  const client = createRegistryClient({ timeoutMs: 5000 });
  const repo = ctx.name.toLowerCase();
  let running: ChaosPlugin | undefined;
  try {
    const publish: ArtifactEnv["publish"] = async (tag, { text, key = signer.privateKeyPem } = {}) => {
      const dir = mkdtempSync(join(area, "pub-"));
      const entry = text === undefined ? await pluginEntry(ctx) : join(dir, "plugin");
      if (text !== undefined) writeFileSync(join(dir, "plugin"), `#!/bin/sh\necho ${text}\n`);
      const runtime = text === undefined && ctx.lang === "ts" ? ("node" as const) : undefined;
      await packageArtifact(join(dir, "layout"), {
        name: repo,
        version: tag,
        platforms: [{ platform: "any", entry, ...(runtime ? { runtime } : {}) }],
      });
      await signLayout(join(dir, "layout"), key);
      await pushLayout(client, join(dir, "layout"), parseReference(`${registry.host}/${repo}:${tag}`));
    };
    const opts = (extra: Partial<ResolveSourceOptions> = {}): ResolveSourceOptions => ({
      id: ctx.name,
      stagingRoot,
      client,
      keys: [signer.publicKeyPem],
      policy: { requireSignature: true },
      config: { v: "1" },
      ...extra,
    });
    await publish("1");
    const v1 = await resolvePluginSource(`${proxy.host}/${repo}:1`, opts());
    running = await ctx.host.launch({ name: ctx.name, command: v1.command, args: v1.args, env: ctx.env });
    await running.ping();
    const env: ArtifactEnv = {
      ctx,
      registry,
      proxy,
      client,
      area,
      stagingRoot,
      repo,
      opts,
      publish,
      v1,
      running,
    };
    await f.prepare?.(env);
    const versionsDir = join(stagingRoot, ctx.name, "versions");
    const versionsBefore = readdirSync(versionsDir);
    const skip = [stagingRoot, join(registry.storage, "..")];
    const before = snapshot(ctx.tmp, skip);
    const { outcome, resolved, error } = await f.deliver(env);
    const problems = diff(before, snapshot(ctx.tmp, skip));
    if (readdirSync(versionsDir).join() !== versionsBefore.join())
      problems.push(`staged versions changed: ${readdirSync(versionsDir).join(", ")}`);
    const leftovers = readdirSync(join(stagingRoot, ctx.name)).filter((n) => n.startsWith(".staging-"));
    if (leftovers.length > 0) problems.push(`partial staging left: ${leftovers.join(", ")}`);
    if (resolved) {
      if (resolved.command !== v1.command || resolved.args.join() !== v1.args.join())
        problems.push(`fallback is not last-known-good v1: ${resolved.command}`);
      // Last-known-good launches: a second process from the fallback spec answers too.
      const again = await ctx.host.launch({
        name: ctx.name,
        command: resolved.command,
        args: resolved.args,
        env: ctx.env,
      });
      await again.ping();
      await again.close();
    }
    await running.ping(); // the plugin started from v1 kept running through the fault
    if (problems.length > 0) throw new Error(problems.join("; "));
    return { outcome, ...(error === undefined ? {} : { error }) };
  } finally {
    await running?.close();
    await proxy.close();
    await registry.stop();
    rmSync(area, { recursive: true, force: true });
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  }
}

async function pluginEntry(ctx: CaseContext): Promise<string> {
  return ctx.lang === "go" ? goBin("chaos-plugin") : tsBundle();
}

/** A delivery of `tag` that must fall back to last-known-good with `code`. */
async function fallsBack(
  env: ArtifactEnv,
  tag: string,
  code: string,
  extra: Partial<ResolveSourceOptions> = {},
) {
  const resolved = await resolvePluginSource(`${env.proxy.host}/${env.repo}:${tag}`, env.opts(extra));
  const err = resolved.fallback?.error;
  if (!err) throw new Error(`v${tag} was delivered, but the fault should have failed it`);
  if (err.code !== code) throw new Error(`expected ${code}, got ${err.code}: ${err.message}`);
  return { outcome: `${code} (${err.details.failure}) → last-known-good v1 runs`, resolved, error: err };
}

const faults: ArtifactFault[] = [
  {
    fault: "tampered bytes",
    name: "tampered",
    async prepare(env) {
      const marker = `tampered-${env.repo}`;
      await env.publish("2", { text: marker });
      const blobs = join(env.registry.storage, "docker/registry/v2/blobs/sha256");
      let flipped = 0;
      for (const prefix of readdirSync(blobs))
        for (const hex of readdirSync(join(blobs, prefix))) {
          const data = join(blobs, prefix, hex, "data");
          const text = readFileSync(data, "latin1");
          if (!text.includes(marker)) continue;
          writeFileSync(data, text.replace(marker, marker.toUpperCase()), "latin1");
          flipped++;
        }
      if (flipped !== 1) throw new Error(`expected one layer to tamper with, found ${flipped}`);
    },
    deliver: (env) => fallsBack(env, "2", ErrorCode.ChecksumMismatch),
  },
  {
    fault: "wrong signature",
    name: "signature",
    prepare: (env) => env.publish("2", { text: "unsigned-by-us", key: stranger.privateKeyPem }),
    deliver: (env) => fallsBack(env, "2", ErrorCode.SignatureInvalid),
  },
  {
    fault: "traversal ids",
    name: "traversal",
    async prepare(env) {
      writeFileSync(
        join(env.area, "plugins.local.json"),
        JSON.stringify({ plugins: [{ id: "../../escape", source: "/bin/sh" }] }),
      );
    },
    async deliver(env) {
      const requests = env.proxy.served.pass;
      for (const id of ["..", "../x", "a/b", "../../escape", ""]) {
        const err = await resolvePluginSource(`${env.proxy.host}/${env.repo}:1`, env.opts({ id })).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (!(err instanceof PlugwireError) || err.code !== ErrorCode.UnsafePath || err.plugin !== id)
          throw new Error(`id ${JSON.stringify(id)}: expected UNSAFE_PATH naming it, got ${String(err)}`);
      }
      if (env.proxy.served.pass !== requests) throw new Error("an unsafe id reached the network");
      const assignment = { id: env.ctx.name, source: `${env.proxy.host}/${env.repo}:1` };
      const patched = await applyLocalOverrides([assignment], join(env.area, "plugins.local.json"));
      if (patched.warnings.map((w) => w.code).join() !== ErrorCode.UnsafePath)
        throw new Error(`override warnings: ${patched.warnings.map((w) => w.message).join("; ")}`);
      if (JSON.stringify(patched.assignments) !== JSON.stringify([assignment]))
        throw new Error("the unsafe override changed the assignments");
      return { outcome: `${ErrorCode.UnsafePath} before any I/O; override warned, ignored` };
    },
  },
  {
    fault: "malformed override file",
    name: "override",
    prepare: async (env) => writeFileSync(join(env.area, "plugins.local.json"), "{ not json"),
    async deliver(env) {
      const assignment = { id: env.ctx.name, source: `${env.proxy.host}/${env.repo}:1` };
      const patched = await applyLocalOverrides([assignment], join(env.area, "plugins.local.json"));
      const warning = patched.warnings[0];
      if (!(warning instanceof PlugwireError) || warning.code !== ErrorCode.ConfigInvalid)
        throw new Error(`expected a CONFIG_INVALID warning, got ${String(warning)}`);
      const again = await resolvePluginSource(assignment.source, env.opts());
      if (again.digest !== env.v1.digest || again.fallback) throw new Error("v1 no longer resolves");
      return { outcome: `${ErrorCode.ConfigInvalid} warning, assignment unchanged, v1 runs` };
    },
  },
  {
    fault: "registry 500s",
    name: "registry500",
    prepare: (env) => env.publish("2", { text: "never-fetched" }),
    async deliver(env) {
      env.proxy.mode = "500";
      return fallsBack(env, "2", ErrorCode.FetchFailed);
    },
  },
  {
    fault: "registry timeout (no answer)",
    name: "timeout",
    prepare: (env) => env.publish("2", { text: "never-fetched" }),
    async deliver(env) {
      env.proxy.mode = "hang";
      return fallsBack(env, "2", ErrorCode.Timeout, { client: createRegistryClient({ timeoutMs: 300 }) });
    },
  },
  {
    fault: "slow-drip response",
    name: "drip",
    prepare: (env) => env.publish("2", { text: "dripped" }),
    async deliver(env) {
      env.proxy.mode = "drip";
      return fallsBack(env, "2", ErrorCode.Timeout, { deadlineMs: 1000 });
    },
  },
];

/** The artifact faults as matrix rows (each needs Debian's docker-registry). */
export const artifactFaults: ChaosCase[] = faults.map((f) => ({
  fault: `artifact: ${f.fault}`,
  name: f.name,
  run: (ctx) => runArtifactFault(ctx, f),
}));
