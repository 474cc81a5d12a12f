import { createHclogParseState, type Logger, parseHclogLine } from "@plugwire/contract";

/**
 * Routes plugin stderr lines to the host logger (go-plugin-wire.md §4): hclog JSON lines keep their
 * level, module and fields; raw lines map `[LEVEL]` prefixes, default to debug, and turn to error
 * after `panic:` / `fatal error:`. Every entry carries the plugin name.
 */
export function createStderrLogSink(logger: Logger): (line: string, truncated: boolean) => void {
  const state = createHclogParseState();
  return (line, truncated) => {
    if (line === "") return;
    const entry = parseHclogLine(line, state);
    const fields: Record<string, unknown> = { ...entry.fields };
    if (entry.module) fields["@module"] = entry.module;
    if (entry.time) fields.time = entry.time.toISOString();
    if (truncated) fields.truncated = true;
    logger[entry.level](fields, entry.message);
  };
}
