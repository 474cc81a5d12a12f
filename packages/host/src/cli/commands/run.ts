import { parseArgs } from "node:util";
import { createConsoleLogger, type Logger } from "@plugwire/contract";
import { loadAgentConfig } from "../../config/load-config.js";
import type { EvidenceConfig } from "../../config/schema.js";
import { createAgent, type PluginOutcome } from "../../runner/agent.js";
import { createHttpSink, createJsonLinesSink, type EvidenceSink } from "../../runner/evidence-sink.js";
import { type CliCommand, type CliContext, UsageError } from "../command.js";
import { agentSourcesFromFlags, SOURCE_OPTIONS, SOURCE_USAGE } from "./source-options.js";

const usage = `usage: plugwire run <config.yaml> [--evidence-out FILE] [--daemon]

Runs the runner plugins of an agent config (Compliance Framework runner protocol v1/v2): for each
plugin Configure, Init (protocol 2) and Eval, with evidence written as one protobuf-JSON object per
line to FILE, or to the config's evidence sink, or to stdout. A summary table goes to stderr.
Exit code 0 only if every plugin's Eval answered SUCCESS.

options:
  --evidence-out FILE  append evidence to FILE (JSON lines); wins over the config's "evidence"
  --daemon             run each plugin on its cron "schedule" until SIGINT/SIGTERM
${SOURCE_USAGE}
Environment: PLUGWIRE_<SECTION>__<KEY>… overrides config values, e.g.
  PLUGWIRE_PLUGINS__MY_PLUGIN__PROTOCOL_VERSION=2  PLUGWIRE_LOGGING__LEVEL=debug
`;

function sinkFor(
  flag: string | undefined,
  config: EvidenceConfig | undefined,
  stdout: NodeJS.WritableStream,
): EvidenceSink {
  if (flag) return createJsonLinesSink({ path: flag });
  if (config?.type === "jsonl") return createJsonLinesSink({ path: config.path });
  if (config?.type === "http") return createHttpSink({ url: config.url, headers: config.headers });
  return createJsonLinesSink({ stream: stdout });
}

/** The per-plugin summary: status, protocol, evidence count, duration. */
export function summaryTable(outcomes: readonly PluginOutcome[]): string {
  const rows = [
    ["PLUGIN", "STATUS", "PROTOCOL", "EVIDENCE", "DURATION"],
    ...outcomes.map((o) => [
      o.plugin,
      o.status,
      o.protocol ? `v${o.protocol}` : "-",
      String(o.evidence),
      `${o.durationMs} ms`,
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
  return `${rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}

function failureLines(outcomes: readonly PluginOutcome[]): string {
  return outcomes
    .filter((o) => o.status !== "SUCCESS")
    .map(
      (o) =>
        `plugwire run: plugin ${o.plugin} failed: ${o.error ? o.error.message : `Eval answered ${o.status}`}\n`,
    )
    .join("");
}

async function run(ctx: CliContext): Promise<number> {
  const { values, positionals } = (() => {
    try {
      return parseArgs({
        args: ctx.argv,
        allowPositionals: true,
        options: { "evidence-out": { type: "string" }, daemon: { type: "boolean" }, ...SOURCE_OPTIONS },
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  })();
  if (positionals.length !== 1) throw new UsageError("expected exactly one config file");
  const config = await loadAgentConfig(positionals[0] as string, { env: ctx.env, signal: ctx.signal });
  const logger: Logger = config.logging.level
    ? createConsoleLogger({ level: config.logging.level })
    : ctx.logger;
  const sink = sinkFor(values["evidence-out"], config.evidence, ctx.stdout);
  const sources = await agentSourcesFromFlags(values, ctx.env, logger);
  await using agent = createAgent({ config, sink, logger, ...sources });
  try {
    if (values.daemon) {
      const failed: PluginOutcome[] = [];
      await agent.runDaemon({
        signal: ctx.signal,
        onOutcome: (o) => {
          ctx.stderr.write(summaryTable([o]));
          if (o.status !== "SUCCESS") ctx.stderr.write(failureLines([o]));
          if (o.status !== "SUCCESS") failed.push(o);
        },
      });
      logger.info({ failedRuns: failed.length }, "daemon stopped");
      return 0;
    }
    const outcomes = await agent.runOnce({ signal: ctx.signal });
    ctx.stderr.write(summaryTable(outcomes));
    ctx.stderr.write(failureLines(outcomes));
    return outcomes.every((o) => o.status === "SUCCESS") ? 0 : 1;
  } finally {
    await sink.close();
  }
}

/** `plugwire run`: the Compliance Framework agent's run loop on plugwire's host. */
export const runCommand: CliCommand = {
  name: "run",
  summary: "run runner plugins (runner protocol v1/v2) from an agent config",
  usage,
  run,
};
