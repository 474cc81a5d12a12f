import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { KV } from "../../../../examples/go-plugin-kv/src/gen/kv/kv_pb.js";
import { repoRoot } from "../support/go-fixtures.js";
import { testHost } from "../support/harness.js";

// A plugin written in Python from docs/protocol.md alone: proves the document is complete enough.
const python = (() => {
  try {
    execFileSync("python3", ["-c", "import grpc, grpc_tools"], { stdio: "ignore" });
    return { ok: true, reason: "" };
  } catch {
    if (process.env.CI === "true") throw new Error("python3 with grpcio and grpcio-tools is required in CI");
    return {
      ok: false,
      reason: "python3 with grpcio/grpcio-tools missing (pip install -r conformance/python/requirements.txt)",
    };
  }
})();

describe.skipIf(!python.ok)("a Python plugin written from docs/protocol.md", () => {
  beforeAll(() => {
    execFileSync("python3", [join(repoRoot, "conformance/python/build.py")], { stdio: "inherit" });
  });

  test("handshake, calls, health, graceful shutdown without GRPCStdio or broker", async () => {
    const { host, env } = testHost({ versions: { 1: { kv: KV } } });
    const plugin = await host.launch({
      name: "python-kv",
      command: "python3",
      args: [join(repoRoot, "conformance/python/kv_plugin.py")],
      env,
    });
    await plugin.clients.kv.put({ key: "lang", value: new TextEncoder().encode("python") });
    expect(new TextDecoder().decode((await plugin.clients.kv.get({ key: "lang" })).value)).toBe("python");
    await plugin.ping();
    expect(await plugin.close()).toEqual({ code: 0, signal: null, forced: false });
  });
});
