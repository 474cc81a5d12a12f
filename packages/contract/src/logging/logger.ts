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
