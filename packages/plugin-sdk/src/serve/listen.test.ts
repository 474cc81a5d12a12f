import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode, PlugwireError } from "@plugwire/contract";
import { afterAll, describe, expect, it } from "vitest";
import { listenForHost, listenTarget, resolveGid } from "./listen.js";

const dir = mkdtempSync(join(tmpdir(), "pw-listen-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const routes = () => {};

describe("listenForHost", () => {
  it("listens on a unix socket in PLUGIN_UNIX_SOCKET_DIR and removes it on close", async () => {
    const server = await listenForHost({ routes, env: { PLUGIN_UNIX_SOCKET_DIR: dir } });
    expect(server.address.network).toBe("unix");
    expect(server.address.address.startsWith(join(dir, "plugin"))).toBe(true);
    await server.close(0);
    expect(() => statSync(server.address.address)).toThrow();
  });

  it("applies PLUGIN_UNIX_SOCKET_GROUP: chown to the gid, mode 0660", async () => {
    const gid = process.getgid?.() ?? 0;
    const server = await listenForHost({
      routes,
      env: { PLUGIN_UNIX_SOCKET_DIR: dir, PLUGIN_UNIX_SOCKET_GROUP: String(gid) },
    });
    const st = statSync(server.address.address);
    expect(st.gid).toBe(gid);
    expect(st.mode & 0o777).toBe(0o660);
    await server.close(0);
  });

  it("a socket dir too long for a unix socket path is a clear CONFIG_INVALID error", async () => {
    const err = await listenForHost({
      routes,
      env: { PLUGIN_UNIX_SOCKET_DIR: `/tmp/${"x".repeat(120)}` },
    }).catch((e: unknown) => e);
    expect(PlugwireError.is(err, ErrorCode.ConfigInvalid)).toBe(true);
    expect((err as Error).message).toMatch(/byte limit/);
  });

  it("a socket dir that does not exist is a clear CONFIG_INVALID error naming it", async () => {
    const missing = join(tmpdir(), "pw-no-such-dir", "deeper");
    const err = await listenForHost({ routes, env: { PLUGIN_UNIX_SOCKET_DIR: missing } }).catch(
      (e: unknown) => e,
    );
    expect(PlugwireError.is(err, ErrorCode.ConfigInvalid)).toBe(true);
    expect((err as Error).message).toContain(`cannot listen on a unix socket in ${missing}`);
  });

  it("uses TCP on Windows, inside [PLUGIN_MIN_PORT, PLUGIN_MAX_PORT]", async () => {
    expect(listenTarget({}, "win32").network).toBe("tcp");
    const err = await listenForHost({
      routes,
      env: { PLUGIN_MIN_PORT: "20", PLUGIN_MAX_PORT: "10" },
      platform: "win32",
    }).catch((e: unknown) => e);
    expect(PlugwireError.is(err, ErrorCode.ConfigInvalid)).toBe(true);
    const server = await listenForHost({ routes, env: {}, platform: "win32" });
    expect(server.address.address).toMatch(/^127\.0\.0\.1:\d+$/);
    await server.close(0);
  });
});

describe("resolveGid", () => {
  it("takes numbers as gids and looks names up in the group file", () => {
    const file = join(dir, "group");
    writeFileSync(file, "root:x:0:\nplugins:x:4242:alice,bob\n");
    expect(resolveGid("17", file)).toBe(17);
    expect(resolveGid("plugins", file)).toBe(4242);
    expect(() => resolveGid("nobody-here", file)).toThrow(/failed to find gid/);
  });
});
