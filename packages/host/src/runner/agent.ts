import { ErrorCode, KnownHandshakes, type Logger, PlugwireError, runner } from "@plugwire/contract";
import type { AgentConfig, PluginConfig } from "../config/schema.js";
import { PluginHost, type PluginHostOptions } from "../host/plugin-host.js";
import type { Clock } from "../supervision/clock.js";
import type { EvidenceSink } from "./evidence-sink.js";
import {
  isOciSource,
  type ProtocolAnnotationLookup,
  protocolFromAnnotation,
  resolveProtocol,
} from "./protocol.js";
import { createRunnerClient } from "./runner-client.js";
import { runSchedule } from "./scheduler.js";

/** The services a runner host offers: go-plugin app version 1, set `runner` (runner-wire.md). */
export const RUNNER_VERSIONS = { 1: { runner: runner.Runner } } as const;

/** What a {@link SourceResolver} delivered: how to launch it and what the artifact declared. */
export interface ResolvedCommand {
  command: string;
  args: string[];
  /**
   * Present when the resolver read the artifact's manifest: its `org.ccf.plugin.protocol.version`
   * value (`value: undefined` when it has none). It replaces the `protocolLookup`, so the protocol
   * comes from the artifact actually launched — the last-known-good one on a fallback.
   */
  protocolAnnotation?: { value: string | undefined };
  /**
   * Set when the delivery failed and the last-known-good spec runs instead (issue 6): its stored config
   * is sent verbatim in place of the config file's — never an old binary with new config.
   */
  fallback?: { config: Record<string, string>; reason: string };
}

/**
 * Turns an OCI or HTTPS source into something to launch (the artifact-delivery layer provides it).
 * `config` is the plugin's configured `config`, stored with a delivered binary as its last-known-good
 * pair. The resolver bounds its own delivery (the agent does not: a large download may take minutes).
 */
export type SourceResolver = (
  source: string,
  opts: { signal: AbortSignal; plugin?: string; config?: Readonly<Record<string, string>> },
) => Promise<string | ResolvedCommand>;

/** Options for {@link createAgent}. */
export interface AgentOptions {
  config: AgentConfig;
  sink: EvidenceSink;
  logger: Logger;
  /**
   * Reads the OCI protocol annotation (bounded by `protocolLookupTimeoutMs`) when `resolveSource` does
   * not report it; without either, OCI sources default to protocol 1.
   */
  protocolLookup?: ProtocolAnnotationLookup;
  protocolLookupTimeoutMs?: number;
  /** Resolves OCI sources; without it they fail with a clear error. */
  resolveSource?: SourceResolver;
  /** Passed to the PluginHost (socket root, start timeout, env policy …). */
  host?: Omit<PluginHostOptions<typeof RUNNER_VERSIONS>, "handshake" | "versions" | "logger">;
  now?: () => number;
}

/** How one plugin's run ended. */
export interface PluginOutcome {
  plugin: string;
  /** ERROR: the run did not complete (launch, Configure/Init/Eval error, sink failure). */
  status: "SUCCESS" | "FAILURE" | "ERROR";
  protocol: 1 | 2 | undefined;
  evidence: number;
  durationMs: number;
  error?: Error;
  /** Why the last-known-good version ran instead of the configured source's (its delivery error). */
  fallback?: string;
}

/** Runs the plugins of an agent config: once each, or on their schedules. */
export interface Agent extends AsyncDisposable {
  /** Launch → Configure → (v2) Init → Eval → close, for one plugin. Never rejects: errors are outcomes. */
  runPlugin(plugin: PluginConfig, options?: { signal?: AbortSignal }): Promise<PluginOutcome>;
  /** Every plugin once, concurrently; outcomes in config order. */
  runOnce(options?: { signal?: AbortSignal }): Promise<PluginOutcome[]>;
  /** Each plugin on its `schedule` until `signal` aborts (see runSchedule); needs a schedule on every plugin. */
  runDaemon(options: {
    signal: AbortSignal;
    clock?: Clock;
    shutdownGraceMs?: number;
    onOutcome?: (outcome: PluginOutcome) => void;
  }): Promise<void>;
  close(): Promise<void>;
}

/**
 * The `plugwire run` agent: the Compliance Framework agent's lifecycle (runner-wire.md) on our host.
 * Each run launches the plugin fresh (as that agent does) and closes it afterwards.
 */
export function createAgent(options: AgentOptions): Agent {
  const { config, sink, logger } = options;
  const now = options.now ?? (() => performance.now());
  const host = new PluginHost({
    ...options.host,
    handshake: KnownHandshakes.runner,
    versions: RUNNER_VERSIONS,
    logger,
  });

  const command = async (plugin: PluginConfig, signal: AbortSignal) => {
    if (!isOciSource(plugin.source) && !/^https?:\/\//i.test(plugin.source)) return plugin.source;
    if (!options.resolveSource) {
      throw new PlugwireError(
        ErrorCode.NotFound,
        `source ${plugin.source} is an OCI reference, and no OCI source resolver is configured`,
        { plugin: plugin.name },
      );
    }
    return options.resolveSource(plugin.source, { signal, plugin: plugin.name, config: plugin.config });
  };

  const runPlugin: Agent["runPlugin"] = async (plugin, { signal = new AbortController().signal } = {}) => {
    const start = now();
    let protocol: 1 | 2 | undefined;
    let evidence = 0;
    try {
      // Delivery first, on the caller's signal only: the resolver bounds it, not the lookup timeout.
      const resolved = await command(plugin, signal);
      const target: ResolvedCommand =
        typeof resolved === "string" ? { command: resolved, args: [] } : resolved;
      const setting =
        plugin.protocolVersion === undefined && target.protocolAnnotation
          ? protocolFromAnnotation(target.protocolAnnotation.value, {
              plugin: plugin.name,
              source: plugin.source,
              logger,
            })
          : await resolveProtocol({
              plugin: plugin.name,
              source: plugin.source,
              configured: plugin.protocolVersion,
              lookup: options.protocolLookup,
              timeoutMs: options.protocolLookupTimeoutMs,
              logger,
              signal,
            });
      await using launched = await host.launch({
        name: plugin.name,
        command: target.command,
        args: [...target.args, ...plugin.args],
        env: plugin.env,
        signal,
      });
      const onAbort = () => void launched.close();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        const client = createRunnerClient(launched, {
          protocol: setting,
          sink,
          labels: plugin.labels,
          logger,
        });
        const config = target.fallback?.config ?? plugin.config;
        const report = await client.run({ config, policies: plugin.policies, signal });
        protocol = report.protocol;
        evidence = report.evidence;
        return {
          plugin: plugin.name,
          status: report.status,
          protocol,
          evidence,
          durationMs: Math.round(now() - start),
          ...(target.fallback ? { fallback: target.fallback.reason } : {}),
        };
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    } catch (error) {
      return {
        plugin: plugin.name,
        status: "ERROR",
        protocol,
        evidence,
        durationMs: Math.round(now() - start),
        error: error as Error,
      };
    }
  };

  const close = () => host.close();
  return {
    runPlugin,
    runOnce: ({ signal } = {}) => Promise.all(config.plugins.map((p) => runPlugin(p, { signal }))),
    async runDaemon({ signal, clock, shutdownGraceMs, onOutcome }) {
      const unscheduled = config.plugins.filter((p) => !p.schedule).map((p) => p.name);
      if (unscheduled.length > 0) {
        throw new PlugwireError(
          ErrorCode.ConfigInvalid,
          `--daemon needs a schedule on every plugin; missing on: ${unscheduled.join(", ")}`,
        );
      }
      await runSchedule({
        signal,
        clock,
        shutdownGraceMs,
        logger,
        jobs: config.plugins.map((p) => ({
          name: p.name,
          schedule: p.schedule ?? "",
          run: async (runSignal) => onOutcome?.(await runPlugin(p, { signal: runSignal })),
        })),
      });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
