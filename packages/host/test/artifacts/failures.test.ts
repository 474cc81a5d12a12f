// Acceptance 3 of issue 6 against a real registry: each failure is a typed error, nothing is written
// outside the staging root (nor inside it, for a rejected delivery), and a plugin keeps running from
// last-known-good — also after a host restart (fresh state objects, only the disk survives).
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  applyLocalOverrides,
  createDeliveryBackoff,
  createRegistryClient,
  generateSigningKey,
  PlugwireError,
  packageArtifact,
  parseReference,
  pushLayout,
  type ResolveSourceOptions,
  resolvePluginSource,
  signLayout,
} from "../../src/index.js";
import { registryAvailable, startRegistry, type TestRegistry } from "./support/registry.js";

async function failure(p: Promise<unknown>): Promise<PlugwireError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlugwireError);
  return err as PlugwireError;
}

describe.skipIf(!registryAvailable.ok)(`delivery failures ${registryAvailable.reason}`, () => {
  let registry: TestRegistry;
  let work: string;
  const signer = generateSigningKey();
  const stranger = generateSigningKey();
  const client = createRegistryClient({ timeoutMs: 5000 });

  /** Packages a shell-script plugin printing `text`, optionally signs it, pushes it as `repo:tag`. */
  async function publish(repo: string, tag: string, text: string, sign?: string) {
    const dir = mkdtempSync(join(work, "pub-"));
    writeFileSync(join(dir, "plugin"), `#!/bin/sh\necho ${text}\n`);
    await packageArtifact(join(dir, "layout"), {
      name: repo,
      version: tag,
      platforms: [{ platform: "any", entry: join(dir, "plugin") }],
    });
    if (sign) await signLayout(join(dir, "layout"), sign);
    return pushLayout(client, join(dir, "layout"), parseReference(`${registry.host}/${repo}:${tag}`));
  }

  beforeAll(async () => {
    registry = await startRegistry("none");
    work = mkdtempSync(join(tmpdir(), "pwt-fail-"));
  });
  afterAll(async () => {
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const opts = (root: string, extra: Partial<ResolveSourceOptions> = {}): ResolveSourceOptions => ({
    id: "p",
    stagingRoot: root,
    client,
    keys: [signer.publicKeyPem],
    ...extra,
  });
  const freshRoot = () => {
    const root = join(mkdtempSync(join(work, "root-")), "staging");
    mkdirSync(root);
    return root;
  };
  const versions = (root: string) =>
    existsSync(join(root, "p", "versions")) ? readdirSync(join(root, "p", "versions")) : [];

  it("a signed artifact verifies with the configured key", async () => {
    const pushed = await publish("signed", "1", "ok", signer.privateKeyPem);
    const root = freshRoot();
    const r = await resolvePluginSource(
      `${registry.host}/signed:1`,
      opts(root, { policy: { requireSignature: true } }),
    );
    expect(r.signature).toEqual({ status: "verified", keyId: signer.keyId });
    expect(r.digest).toBe(pushed.digest);
  });

  it("tampered blob in the registry's storage → CHECKSUM_MISMATCH, nothing staged", async () => {
    await publish("tampered", "1", "original");
    const blobs = join(registry.storage, "docker/registry/v2/blobs/sha256");
    // The layer is the only blob holding the script; flip its text in place.
    for (const prefix of readdirSync(blobs))
      for (const hex of readdirSync(join(blobs, prefix))) {
        const data = join(blobs, prefix, hex, "data");
        const text = readFileSync(data, "utf8");
        if (text.includes("echo original")) writeFileSync(data, text.replace("original", "EVILEVIL"));
      }
    const root = freshRoot();
    const err = await failure(resolvePluginSource(`${registry.host}/tampered:1`, opts(root)));
    expect([err.code, err.plugin, err.details.failure]).toEqual(["CHECKSUM_MISMATCH", "p", "permanent"]);
    expect(versions(root)).toEqual([]);
    expect(readdirSync(join(root, "p"))).toEqual(["versions"]);
  });

  it("wrong signer, signature without a key, unsigned under requireSignature → SIGNATURE_INVALID", async () => {
    await publish("wrong-signer", "1", "x", stranger.privateKeyPem);
    await publish("unsigned", "1", "x");
    const root = freshRoot();
    const wrong = await failure(resolvePluginSource(`${registry.host}/wrong-signer:1`, opts(root)));
    expect(wrong.code).toBe("SIGNATURE_INVALID");
    expect(wrong.message).toContain(stranger.keyId);
    const noKey = await failure(
      resolvePluginSource(`${registry.host}/wrong-signer:1`, opts(root, { keys: [] })),
    );
    expect(noKey.code).toBe("SIGNATURE_INVALID");
    expect(noKey.message).toContain("no public key is configured");
    const unsigned = await failure(
      resolvePluginSource(`${registry.host}/unsigned:1`, opts(root, { policy: { requireSignature: true } })),
    );
    expect(unsigned.code).toBe("SIGNATURE_INVALID");
    expect(versions(root)).toEqual([]);
  });

  it("traversal ids are rejected before any network I/O; in the override file they are warnings", async () => {
    const root = freshRoot();
    for (const id of ["..", "../x", "a/b", ""]) {
      // Port 9 on loopback: nothing listens, so reaching the network would give FETCH_FAILED instead.
      const err = await failure(resolvePluginSource("127.0.0.1:9/p:1", opts(root, { id })));
      expect(err.code).toBe("UNSAFE_PATH");
    }
    const overrides = join(work, "plugins.local.json");
    writeFileSync(
      overrides,
      JSON.stringify({
        plugins: [
          { id: "../../etc", source: "/bin/sh" },
          { id: "p", args: ["-v"], source: "" },
        ],
      }),
    );
    const patched = await applyLocalOverrides(
      [{ id: "p", source: "localhost:5000/p:1", config: { a: "1" } }],
      overrides,
    );
    expect(patched.assignments).toEqual([
      { id: "p", source: "localhost:5000/p:1", config: { a: "1" }, args: ["-v"] },
    ]);
    expect(patched.warnings.map((w) => w.code)).toEqual(["UNSAFE_PATH"]);
    writeFileSync(overrides, "{ not json");
    const malformed = await applyLocalOverrides([{ id: "p", source: "s" }], overrides);
    expect(malformed.assignments).toEqual([{ id: "p", source: "s" }]);
    expect(malformed.warnings.map((w) => w.code)).toEqual(["CONFIG_INVALID"]);
    expect(readdirSync(root)).toEqual([]);
  });

  it("registry down → transient FETCH_FAILED; registry slow → transient TIMEOUT", async () => {
    const down = await failure(
      resolvePluginSource("127.0.0.1:9/p:1", opts(freshRoot(), { lastKnownGood: false })),
    );
    expect([down.code, down.details.failure]).toEqual(["FETCH_FAILED", "transient"]);
    const sockets: Socket[] = [];
    const slow = createServer((s) => sockets.push(s)); // accepts, never answers
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    try {
      const port = (slow.address() as { port: number }).port;
      const err = await failure(
        resolvePluginSource(
          `127.0.0.1:${port}/p:1`,
          opts(freshRoot(), { client: createRegistryClient({ timeoutMs: 300 }), lastKnownGood: false }),
        ),
      );
      expect([err.code, err.details.failure]).toEqual(["TIMEOUT", "transient"]);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => slow.close(() => r()));
    }
  });

  it("permanent failures are backed off per (id, source, digest, config); a new config retries at once", async () => {
    let now = 0;
    const backoff = createDeliveryBackoff({ now: () => now });
    const root = freshRoot();
    const src = `${registry.host}/wrong-signer:1`;
    const first = await failure(resolvePluginSource(src, opts(root, { backoff, config: { a: 1 } })));
    const blocked = await failure(resolvePluginSource(src, opts(root, { backoff, config: { a: 1 } })));
    expect(blocked).toBe(first); // served from the backoff, not re-fetched
    const other = await failure(resolvePluginSource(src, opts(root, { backoff, config: { a: 2 } })));
    expect(other).not.toBe(first);
    now += 5 * 60_000;
    expect(await failure(resolvePluginSource(src, opts(root, { backoff, config: { a: 1 } })))).not.toBe(
      first,
    );
  });

  it("falls back to last-known-good (binary with its own config), also after a restart", async () => {
    await publish("lkg", "1", "good-one");
    const root = freshRoot();
    const good = await resolvePluginSource(`${registry.host}/lkg:1`, opts(root, { config: { v: "old" } }));
    expect(execFileSync(good.command, good.args, { encoding: "utf8" })).toBe("good-one\n");
    // v2 is signed by a stranger: the new delivery fails; the old binary runs with the OLD config.
    await publish("lkg", "2", "bad-two", stranger.privateKeyPem);
    const fallback = await resolvePluginSource(
      `${registry.host}/lkg:2`,
      opts(root, { config: { v: "new" } }),
    );
    expect(fallback.fallback?.error.code).toBe("SIGNATURE_INVALID");
    expect([fallback.command, fallback.config]).toEqual([good.command, { v: "old" }]);
    // "Restart": the registry goes away and all in-memory state is new; only the staging root remains.
    await registry.stop();
    const afterRestart = await resolvePluginSource(
      `${registry.host}/lkg:2`,
      opts(root, { config: { v: "new" }, backoff: createDeliveryBackoff() }),
    );
    expect(afterRestart.fallback?.error.code).toBe("FETCH_FAILED");
    expect(execFileSync(afterRestart.command, afterRestart.args, { encoding: "utf8" })).toBe("good-one\n");
    expect(statSync(afterRestart.command).mode & 0o777).toBe(0o755);
    expect(readdirSync(join(root, "p")).sort()).toEqual(["current", "last-known-good.json", "versions"]);
    expect(readdirSync(join(root, ".."))).toEqual(["staging"]);
  });
});
