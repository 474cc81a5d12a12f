import { createConsoleLogger, PlugwireError } from "@plugwire/contract";
import { type CliCommand, type CliContext, UsageError } from "./command.js";
import { commands } from "./commands/index.js";

function help(list: readonly CliCommand[]): string {
  const width = Math.max(0, ...list.map((c) => c.name.length));
  const lines = list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: plugwire <command> [options]\n\ncommands:\n${lines.join("\n")}\n\nRun plugwire <command> --help for a command's options.\n`;
}

/**
 * The `plugwire` CLI: dispatches to a subcommand and turns errors into exit codes — 2 for usage
 * errors, 1 for everything else, with the typed error's code and message on stderr.
 */
export async function main(argv: string[], io: Partial<CliContext> = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    stdout.write(help(commands));
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    stderr.write(`plugwire: unknown command ${JSON.stringify(name)}\n\n${help(commands)}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    stdout.write(`${command.usage.trimEnd()}\n`);
    return 0;
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error("interrupted"));
  if (!io.signal) {
    // `on`, not `once`: while the command runs we stay a listener, so process-group's hook (which
    // re-raises a signal nobody else handles) never mistakes us for gone. Removed in `finally`.
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  try {
    return await command.run({
      argv: rest,
      stdout,
      stderr,
      env: io.env ?? process.env,
      logger: io.logger ?? createConsoleLogger(),
      signal: io.signal ?? controller.signal,
    });
  } catch (err) {
    if (err instanceof UsageError) {
      stderr.write(`plugwire ${name}: ${err.message}\n\n${command.usage.trimEnd()}\n`);
      return 2;
    }
    const label = err instanceof PlugwireError ? `${err.code}: ` : "";
    stderr.write(`plugwire ${name}: ${label}${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
