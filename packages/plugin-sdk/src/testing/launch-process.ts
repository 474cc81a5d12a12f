import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { create } from "@bufbuild/protobuf";
import {
  controllerProto,
  createCertificate,
  createPluginTransport,
  decodeHandshakeCert,
  ErrorCode,
  type Handshake,
  type HandshakeConfig,
  type MutualTls,
  PluginEnv,
  PlugwireError,
  parseHandshakeLine,
} from "@plugwire/contract";
import { type HostSide, openHostSide } from "./host-side.js";

/** Options for {@link launchPluginProcess}. */
export interface LaunchPluginOptions {
  command: string;
  args?: readonly string[];
  handshake: HandshakeConfig;
  /** App protocol versions offered in `PLUGIN_PROTOCOL_VERSIONS`. */
  versions: readonly number[];
  /** Extra environment (wins over the inherited one; the launch contract wins over both). */
  env?: NodeJS.ProcessEnv;
  /** Turn on AutoMTLS (`PLUGIN_CLIENT_CERT`) like a Go host with `AutoMTLS: true`. */
  autoMtls?: boolean;
  /** Handshake timeout (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A launched plugin process with its host side connected. */
export interface LaunchedPlugin extends Omit<HostSide, "close">, AsyncDisposable {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly handshake: Handshake;
  /** The plugin's own stderr (its hclog lines), collected. */
  processStderr(): string;
  /** Resolves with the exit status once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * go-plugin's Kill: `GRPCController.Shutdown` (error ignored), close the connection, wait up to
   * `graceMs` (default 2 s, Go's fixed grace), then SIGKILL. Resolves `true` when it exited by itself.
   */
  close(graceMs?: number): Promise<boolean>;
}

/**
 * Launches a built plugin as a subprocess the way a go-plugin host does (go-plugin-wire.md §1–§4) and
 * completes the handshake. Deliberately minimal — a test helper; `@plugwire/host` is the real host.
 */
export async function launchPluginProcess(options: LaunchPluginOptions): Promise<LaunchedPlugin> {
  const socketDir = mkdtempSync(join(tmpdir(), "pw-host-"));
  const identity = options.autoMtls ? await createCertificate() : undefined;
  const child = spawn(options.command, [...(options.args ?? [])], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      ...options.env,
      [options.handshake.magicCookieKey]: options.handshake.magicCookieValue,
      [PluginEnv.ProtocolVersions]: options.versions.join(","),
      [PluginEnv.MinPort]: "10000",
      [PluginEnv.MaxPort]: "25000",
      ...(identity ? { [PluginEnv.ClientCert]: identity.certPem } : {}),
    },
  });
  const exited = once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
  });
  const cleanupDir = () => rmSync(socketDir, { recursive: true, force: true });

  let line: string;
  try {
    line = await firstLine(child, options.timeoutMs ?? 30_000, options.signal);
  } catch (err) {
    child.kill("SIGKILL");
    await exited;
    cleanupDir();
    throw new PlugwireError(ErrorCode.PluginExited, `no handshake: ${(err as Error).message}`, {
      cause: err,
      details: { stderr },
    });
  }
  // Go hosts drain stdout forever after the first line.
  child.stdout?.resume();
  const handshake = parseHandshakeLine(line, { offeredVersions: options.versions });
  const tls: MutualTls | undefined = identity
    ? {
        certPem: identity.certPem,
        keyPem: identity.keyPem,
        peerCertPem: decodeHandshakeCert(handshake.cert).pem,
      }
    : undefined;
  const connection = createPluginTransport({ address: handshake, tls });
  const side = openHostSide({ transport: connection.transport, socketDir, tls });

  let closing: Promise<boolean> | undefined;
  const close = (graceMs = 2000) => {
    closing ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        await side
          .client(controllerProto.GRPCController)
          .shutdown(create(controllerProto.EmptySchema), { timeoutMs: graceMs })
          .catch(() => {});
      }
      await side.close();
      connection.close();
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const status = await exited;
      clearTimeout(timer);
      cleanupDir();
      return status.signal !== "SIGKILL";
    })();
    return closing;
  };
  return {
    ...side,
    process: child,
    pid: child.pid ?? -1,
    handshake,
    processStderr: () => stderr,
    exited,
    close,
    [Symbol.asyncDispose]: async () => {
      await close();
    },
  };
}

function firstLine(child: ChildProcess, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  const stdout = child.stdout;
  if (!stdout) return Promise.reject(new Error("no stdout pipe"));
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: stdout });
    const done = (err: Error | undefined, line?: string) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      child.off("exit", onExit);
      rl.close();
      if (err) reject(err);
      else resolve(line ?? "");
    };
    const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => done(new Error("aborted"));
    const onExit = (code: number | null) =>
      done(new Error(`plugin exited with code ${code} before the handshake`));
    signal?.addEventListener("abort", onAbort, { once: true });
    child.once("exit", onExit);
    rl.once("line", (l) => done(undefined, l));
  });
}
