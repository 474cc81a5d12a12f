/** Fields attached to a log entry. */
export type LogFields = Record<string, unknown>;

/** Log levels, lowest first (hclog's names). */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

/** Ordered list of {@link LogLevel}s, lowest first. */
export const LOG_LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error"];

/**
 * The logger plugwire writes to. pino satisfies it (`logger.info(fields, msg)` and `logger.info(msg)`),
 * and so does any object with these five methods and `child`.
 */
export interface Logger {
  trace(obj: LogFields | string, msg?: string): void;
  debug(obj: LogFields | string, msg?: string): void;
  info(obj: LogFields | string, msg?: string): void;
  warn(obj: LogFields | string, msg?: string): void;
  error(obj: LogFields | string, msg?: string): void;
  child(bindings: LogFields): Logger;
}

/** One level's method of a {@link Logger}. */
export type LogMethod = Logger["info"];

/**
 * The five level methods of a {@link Logger} from one factory, so every logger implementation
 * (hclog, console, remote, test capture) builds them the same way.
 */
export function levelMethods(at: (level: LogLevel) => LogMethod): Pick<Logger, LogLevel> {
  return { trace: at("trace"), debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
