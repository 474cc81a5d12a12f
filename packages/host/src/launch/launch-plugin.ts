import { mkdtempSync, realpathSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createBroker,
  createCertificate,
  createPluginTransport,
  decodeHandshakeCert,
  ErrorCode,
  type HandshakeConfig,
  type Logger,
  type MutualTls,
  type PluginTransport,
  PlugwireError,
  type PreparedConnection,
  parseHandshakeLine,
  prepareConnection,
} from "@plugwire/contract";
import { createStderrLogSink } from "../connection/stderr-log.js";
import { Plugin } from "../host/plugin.js";
import type { VersionedServices } from "../host/types.js";
import type { IsolationOptions } from "../isolation/options.js";
import { type IsolationPlan, planIsolation } from "../isolation/plan-isolation.js";
import { awaitHandshakeLine } from "./await-handshake.js";
import { connectPlugin } from "./connect-plugin.js";
import { buildPluginEnv, type EnvPolicy } from "./environment.js";
import { diagnoseExecutable } from "./executable.js";
import { type SecureConfig, verifyChecksum } from "./secure-config.js";
import { type PluginProcess, spawnPlugin } from "./spawn.js";
import type { Spawner } from "./zygote.js";

/** Everything a single launch needs, host defaults already applied. */
export interface ResolvedLaunch<V extends VersionedServices> {
  name: string;
  command: string;
  args: readonly string[];
  cwd?: string | undefined;
  env?: Record<string, string> | undefined;
  envPolicy: EnvPolicy;
  /** Env profile, limits, sandbox, forbidden paths, die-with-host; its env profile replaces `envPolicy`. */
  isolation?: IsolationOptions | undefined;
  handshake: HandshakeConfig;
  versions: V;
  autoMtls: boolean;
  startTimeoutMs: number;
  closeGraceMs: number;
  /** Message size limits of the plugin connection (default 2^31-1 each). */
  readMaxBytes?: number | undefined;
  writeMaxBytes?: number | undefined;
  socketRoot?: string | undefined;
  socketGroup?: string | undefined;
  secureConfig?: SecureConfig | undefined;
  stdin?: "ignore" | "inherit" | undefined;
  /** How the process is started (the host's zygote pool); default a direct spawn. */
  spawner?: Spawner | undefined;
  logger: Logger;
  signal?: AbortSignal | undefined;
  onStdio?: ((plugin: Plugin<V>, channel: "stdout" | "stderr", data: Uint8Array) => void) | undefined;
  /** Raw stderr lines, besides the log sink (run records). */
  onStderrLine?: ((line: string, truncated: boolean) => void) | undefined;
}

/**
 * One launch, in protocol order (go-plugin-wire.md §1–§4): diagnose → spawn → handshake → connect.
 * Whatever fails, the process group is killed and the socket directory removed before the typed
 * error is thrown: a failed launch leaves nothing behind.
 */
export async function launchPlugin<V extends VersionedServices>(o: ResolvedLaunch<V>): Promise<Plugin<V>> {
  const { name, logger } = o;
  validateLaunch(o);
  const offered = Object.keys(o.versions).map(Number);
  const kind = o.command.includes("/") ? diagnoseExecutable(o.command, name) : undefined;
  if (o.secureConfig) await verifyChecksum(o.command, o.secureConfig, name);
  throwIfAborted(o.signal, name);

  // A short private directory: unix socket paths are limited to ~104 bytes. Synchronous for the
  // reason diagnoseExecutable is: two syscalls, cheaper than two thread-pool round trips.
  const socketDir = mkdtempSync(join(realpathSync.native(o.socketRoot ?? tmpdir()), "pw-"));
  let proc: PluginProcess | undefined;
  let plan: IsolationPlan | undefined;
  let connection: PluginTransport | undefined;
  let prepared: PreparedConnection | undefined;
  try {
    if (o.isolation) {
      plan = await planIsolation({
        plugin: name,
        command: o.command,
        args: o.args,
        cwd: o.cwd,
        socketDir,
        isolation: o.isolation,
        logger,
      });
    }
    const identity = o.autoMtls ? await createCertificate() : undefined;
    const env = buildPluginEnv({
      policy: plan?.envPolicy ?? o.envPolicy,
      extra: o.env,
      handshake: o.handshake,
      versions: offered,
      socketDir,
      socketGroup: o.socketGroup,
      clientCertPem: identity?.certPem,
    });
    const pluginLogger = logger;
    const logStderr = createStderrLogSink(pluginLogger);
    proc = spawnPlugin({
      plugin: name,
      command: plan?.command ?? o.command,
      args: plan?.args ?? o.args,
      env,
      watchdogPipe: plan?.watchdog,
      // The diagnosis is of o.command; an isolation wrapper (prlimit, bwrap) was not looked at.
      kind: plan && plan.command !== o.command ? undefined : kind,
      spawner: o.spawner,
      exitHook: plan,
      cwd: o.cwd,
      socketDir,
      stdin: o.stdin,
      onStderrLine: (line, truncated) => {
        logStderr(line, truncated);
        o.onStderrLine?.(line, truncated);
      },
      onStdoutLine: (line) =>
        pluginLogger.debug({ stdout: line }, "plugin wrote to stdout after the handshake"),
    });
    logger.debug(
      { pid: proc.pid, command: o.command, args: o.args, sandbox: plan?.level },
      "starting plugin",
    );
    // Built while the plugin boots (plaintext: AutoMTLS needs the plugin's certificate first); the
    // handshake line then only has to name where it connects.
    prepared = identity ? undefined : prepareConnection();
    const line = await awaitHandshakeLine(proc, name, o.startTimeoutMs, o.signal);
    const handshake = parseHandshakeLine(line, { plugin: name, offeredVersions: offered });
    let tls: MutualTls | undefined;
    if (identity) {
      if (handshake.cert === "") {
        throw new PlugwireError(
          ErrorCode.CertificateInvalid,
          "AutoMTLS is on but the plugin sent no certificate (handshake field 6 is empty); go-plugin plugins support AutoMTLS since v1.1",
          { plugin: name },
        );
      }
      tls = {
        certPem: identity.certPem,
        keyPem: identity.keyPem,
        peerCertPem: decodeHandshakeCert(handshake.cert, name).pem,
      };
    } else if (handshake.cert.length > 50) {
      // Go hosts crash here; we say what happened instead.
      throw new PlugwireError(
        ErrorCode.CertificateInvalid,
        "the plugin sent a TLS certificate but the host did not enable AutoMTLS (set autoMtls: true)",
        { plugin: name },
      );
    }
    connection = createPluginTransport({
      address: handshake,
      tls,
      readMaxBytes: o.readMaxBytes,
      writeMaxBytes: o.writeMaxBytes,
      prepared,
    });
    // Dialled before the handle is built: the plugin accepts and sets up meanwhile (connectPlugin awaits it).
    void connection.connect();
    const lifetime = new AbortController();
    const broker = createBroker({ plugin: name, socketDir, tls });
    const plugin = new Plugin<V>({
      name,
      negotiatedVersion: handshake.appVersion,
      versions: o.versions,
      connection,
      broker,
      process: proc,
      address: { network: handshake.network, address: handshake.address },
      owned: true,
      pid: proc.pid,
      socketDir,
      closeGraceMs: o.closeGraceMs,
      logger,
      lifetime,
      onClosing: () => o.spawner?.warm(),
    });
    await connectPlugin(plugin, {
      connection,
      broker,
      lifetime,
      logger,
      onStdio: o.onStdio,
      signal: o.signal,
      address: handshake,
      verify: "socket",
    });
    logger.debug({ version: handshake.appVersion, address: handshake.address, tls: !!tls }, "plugin started");
    return plugin;
  } catch (err) {
    connection?.close();
    prepared?.discard();
    if (proc) {
      proc.markForced();
      proc.signal("SIGKILL");
      await proc.exited;
    } else await plan?.dispose();
    await rm(socketDir, { recursive: true, force: true });
    throw err;
  }
}

function validateLaunch<V extends VersionedServices>(o: ResolvedLaunch<V>): void {
  const bad = (why: string) =>
    new PlugwireError(ErrorCode.ConfigInvalid, why, { plugin: o.name || "(unnamed)" });
  if (!o.name) throw bad("launch needs a plugin name");
  if (!o.command) throw bad("launch needs a command");
  if (Object.keys(o.versions).length === 0) throw bad("the host offers no app protocol versions");
  if (!(o.startTimeoutMs > 0)) throw bad("startTimeoutMs must be positive");
}

function throwIfAborted(signal: AbortSignal | undefined, plugin: string): void {
  if (signal?.aborted)
    throw new PlugwireError(ErrorCode.Aborted, "launch aborted", { plugin, cause: signal.reason });
}
