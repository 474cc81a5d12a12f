import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { KV } from "../../../../examples/go-plugin-kv/src/gen/kv/kv_pb.js";
import {
  callWithInput,
  ErrorCode,
  type InputRequest,
  PlugwireError,
  runEphemeralPlugin,
} from "../../src/index.js";
import { testHost } from "../support/harness.js";
import { alive } from "../support/leaks.js";

const versions = { 1: { kv_grpc: KV } };
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const json = (v: Uint8Array) =>
  JSON.parse(new TextDecoder().decode(v)) as { sideEffects: number; answers: string[] };

async function inputPlugin() {
  const t = testHost({ versions });
  const plugin = await t.host.launch({
    name: "input-kv",
    command: process.execPath,
    args: [fixture("input-kv-plugin.mjs")],
    env: t.env,
  });
  return { ...t, plugin };
}

describe("input-required during a gRPC call (ctx.requestInput ↔ onInputRequired through the broker)", () => {
  test("round trip: answered inside the same call, earlier side effects not re-run", async () => {
    const { plugin } = await inputPlugin();
    const asked: InputRequest[] = [];
    const res = await callWithInput(plugin, (opts) => plugin.clients.kv_grpc.get({ key: "ask:2" }, opts), {
      onInputRequired: (req, ctx) => {
        asked.push(req);
        return { token: `t${ctx.round}` };
      },
    });
    expect(json(res.value)).toEqual({ sideEffects: 1, answers: ["t1", "t2"] });
    expect(asked).toEqual([
      { reason: "token 1 for ask:2", fields: [{ name: "token", description: "API token", secret: true }] },
      { reason: "token 2 for ask:2", fields: [{ name: "token", description: "API token", secret: true }] },
    ]);
    // The shared listener serves the next call too (re-announced per call).
    const again = await callWithInput(plugin, (opts) => plugin.clients.kv_grpc.get({ key: "ask:1" }, opts), {
      onInputRequired: () => ({ token: "x" }),
    });
    expect(json(again.value)).toEqual({ sideEffects: 2, answers: ["x"] });
  });

  test("a cancel while the host is asked aborts the call with ABORTED; the plugin stays usable", async () => {
    const { plugin } = await inputPlugin();
    const controller = new AbortController();
    let handlerSignal: AbortSignal | undefined;
    const err = await callWithInput(plugin, (opts) => plugin.clients.kv_grpc.get({ key: "ask:1" }, opts), {
      signal: controller.signal,
      onInputRequired: (_req, ctx) => {
        handlerSignal = ctx.signal;
        controller.abort(new Error("user closed the prompt"));
        return new Promise(() => {}); // only the cancel ends it
      },
    }).catch((e: unknown) => e);
    expect(PlugwireError.is(err, ErrorCode.Aborted)).toBe(true);
    expect((err as PlugwireError).plugin).toBe("input-kv");
    expect(handlerSignal?.aborted).toBe(true);

    const declined = await callWithInput(
      plugin,
      (opts) => plugin.clients.kv_grpc.get({ key: "ask:1" }, opts),
      {
        onInputRequired: () => undefined,
      },
    ).catch((e: unknown) => e);
    expect(PlugwireError.is(declined, ErrorCode.Aborted)).toBe(true);
    expect((declined as PlugwireError).message).toContain(
      "input declined: token 1 for ask:1 (fields: token)",
    );

    const ok = await callWithInput(plugin, (opts) => plugin.clients.kv_grpc.get({ key: "ask:1" }, opts), {
      onInputRequired: () => ({ token: "later" }),
    });
    expect(json(ok.value).answers).toEqual(["later"]);
  });

  test("requests per call are bounded; without an input channel the plugin gets INPUT_REQUIRED", async () => {
    const { plugin } = await inputPlugin();
    let asked = 0;
    const err = await callWithInput(plugin, (opts) => plugin.clients.kv_grpc.get({ key: "ask:3" }, opts), {
      maxRequests: 2,
      onInputRequired: () => ({ token: String(++asked) }),
    }).catch((e: unknown) => e);
    expect(PlugwireError.is(err, ErrorCode.InputRequired)).toBe(true);
    expect((err as PlugwireError).details).toMatchObject({ requests: 3, max: 2 });
    expect(asked).toBe(2);
    const plain = await plugin.clients.kv_grpc.get({ key: "ask:1" }).catch((e: unknown) => e);
    expect(String((plain as Error).message)).toContain("the host offers no input channel on this call");
  });
});

describe("ephemeral gRPC plugins (one process per call)", () => {
  test("launch → call → close, recorded as a success", async () => {
    const { host, env } = testHost({ versions });
    const res = await runEphemeralPlugin(
      host,
      { name: "once", command: process.execPath, args: [fixture("supervision-kv-plugin.mjs")], env },
      async (plugin, signal) =>
        new TextDecoder().decode((await plugin.clients.kv_grpc.get({ key: "pid" }, { signal })).value),
      { version: "0.1.0" },
    );
    expect(res.status).toBe("success");
    expect(Number(res.output)).toBe(res.record.pid);
    expect(res.record).toMatchObject({ plugin: "once", version: "0.1.0", kind: "ephemeral", exitCode: 0 });
    expect(alive(res.record.pid ?? 0)).toBe(false);
  });

  test("each run record keeps its own raw stderr, capped", async () => {
    const { host, env } = testHost({ versions });
    const launch = { name: "noisy", command: process.execPath, args: [fixture("stderr-kv-plugin.mjs")], env };
    const call = async () => {};
    const [a, b] = [
      await runEphemeralPlugin(host, launch, call),
      await runEphemeralPlugin(host, launch, call),
    ];
    expect(a.record.pid).not.toBe(b.record.pid);
    for (const { record } of [a, b]) {
      expect(record.stderr?.split("\n")[0]).toBe(`stderr-kv: lifetime ${record.pid}`);
      expect(record.stderrTruncated).toBe(false);
    }
    expect(a.record.stderr).not.toContain(String(b.record.pid));
    const capped = await runEphemeralPlugin(host, launch, call, { maxStderrBytes: 8 });
    expect(capped.record).toMatchObject({ status: "success", stderr: "", stderrTruncated: true });
  });

  test("a call that hangs is ended at the wall-clock timeout: SIGTERM to the group, exit code 124", async () => {
    const { host, env } = testHost({ versions });
    const res = await runEphemeralPlugin(
      host,
      { name: "stuck", command: process.execPath, args: [fixture("supervision-kv-plugin.mjs")], env },
      (plugin, signal) => plugin.clients.kv_grpc.get({ key: "hang" }, { signal }),
      { timeoutMs: 4000, graceMs: 3000 },
    );
    expect(res.status).toBe("timeout");
    expect(res.record.exitCode).toBe(124);
    expect(res.record.cause).toMatch(/^timed out after 4000 ms; ended by SIGTERM/);
    expect(PlugwireError.is(res.error, ErrorCode.Timeout)).toBe(true);
    expect(alive(res.record.pid ?? 0)).toBe(false);
  });
});
