// @plugwire/plugin-sdk/build: the one-file executable create-plugin ships, with and without its V8
// code cache, run for real — by @plugwire/host and by a go-plugin v1.8 Go host.
import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { create } from "@bufbuild/protobuf";
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
let skipGo: string | undefined;

beforeAll(async () => {
  expect(await bundlePlugin({ entry: kvEntry, outfile: kvBundle })).toEqual({
    outfile: kvBundle,
    codeCache: true,
  });
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

const cacheFiles = () => readdirSync(cacheDir, { withFileTypes: true }).filter((e) => e.name.endsWith(".v8"));

describe("bundlePlugin with a code cache", () => {
  it("compiles without a cache once, leaves one (0600 in a 0700 directory), and uses it after", async () => {
    expect(await launchOnce(kvBundle)).toEqual({ got: "v", cache: "missing" });
    const [file] = cacheFiles();
    expect(file?.name).toMatch(new RegExp(`^[0-9a-f]{32}-${process.version}-${process.arch}\\.v8$`));
    const path = join(cacheDir, file?.name as string);
    expect(readFileSync(path).byteLength).toBeGreaterThan(10_000);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    expect(await launchOnce(kvBundle)).toEqual({ got: "v", cache: "hit" });
  });

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

  it("a go-plugin v1.8 Go host runs it (its stderr trace line is just a log line there)", async (ctx) => {
    if (skipGo) ctx.skip(skipGo);
    const sockets = mkdtempSync(join(dir, "go-"));
    const env = {
      ...process.env,
      PLUGIN_UNIX_SOCKET_DIR: sockets,
      TMPDIR: sockets,
      PLUGWIRE_CODE_CACHE_DIR: cacheDir,
    };
    const res = await run(
      join(conformanceBin, "kv-host"),
      ["--plugin", kvBundle, "roundtrip", "go", "host"],
      {
        env,
        timeoutMs: 60_000,
      },
    );
    expect(JSON.parse(res.stdout.trim().split("\n").at(-1) ?? "")).toMatchObject({ ok: true, value: "host" });
    expect(readdirSync(sockets)).toEqual([]);
  });
});

describe("entries a code cache does not fit are bundled as plain ES modules", () => {
  it("an entry with exports: a module hosts import, with import.meta.url its own", async () => {
    const entry = join(dir, "module-entry.mjs");
    writeFileSync(entry, "export default { where: import.meta.url };\nexport const named = 42;\n");
    const outfile = join(dir, "module.mjs");
    expect(await bundlePlugin({ entry, outfile })).toEqual({
      outfile,
      codeCache: false,
      reason: "the entry has exports: a module hosts import, not an executable",
    });
    const mod = (await import(pathToFileURL(outfile).href)) as { default: { where: string }; named: number };
    expect(mod).toMatchObject({ default: { where: pathToFileURL(outfile).href }, named: 42 });
  });

  it("an entry with top-level await still runs, without a cache", async () => {
    const outfile = join(dir, "tla.mjs");
    const entry = join(dir, "tla-entry.mjs");
    writeFileSync(entry, `await Promise.resolve();\nprocess.stdout.write(import.meta.url);\n`);
    expect(await bundlePlugin({ entry, outfile })).toMatchObject({
      codeCache: false,
      reason: expect.stringMatching(/top-level await/),
    });
    const res = await run(outfile, []);
    expect(res).toMatchObject({ code: 0, stdout: pathToFileURL(outfile).href });
  });

  it("import.meta.url in a code-cached executable is the executable's own URL", async () => {
    const outfile = join(dir, "where.mjs");
    const entry = join(dir, "where-entry.mjs");
    writeFileSync(
      entry,
      'process.stdout.write([import.meta.url, import.meta.filename, typeof require].join(" "));\n',
    );
    expect(await bundlePlugin({ entry, outfile })).toMatchObject({ codeCache: true });
    const res = await run(outfile, [], { env: { ...process.env, PLUGWIRE_CODE_CACHE_DIR: cacheDir } });
    expect(res).toMatchObject({ code: 0, stdout: `${pathToFileURL(outfile).href} ${outfile} function` });
  });
});
