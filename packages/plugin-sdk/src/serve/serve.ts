import { writeSync } from "node:fs";
import {
  COOKIE_MISMATCH_MESSAGE,
  createBroker,
  createCertificate,
  createHclogLogger,
  ErrorCode,
  encodeHandshakeCert,
  type GrpcBroker,
  type Logger,
  type MutualTls,
  type PluginAddress,
  PluginEnv,
  PlugwireError,
} from "@plugwire/contract/wire";
import type { PluginDefinition, VersionDescriptors } from "../define-plugin.js";
import type { PluginContext } from "../plugin-context.js";
import { pluginRoutes } from "../services/register.js";
import { createStdioStream } from "../services/stdio.js";
import { cookieMatches } from "./cookie.js";
import { handshakeLine } from "./handshake.js";
import { listenForHost, listenTarget } from "./listen.js";
import { negotiate } from "./negotiate.js";
import { watchParent } from "./parent-watch.js";
import { createStopper, DEFAULT_SHUTDOWN_GRACE_MS } from "./shutdown.js";
import { guardProcessStdio } from "./stdout-capture.js";

/** Options for {@link serve}. Defaults are what a plugin process wants; tests override them. */
export interface ServeOptions {
  /** Environment to read the launch contract from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Bound for in-flight calls once stopping (default 1 s; Go hosts SIGKILL after 2 s). */
  shutdownGraceMs?: number;
  /** Called with the exit code once stopped (default `process.exit`). */
  exit?: (code: number) => void;
  /** Exit when the host process dies (default true; polls every 250 ms). */
  watchParent?: boolean;
  /** Aborting it stops the plugin like a host's Shutdown. */
  signal?: AbortSignal;
  /** How long to hold stdio for a host that has not opened GRPCStdio (default 2 s). */
  stdioFallbackMs?: number;
  /**
   * Largest request message accepted (default 2^31-1, as go-plugin raises grpc-go's limits); a
   * bigger one fails that call with RESOURCE_EXHAUSTED, the plugin keeps serving.
   */
  readMaxBytes?: number;
  /** Largest response message sent (default 2^31-1); a bigger one fails the call with RESOURCE_EXHAUSTED. */
  writeMaxBytes?: number;
}

/** A running plugin. */
export interface PluginServer extends AsyncDisposable {
  /** The negotiated app protocol version. */
  readonly version: number;
  /** Where it listens (what the handshake line announced). */
  readonly address: PluginAddress;
  readonly broker: GrpcBroker;
  readonly logger: Logger;
  /** Resolves once stopped (just before `exit` is called). */
  readonly stopped: Promise<void>;
  /** Stops gracefully, then calls `exit(0)`. Idempotent. */
  stop(reason?: string): Promise<void>;
}

/**
 * Runs `definition` as a go-plugin plugin process, exactly in go-plugin's start-up order
 * (go-plugin-wire.md §2): cookie check (else the three-line message on stderr and exit 1), version
 * negotiation from `PLUGIN_PROTOCOL_VERSIONS`, AutoMTLS when `PLUGIN_CLIENT_CERT` is set, listen,
 * then the handshake line — the only thing ever written to the real stdout. Afterwards stdout and
 * stderr writes stream to the host through `plugin.GRPCStdio`; the SDK's own hclog lines go to the
 * real stderr. SIGINT is ignored like Go plugins; SIGTERM, `GRPCController.Shutdown` and a vanished
 * host stop it gracefully and exit 0.
 */
export async function serve<V extends VersionDescriptors>(
  definition: PluginDefinition<V>,
  options: ServeOptions = {},
): Promise<PluginServer> {
  const env = options.env ?? process.env;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const plugin = definition.name;
  const stdio = guardProcessStdio();

  if (!cookieMatches(definition.handshake, env)) {
    writeStderrNow(COOKIE_MISMATCH_MESSAGE);
    exit(1);
    throw new PlugwireError(ErrorCode.CookieMismatch, "started without the host's magic cookie", { plugin });
  }

  // Go's Serve builds its logger on os.Stderr before redirecting stdio: logs are for the host.
  const logger = definition.logger ?? createHclogLogger({ write: (line) => stdio.writeStderr(`${line}\n`) });
  const { version, pluginSet } = negotiate(definition, env);
  const tls = await autoMtls(env, logger);
  const target = listenTarget(env);
  const broker = createBroker({
    plugin,
    socketDir: target.socketDir,
    network: target.network,
    tls: tls?.mutual,
  });
  const controller = new AbortController();
  const context: PluginContext = { broker, logger, version, signal: controller.signal };
  const stdioStream = createStdioStream({
    fallback: (chunk) => stdio.writeStderr(chunk.data),
    ...(options.stdioFallbackMs !== undefined ? { fallbackMs: options.stdioFallbackMs } : {}),
  });

  const graceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  const cleanups: (() => void)[] = [];
  const stopper = createStopper(async (reason) => {
    logger.debug({ reason }, "plugin shutting down");
    for (const cleanup of cleanups) cleanup();
    controller.abort();
    stdioStream.close();
    await server.close(graceMs);
    await broker.close();
  });
  const stop = async (reason = "stop") => {
    await stopper.stop(reason);
    exit(0);
  };

  const server = await listenForHost({
    routes: pluginRoutes({ pluginSet, context, stdio: stdioStream, onShutdown: () => void stop("shutdown") }),
    env,
    tls: tls?.mutual,
    plugin,
    readMaxBytes: options.readMaxBytes,
    writeMaxBytes: options.writeMaxBytes,
  });
  logger.debug({ network: server.address.network, address: server.address.address }, "plugin address");
  // Signal handlers go in before the handshake: a host may signal as soon as it has the line.
  let interrupts = 0;
  const onInterrupt = () =>
    logger.trace({ count: ++interrupts }, "plugin received interrupt signal, ignoring");
  const onTerminate = () => void stop("SIGTERM");
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onTerminate);
  cleanups.push(() => process.off("SIGTERM", onTerminate));
  stdio.writeHandshake(handshakeLine({ version, address: server.address, cert: tls?.handshakeCert, env }));
  stdio.capture((chunk) => stdioStream.write(chunk));

  if (options.watchParent ?? true) {
    const watch = watchParent({ onGone: () => void stop("host process exited") });
    cleanups.push(() => watch.stop());
  }
  if (options.signal) {
    const onAbort = () => void stop("aborted");
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener("abort", onAbort, { once: true });
  }

  return {
    version,
    address: server.address,
    broker,
    logger,
    stopped: stopper.stopped,
    stop,
    [Symbol.asyncDispose]: () => stop("disposed"),
  };
}

/** Server-side AutoMTLS (go-plugin-wire.md §6): a fresh P-521 identity that trusts only the host's cert. */
async function autoMtls(
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<{ mutual: MutualTls; handshakeCert: string } | undefined> {
  const peerCertPem = env[PluginEnv.ClientCert];
  if (!peerCertPem) return undefined;
  logger.info("configuring server automatic mTLS");
  const identity = await createCertificate();
  return {
    mutual: { certPem: identity.certPem, keyPem: identity.keyPem, peerCertPem },
    handshakeCert: encodeHandshakeCert(identity.certDer),
  };
}

/** Synchronous write to fd 2, so it lands before an immediate exit. */
function writeStderrNow(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // Nothing more can be done if stderr is closed.
  }
}
