import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import { ErrorCode, PlugwireError, type RunRecord, runEnvelopePlugin } from "../../src/index.js";
import { captureLogger } from "../support/capture-logger.js";
import { alive, descendants, waitUntil } from "../support/leaks.js";

const fixture = fileURLToPath(new URL("../fixtures/ephemeral-envelope.mjs", import.meta.url));

function run(request: Record<string, unknown>, extra: Partial<Parameters<typeof runEnvelopePlugin>[0]> = {}) {
  const logger = captureLogger();
  const records: RunRecord[] = [];
  const result = runEnvelopePlugin({
    plugin: "env-fixture",
    version: "1.2.3",
    command: process.execPath,
    args: [fixture],
    request,
    logger,
    onRecord: (r) => records.push(r),
    ...extra,
  });
  return { result, logger, records };
}

afterEach(async () => {
  // Every run reaps its whole group: nothing of ours may be left.
  const clean = await waitUntil(() => descendants().length === 0, 3000);
  expect(clean, `processes left behind: ${descendants().join(", ")}`).toBe(true);
});

describe("ephemeral JSON-envelope plugins", () => {
  test("a request round trip: output, stderr JSON lines as logs, a complete run record", async () => {
    const { result, logger, records } = run({ mode: "echo", n: 1 });
    const res = await result;
    expect(res.status).toBe("success");
    expect(res.output).toEqual({ echo: { mode: "echo", n: 1 }, attempt: 1 });
    const entry = logger.entries.find((e) => e.message === "echoing");
    expect(entry).toMatchObject({ level: "info", fields: { plugin: "env-fixture", attempt: 1 } });
    expect(logger.entries.find((e) => e.message === "a plain stderr line")?.level).toBe("debug");
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      plugin: "env-fixture",
      version: "1.2.3",
      kind: "ephemeral",
      status: "success",
      exitCode: 0,
      signal: null,
      attempt: 1,
    });
    expect(records[0]?.stderr).toContain('"message":"echoing"');
    expect(records[0]?.durationMs).toBeGreaterThan(0);
  });

  test("exit 1 is a plugin error with its message; SIGSEGV is a crash", async () => {
    const err = await run({ mode: "error" }).result;
    expect(err).toMatchObject({ status: "failed", error: "plugin error: boom" });
    expect(err.records[0]?.exitCode).toBe(1);
    const crash = await run({ mode: "crash" }).result;
    expect(crash.status).toBe("failed");
    expect(crash.records[0]).toMatchObject({ exitCode: null, signal: "SIGSEGV" });
  });

  test("input required: exit 2 → onInputRequired → re-run with extra_inputs; each attempt keeps its stderr", async () => {
    const asked: unknown[] = [];
    const { result } = run(
      { mode: "input", need: ["token", "region"] },
      {
        onInputRequired: (req, ctx) => {
          asked.push({ req, round: ctx.round });
          return Object.fromEntries(req.fields.map((f) => [f.name, `${f.name}-value`]));
        },
      },
    );
    const res = await result;
    expect(res.status).toBe("success");
    expect(res.output).toEqual({ got: { token: "token-value", region: "region-value" }, attempt: 2 });
    expect(asked).toEqual([
      {
        req: {
          reason: "need token, region",
          fields: [
            { name: "token", secret: true },
            { name: "region", secret: true },
          ],
        },
        round: 1,
      },
    ]);
    expect(res.records.map((r) => r.status)).toEqual(["skipped", "success"]);
    expect(res.records.map((r) => r.exitCode)).toEqual([2, 0]);
    expect(res.records[0]?.stderr).toContain("attempt 1");
    expect(res.records[1]?.stderr).toContain("attempt 2");
    expect(res.records[0]?.stderr).not.toContain("attempt 2");
    expect(new Set(res.records.map((r) => r.runId)).size).toBe(1);
  });

  test("input required without a handler is skipped; past the bound it fails", async () => {
    expect(await run({ mode: "input" }).result).toMatchObject({ status: "skipped" });
    let rounds = 0;
    const bounded = await run(
      { mode: "input" },
      { maxInputRequests: 2, onInputRequired: () => ({ unrelated: String(++rounds) }) },
    ).result;
    expect(bounded.status).toBe("failed");
    expect(bounded.error).toContain("more than 2 times");
    expect(bounded.records).toHaveLength(3);
    expect(rounds).toBe(2);
  });

  test("a cancel while the host waits for input aborts the call: canceled, no re-run", async () => {
    const controller = new AbortController();
    let handlerSignal: AbortSignal | undefined;
    const res = await run(
      { mode: "input" },
      {
        signal: controller.signal,
        onInputRequired: (_req, ctx) => {
          handlerSignal = ctx.signal;
          controller.abort(new Error("user closed the prompt"));
          return new Promise(() => {}); // never answers: only the cancel ends it
        },
      },
    ).result;
    expect(res.status).toBe("canceled");
    expect(res.error).toContain("user closed the prompt");
    expect(res.records).toHaveLength(1);
    expect(handlerSignal?.aborted).toBe(true);
    // A declining handler is a cancel too.
    expect(await run({ mode: "input" }, { onInputRequired: () => undefined }).result).toMatchObject({
      status: "canceled",
    });
  });

  test("a plugin that hangs is killed on time: timeout, exit code 124, SIGTERM to the group", async () => {
    const res = await run({ mode: "hang" }, { timeoutMs: 300, graceMs: 2000 }).result;
    expect(res.status).toBe("timeout");
    expect(res.records[0]).toMatchObject({ exitCode: 124, signal: "SIGTERM", status: "timeout" });
    expect(res.records[0]?.durationMs).toBeGreaterThanOrEqual(300);
    // Bounded: ended by the timeout, far before the 60 s default or the grace.
    expect(res.records[0]?.durationMs).toBeLessThan(2000);
    expect(alive(res.records[0]?.pid ?? 0)).toBe(false);
  });

  test("a plugin that ignores SIGTERM is SIGKILLed after the grace", async () => {
    const controller = new AbortController();
    const { result, logger } = run({ mode: "ignore-term" }, { graceMs: 200, signal: controller.signal });
    // Cancel once the plugin says its SIGTERM handler is installed.
    expect(await waitUntil(() => logger.entries.some((e) => e.message === "ready"), 10_000)).toBe(true);
    controller.abort(new Error("cancel"));
    const res = await result;
    expect(res.status).toBe("canceled");
    expect(res.records[0]?.signal).toBe("SIGKILL");
    expect(logger.entries.some((e) => e.message === "ignoring SIGTERM")).toBe(true);
  });

  test("a plugin that forks a grandchild leaves nothing behind (exit, and timeout)", async () => {
    const done = await run({ mode: "fork" }).result;
    expect(done.status).toBe("success");
    const grandchild = done.output?.grandchild as number;
    expect(grandchild).toBeGreaterThan(0);
    expect(await waitUntil(() => !alive(grandchild), 2000)).toBe(true);

    const { result, logger } = run({ mode: "fork", after: "hang" }, { timeoutMs: 500 });
    const hung = await result;
    expect(hung.status).toBe("timeout");
    const forked = logger.entries.find((e) => e.message === "forked")?.fields.pid as number;
    expect(forked).toBeGreaterThan(0);
    expect(await waitUntil(() => !alive(forked), 2000)).toBe(true);
  });

  test("stdout is capped at 1 MiB; an oversized request is refused before spawning", async () => {
    const flood = await run({ mode: "flood" }).result;
    expect(flood.status).toBe("failed");
    expect(flood.error).toContain("stdout exceeded 1048576 bytes");
    const err = await runEnvelopePlugin({
      plugin: "too-big",
      command: "/nonexistent/plugin", // never reached: spawning would fail with NOT_FOUND
      request: { blob: "x".repeat(1024 * 1024) },
    }).catch((e: unknown) => e);
    expect(PlugwireError.is(err, ErrorCode.PayloadTooLarge)).toBe(true);
    expect((err as PlugwireError).message).toMatch(/^plugin too-big: request is \d+ bytes/);
  });

  test("a missing executable is a typed error naming the plugin", async () => {
    const err = await runEnvelopePlugin({
      plugin: "ghost",
      command: "/nonexistent/plugin",
      request: {},
    }).catch((e: unknown) => e);
    expect(PlugwireError.is(err, ErrorCode.NotFound)).toBe(true);
    expect((err as PlugwireError).plugin).toBe("ghost");
  });

  test("peak memory is the process group's real high-water mark from /proc", async () => {
    const res = await run({ mode: "memory", mb: 96, holdMs: 500 }).result;
    expect(res.status).toBe("success");
    expect(res.records[0]?.peakMemoryBytes).toBeGreaterThanOrEqual(96 * 1024 * 1024);
  });
});
