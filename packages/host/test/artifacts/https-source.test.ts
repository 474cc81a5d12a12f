// HTTPS sources against a real HTTP server on loopback (plain http is allowed only there).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTarGz,
  generateSigningKey,
  PlugwireError,
  resolvePluginSource,
  signDigest,
} from "../../src/index.js";

const script = Buffer.from("#!/bin/sh\necho from-https\n");
const sha = createHash("sha256").update(script).digest("hex");
const tarball = Buffer.from(createTarGz([{ name: "tool", bytes: script }]));
const tarSha = createHash("sha256").update(tarball).digest("hex");
const signer = generateSigningKey();

describe("HTTPS sources", () => {
  let server: Server;
  let base: string;
  let work: string;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "pwt-https-"));
    server = createServer((req, res) => {
      if (req.url === "/plugin") return res.end(script);
      if (req.url === "/plugin.sig")
        return res.end(JSON.stringify(signDigest(`sha256:${sha}`, signer.privateKeyPem)));
      if (req.url === "/tool.tar.gz") return res.end(tarball);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(work, { recursive: true, force: true });
  });

  it("downloads, verifies sha256 and signature, stages and runs", async () => {
    const root = mkdtempSync(join(work, "root-"));
    const r = await resolvePluginSource(`${base}/plugin#sha256=${sha}&version=1.0`, {
      id: "h",
      stagingRoot: root,
      keys: [signer.publicKeyPem],
    });
    expect(r.signature).toEqual({ status: "verified", keyId: signer.keyId });
    expect(execFileSync(r.command, r.args, { encoding: "utf8" })).toBe("from-https\n");
    const t = await resolvePluginSource(`${base}/tool.tar.gz#sha256=${tarSha}&entry=tool`, {
      id: "t",
      stagingRoot: root,
    });
    expect(execFileSync(t.command, t.args, { encoding: "utf8" })).toBe("from-https\n");
  });

  it("a wrong sha256 or a missing one is a typed error and stages nothing", async () => {
    const root = mkdtempSync(join(work, "root-"));
    const wrong = await resolvePluginSource(`${base}/plugin#sha256=${"0".repeat(64)}`, {
      id: "h",
      stagingRoot: root,
      keys: [signer.publicKeyPem],
      lastKnownGood: false,
    }).catch((e) => e);
    expect(wrong).toBeInstanceOf(PlugwireError);
    // The .sig names the real digest, so the signature check fails before any download.
    expect(wrong.code).toBe("SIGNATURE_INVALID");
    const unsignedWrong = await resolvePluginSource(
      `${base}/tool.tar.gz#sha256=${"0".repeat(64)}&entry=tool`,
      { id: "t", stagingRoot: root, lastKnownGood: false },
    ).catch((e) => e);
    expect(unsignedWrong.code).toBe("CHECKSUM_MISMATCH");
    const missing = await resolvePluginSource(`${base}/plugin`, { id: "h", stagingRoot: root }).catch(
      (e) => e,
    );
    expect(missing.code).toBe("CONFIG_INVALID");
    expect(readdirSync(join(root, "t", "versions"))).toEqual([]);
  });
});
