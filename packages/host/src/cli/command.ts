import type { Logger } from "@plugwire/contract";

/** What every `plugwire` subcommand receives. */
export interface CliContext {
  /** Arguments after the subcommand name. */
  argv: string[];
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Aborted on SIGINT/SIGTERM: long-running commands stop gracefully. */
  signal: AbortSignal;
}

/** One `plugwire <name>` subcommand. `run` resolves with the process exit code. */
export interface CliCommand {
  name: string;
  /** One line for `plugwire --help`. */
  summary: string;
  /** Full usage text for `plugwire <name> --help`. */
  usage: string;
  run(ctx: CliContext): Promise<number>;
}

/** Thrown for bad command lines: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
