import { spawnSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { KV } from "../../../../examples/go-plugin-kv/src/gen/kv/kv_pb.js";
import { ErrorCode, PlugwireError } from "../../src/index.js";
import { goBin, goFixtures, repoRoot } from "../support/go-fixtures.js";
import { testHost } from "../support/harness.js";

const versions = { 1: { kv: KV } };

async function launchError(p: Promise<unknown>): Promise<PlugwireError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlugwireError);
  return err as PlugwireError;
}

/** A shell-script "plugin" that prints `line` as its handshake and then waits. */
function scriptPlugin(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe("launch failures are typed, name the plugin, and leave nothing behind", () => {
  test("executable not found", async () => {
    const { host, root } = testHost({ versions });
    const err = await launchError(host.launch({ name: "ghost", command: join(root, "missing") }));
    expect(err.code).toBe(ErrorCode.NotFound);
    expect(err.message).toMatch(/^plugin ghost: executable .*missing not found$/);
  });

  test("not executable", async () => {
    const { host, root } = testHost({ versions });
    const path = join(root, "plain-file");
    writeFileSync(path, "#!/bin/sh\n");
    chmodSync(path, 0o644);
    const err = await launchError(host.launch({ name: "noexec", command: path }));
    expect(err.code).toBe(ErrorCode.NotExecutable);
    expect(err.message).toContain("plugin noexec:");
    expect(err.message).toContain("mode 0644");
  });

  test("wrong architecture, from the ELF header, before exec", async () => {
    const { host, root } = testHost({ versions });
    const path = join(root, "foreign");
    const header = Buffer.alloc(64);
    header.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
    header.writeUInt16LE(process.arch === "arm64" ? 62 : 183, 18);
    writeFileSync(path, header);
    chmodSync(path, 0o755);
    const err = await launchError(host.launch({ name: "foreign", command: path }));
    expect(err.code).toBe(ErrorCode.WrongArchitecture);
    expect(err.message).toContain(`this host is ${process.platform}/${process.arch}`);
  });

  test("handshake timeout kills the process group", async () => {
    const { host, root } = testHost({ versions });
    const path = scriptPlugin(root, "silent", "sleep 30 & sleep 30");
    const err = await launchError(host.launch({ name: "silent", command: path, startTimeoutMs: 300 }));
    expect(err.code).toBe(ErrorCode.HandshakeTimeout);
    expect(err.message).toBe("plugin silent: timeout after 300 ms waiting for the handshake line");
  });

  test("exits before the handshake: exit code and stderr tail", async () => {
    const { host, root } = testHost({ versions });
    const path = scriptPlugin(root, "crash", "echo 'boom: config missing' >&2; exit 3");
    const err = await launchError(host.launch({ name: "crash", command: path }));
    expect(err.code).toBe(ErrorCode.PluginExited);
    expect(err.message).toContain("plugin crash: plugin exited before the handshake (exit code 3)");
    expect(err.message).toContain("boom: config missing");
  });

  test("core version ≠ 1, netrpc, and garbage lines", async () => {
    const { host, root } = testHost({ versions });
    const cases = [
      ["core", "echo '2|1|unix|/tmp/x|grpc|'; sleep 30", ErrorCode.CoreVersionMismatch],
      ["netrpc", "echo '1|1|unix|/tmp/x|netrpc|'; sleep 30", ErrorCode.ProtocolUnsupported],
      ["legacy-netrpc", "echo '1|1|unix|/tmp/x'; sleep 30", ErrorCode.ProtocolUnsupported],
      ["network", "echo '1|1|udp|/tmp/x|grpc|'; sleep 30", ErrorCode.HandshakeInvalid],
      ["long", `head -c 100000 /dev/zero | tr '\\0' 'x'; echo; sleep 30`, ErrorCode.HandshakeInvalid],
    ] as const;
    for (const [name, body, code] of cases) {
      const err = await launchError(host.launch({ name, command: scriptPlugin(root, name, body) }));
      expect(err.code, name).toBe(code);
      expect(err.message.startsWith(`plugin ${name}: `)).toBe(true);
      expect(err.message.length).toBeLessThan(600);
    }
  });

  test("a handshake naming a missing socket, or a file that is not one, fails the launch", async () => {
    const { host, root } = testHost({ versions });
    const notSocket = join(root, "plain");
    writeFileSync(notSocket, "");
    const cases = [
      ["nosocket", join(root, "gone.sock"), "which does not exist"],
      ["notsocket", notSocket, "which is not a unix socket"],
    ] as const;
    for (const [name, address, why] of cases) {
      const path = scriptPlugin(root, name, `echo '1|1|unix|${address}|grpc|'; sleep 30`);
      const err = await launchError(host.launch({ name, command: path }));
      expect(err.code, name).toBe(ErrorCode.ConnectFailed);
      expect(err.message).toBe(
        `plugin ${name}: could not reach the plugin: its handshake names ${address}, ${why}`,
      );
    }
    // A socket left behind by a dead process: it exists, but nothing accepts.
    const stale = join(root, "stale.sock");
    const listenThenDie = `require("node:net").createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, "SIGKILL"))`;
    spawnSync(process.execPath, ["-e", listenThenDie]);
    const path = scriptPlugin(root, "stale", `echo '1|1|unix|${stale}|grpc|'; sleep 30`);
    const err = await launchError(host.launch({ name: "stale", command: path }));
    expect(err.code).toBe(ErrorCode.ConnectFailed);
    expect(err.message).toBe(
      `plugin stale: could not reach the plugin at ${stale}: could not connect to ${stale}`,
    );
  });

  test("AutoMTLS: no certificate from the plugin, or one the host did not ask for", async () => {
    const { host, root } = testHost({ versions, autoMtls: true });
    const noCert = scriptPlugin(root, "nocert", "echo '1|1|unix|/tmp/x|grpc|'; sleep 30");
    const err = await launchError(host.launch({ name: "nocert", command: noCert }));
    expect(err.code).toBe(ErrorCode.CertificateInvalid);
    expect(err.message).toContain("AutoMTLS is on but the plugin sent no certificate");
    const bogus = scriptPlugin(root, "bogus", `echo '1|1|unix|/tmp/x|grpc|${"QUJD".repeat(20)}'; sleep 30`);
    const bad = await launchError(host.launch({ name: "bogus", command: bogus }));
    expect(bad.code).toBe(ErrorCode.CertificateInvalid);
    const unasked = await launchError(host.launch({ name: "unasked", command: bogus, autoMtls: false }));
    expect(unasked.code).toBe(ErrorCode.CertificateInvalid);
    expect(unasked.message).toContain("the host did not enable AutoMTLS");
  });

  test("abort signal cancels a launch", async () => {
    const { host, root } = testHost({ versions });
    const ac = new AbortController();
    const p = host.launch({
      name: "slow",
      command: scriptPlugin(root, "slow", "sleep 30"),
      signal: ac.signal,
    });
    ac.abort();
    expect((await launchError(p)).code).toBe(ErrorCode.Aborted);
  });

  test("SecureConfig: checksum mismatch refuses before exec", async () => {
    const { host, root } = testHost({ versions });
    const path = scriptPlugin(root, "signed", "exit 0");
    const err = await launchError(
      host.launch({ name: "signed", command: path, secureConfig: { checksum: "00".repeat(32) } }),
    );
    expect(err.code).toBe(ErrorCode.ChecksumMismatch);
  });

  describe.skipIf(!goFixtures.ok)("with go-plugin programs", () => {
    test("wrong cookie: the plugin's own three-line message is in the error", async () => {
      const { host, env } = testHost({
        versions,
        handshake: { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "nope" },
      });
      const err = await launchError(host.launch({ name: "kv", command: goBin("kv-plugin"), env }));
      expect(err.code).toBe(ErrorCode.PluginExited);
      expect(err.message).toContain("(exit code 1)");
      expect(err.message).toContain("This binary is a plugin. These are not meant to be executed directly.");
    });

    test("out of file descriptors: a typed RESOURCES_EXHAUSTED, and the host launches again once freed", async () => {
      const { env } = testHost({ versions });
      const fixture = join(repoRoot, "packages/host/test/fixtures/fd-exhaustion-host.mjs");
      // A low limit keeps filling the table cheap; the fixture fills it, then frees it.
      const run = spawnSync(
        "prlimit",
        ["--nofile=256:256", "--", process.execPath, fixture, goBin("kv-plugin")],
        { env: { ...process.env, ...env }, encoding: "utf8", timeout: 30_000 },
      );
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      const out = JSON.parse(run.stdout) as { first: Record<string, string>; answered: boolean };
      expect(out.first).toMatchObject({ code: ErrorCode.ResourcesExhausted, plugin: "starved" });
      expect(out.first.message).toContain("no file descriptors left (EMFILE");
      expect(out.answered).toBe(true);
    });

    test("junk before the handshake", async () => {
      const { host, env } = testHost({ versions });
      const err = await launchError(host.launch({ name: "junk", command: goBin("junk-plugin"), env }));
      expect(err.code).toBe(ErrorCode.HandshakeInvalid);
      expect(err.message).toContain('"this is not a handshake"');
    });

    test("SecureConfig: matching sha256 launches", async () => {
      const { createHash } = await import("node:crypto");
      const { readFileSync } = await import("node:fs");
      const checksum = createHash("sha256")
        .update(readFileSync(goBin("kv-plugin")))
        .digest("hex");
      const { host, env } = testHost({ versions });
      const plugin = await host.launch({
        name: "kv",
        command: goBin("kv-plugin"),
        env,
        secureConfig: { checksum },
      });
      await plugin.ping();
    });
  });
});
