// @plugwire/plugin-sdk/build: the one-file executable create-plugin ships, with and without its V8
// code cache, run for real — by @plugwire/host and by a go-plugin v1.8 Go host.
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { create } from "@bufbuild/protobuf";
import { ErrorCode, PlugwireError } from "@plugwire/contract";
import { type IsolationOptions, PluginHost, silentLogger } from "@plugwire/host";
import { bundlePlugin } from "@plugwire/plugin-sdk/build";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GetRequestSchema, KV } from "../../../../examples/go-plugin-kv/src/gen/kv/kv_pb.js";
import { conformanceBin, prepareConformance, repoRoot } from "../support/conformance.js";
import { reapAll, run } from "../support/processes.js";

const dir = mkdtempSync(join(tmpdir(), "pw-bundle-"));
const cacheDir = join(dir, "code-cache");
const kvEntry = join(repoRoot, "examples/go-plugin-kv/bin/kv-plugin");
const kvBundle = join(dir, "kv-plugin.mjs");
// The same plugin with a CommonJS loader (what create-plugin ships for executables), and its own cache.
const kvBundleCjs = join(dir, "kv-plugin.cjs");
const cacheDirCjs = join(dir, "code-cache-cjs");
let skipGo: string | undefined;

beforeAll(async () => {
  for (const outfile of [kvBundle, kvBundleCjs]) {
    expect(await bundlePlugin({ entry: kvEntry, outfile })).toEqual({ outfile, codeCache: true });
  }
  const loader = readFileSync(kvBundleCjs, "utf8");
  expect(loader.startsWith("#!/usr/bin/env node\n")).toBe(true);
  expect(loader).toContain('\nconst vm = require("node:vm");\n');
  skipGo = await prepareConformance(["kv-host"]);
});
afterEach(async () => {
  expect(await reapAll()).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Launches `command` once under a PluginHost: the Get answer and the code cache's trace line. */
async function launchOnce(command: string, env: Record<string, string> = {}, isolation?: IsolationOptions) {
  const lines: string[] = [];
  await using host = new PluginHost({
    handshake: { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" },
    versions: { 1: { kv: KV } },
    logger: silentLogger,
  });
  const plugin = await host.launch({
    name: "bundled",
    command,
    env: { PLUGWIRE_CODE_CACHE_DIR: cacheDir, ...env },
    onStderrLine: (line) => lines.push(line),
    ...(isolation ? { isolation } : {}),
  });
  await plugin.clients.kv.put({ key: "k", value: new TextEncoder().encode("v") });
  const got = new TextDecoder().decode(
    (await plugin.clients.kv.get(create(GetRequestSchema, { key: "k" }))).value,
  );
  // A graceful stop: the loader writes a missing cache on exit, and the plugin still exits 0.
  expect(await plugin.close()).toMatchObject({ code: 0, forced: false });
  const trace = lines
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l["@message"] === "plugin code cache");
  return { got, cache: trace?.cache };
}

const cacheFiles = (inDir = cacheDir) =>
  readdirSync(inDir, { withFileTypes: true }).filter((e) => e.name.endsWith(".v8"));

describe("bundlePlugin with a code cache", () => {
  for (const [format, bundle, cache] of [
    ["ES module loader (.mjs)", kvBundle, cacheDir],
    ["CommonJS loader (.cjs)", kvBundleCjs, cacheDirCjs],
  ] as const) {
    it(`${format}: compiles without a cache once, leaves one (0600 in a 0700 directory), and uses it after`, async () => {
      const env = { PLUGWIRE_CODE_CACHE_DIR: cache };
      expect(await launchOnce(bundle, env)).toEqual({ got: "v", cache: "missing" });
      const [file] = cacheFiles(cache);
      expect(file?.name).toMatch(new RegExp(`^[0-9a-f]{32}-${process.version}-${process.arch}\\.v8$`));
      const path = join(cache, file?.name as string);
      expect(readFileSync(path).byteLength).toBeGreaterThan(10_000);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(cache).mode & 0o777).toBe(0o700);
      expect(await launchOnce(bundle, env)).toEqual({ got: "v", cache: "hit" });
    });
  }

  it("a damaged cache is rejected by V8 and replaced; a cache others can write, or a link, is never used", async () => {
    await launchOnce(kvBundle);
    const path = join(cacheDir, cacheFiles()[0]?.name as string);
    writeFileSync(path, Buffer.alloc(4096, 7));
    expect(await launchOnce(kvBundle)).toEqual({ got: "v", cache: "rejected" });
    expect(await launchOnce(kvBundle)).toEqual({ got: "v", cache: "hit" });
    chmodSync(path, 0o666);
    expect(await launchOnce(kvBundle)).toEqual({ got: "v", cache: "unsafe" });
    rmSync(path);
    // A symlink in its place is not followed, and the rewrite replaces the link, not its target.
    const target = join(dir, "not-a-cache");
    writeFileSync(target, "precious");
    symlinkSync(target, path);
    expect(await launchOnce(kvBundle)).toEqual({ got: "v", cache: "missing" });
    expect(readFileSync(target, "utf8")).toBe("precious");
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(await launchOnce(kvBundle)).toEqual({ got: "v", cache: "hit" });
  });

  it("PLUGWIRE_CODE_CACHE=off, or no cache directory at all, compiles without one", async () => {
    expect(await launchOnce(kvBundle, { PLUGWIRE_CODE_CACHE: "off" })).toEqual({ got: "v", cache: "off" });
    expect(
      await launchOnce(kvBundle, { PLUGWIRE_CODE_CACHE_DIR: "relative/dir", HOME: "", XDG_CACHE_HOME: "" }),
    ).toEqual({
      got: "v",
      cache: "off",
    });
  });

  it("under the Node permission sandbox, which denies the cache directory, it runs without one", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "pw-bundle-denied-"));
    try {
      const env = { PLUGWIRE_CODE_CACHE_DIR: elsewhere };
      expect(await launchOnce(kvBundle, env, { sandbox: "node" })).toEqual({ got: "v", cache: "missing" });
      expect(readdirSync(elsewhere)).toEqual([]);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it("a go-plugin v1.8 Go host runs either (its stderr trace line is just a log line there)", async (ctx) => {
    if (skipGo) ctx.skip(skipGo);
    for (const bundle of [kvBundle, kvBundleCjs]) {
      const sockets = mkdtempSync(join(dir, "go-"));
      const env = {
        ...process.env,
        PLUGIN_UNIX_SOCKET_DIR: sockets,
        TMPDIR: sockets,
        PLUGWIRE_CODE_CACHE_DIR: cacheDir,
      };
      const res = await run(
        join(conformanceBin, "kv-host"),
        ["--plugin", bundle, "roundtrip", "go", "host"],
        {
          env,
          timeoutMs: 60_000,
        },
      );
      const last = JSON.parse(res.stdout.trim().split("\n").at(-1) ?? "");
      expect(last, bundle).toMatchObject({ ok: true, value: "host" });
      expect(readdirSync(sockets)).toEqual([]);
    }
  });
});

describe("entries a code cache does not fit are bundled plainly, in the outfile's format", () => {
  it("an entry with exports: a module hosts import (or require), with import.meta.url its own", async () => {
    const entry = join(dir, "module-entry.mjs");
    writeFileSync(entry, "export default { where: import.meta.url };\nexport const named = 42;\n");
    const reason = "the entry has exports: a module hosts import, not an executable";
    const outfile = join(dir, "module.mjs");
    expect(await bundlePlugin({ entry, outfile })).toEqual({ outfile, codeCache: false, reason });
    const mod = (await import(pathToFileURL(outfile).href)) as { default: { where: string }; named: number };
    expect(mod).toMatchObject({ default: { where: pathToFileURL(outfile).href }, named: 42 });
    const cjs = join(dir, "module.cjs");
    expect(await bundlePlugin({ entry, outfile: cjs })).toEqual({ outfile: cjs, codeCache: false, reason });
    expect(createRequire(import.meta.url)(cjs)).toMatchObject({
      default: { where: pathToFileURL(cjs).href },
      named: 42,
    });
  });

  it("an entry with top-level await still runs as an ES module, without a cache; as .cjs it is refused", async () => {
    const outfile = join(dir, "tla.mjs");
    const entry = join(dir, "tla-entry.mjs");
    writeFileSync(entry, `await Promise.resolve();\nprocess.stdout.write(import.meta.url);\n`);
    expect(await bundlePlugin({ entry, outfile })).toMatchObject({
      codeCache: false,
      reason: expect.stringMatching(/top-level await/),
    });
    const res = await run(outfile, []);
    expect(res).toMatchObject({ code: 0, stdout: pathToFileURL(outfile).href });
    const refused = await bundlePlugin({ entry, outfile: join(dir, "tla.cjs") }).catch((e: unknown) => e);
    expect(PlugwireError.is(refused, ErrorCode.ConfigInvalid)).toBe(true);
    expect((refused as Error).message).toContain(`cannot bundle ${entry} as CommonJS`);
    expect(existsSync(join(dir, "tla.cjs"))).toBe(false);
  });

  it("import.meta.url in a code-cached executable is the executable's own URL (.mjs and .cjs)", async () => {
    const entry = join(dir, "where-entry.mjs");
    writeFileSync(
      entry,
      'process.stdout.write([import.meta.url, import.meta.filename, typeof require].join(" "));\n',
    );
    for (const outfile of [join(dir, "where.mjs"), join(dir, "where.cjs")]) {
      expect(await bundlePlugin({ entry, outfile })).toMatchObject({ codeCache: true });
      const res = await run(outfile, [], { env: { ...process.env, PLUGWIRE_CODE_CACHE_DIR: cacheDir } });
      expect(res).toMatchObject({ code: 0, stdout: `${pathToFileURL(outfile).href} ${outfile} function` });
    }
  });
});
