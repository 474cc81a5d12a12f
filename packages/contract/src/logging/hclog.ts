import { LOG_LEVELS, type LogFields, type Logger, type LogLevel, levelMethods } from "./logger.js";

/** A log entry decoded from one plugin stderr line (go-plugin-wire.md §4). */
export interface HclogEntry {
  level: LogLevel;
  message: string;
  /** `@timestamp` of a JSON line, or the timestamp before a `[LEVEL]` tag of a text line. */
  time?: Date;
  /** `@module` of a JSON line (hclog's Named() path, e.g. `kv.storage`). */
  module?: string;
  /** Every other key of a JSON line (`@caller`, kv pairs); empty for raw lines. */
  fields: LogFields;
  /** True for a line that was not an hclog JSON object. */
  raw: boolean;
}

/** Per-stream parser state: once a Go crash starts, every later raw line is an error. */
export interface HclogParseState {
  crashed: boolean;
}

/** A fresh {@link HclogParseState}; keep one per plugin process. */
export function createHclogParseState(): HclogParseState {
  return { crashed: false };
}

/** The entry shape {@link formatHclogLine} writes. */
export interface HclogWriteEntry {
  level: LogLevel;
  message: string;
  module?: string | undefined;
  fields?: LogFields | undefined;
  time?: Date | undefined;
}

const RESERVED = new Set(["@level", "@message", "@timestamp", "@module"]);
// Prefix tags go-plugin's logStderr recognises; we also accept them after a timestamp (hclog text format).
const RAW_PREFIX =
  /^(?:(\d{4}[-/]\d{2}[-/]\d{2}[T ][0-9:.,]{5,20}(?:Z|[+-]\d{2}:?\d{2})?)\s+)?\[(TRACE|DEBUG|INFO|WARN|ERROR)\]\s*/;
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Decodes the level name of hclog's `LevelFromString` (case-insensitive, trimmed); `undefined` if unknown.
 */
export function parseLogLevel(value: unknown): LogLevel | undefined {
  if (typeof value !== "string" || value.length > 16) return undefined;
  const v = value.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(v) ? (v as LogLevel) : undefined;
}

/**
 * Parses an hclog timestamp: layout `2006-01-02T15:04:05.000000Z07:00` (JSON format) or
 * `2006-01-02T15:04:05.000Z0700` (text format). Sub-millisecond digits are dropped (JS Dates hold ms).
 */
export function parseHclogTimestamp(value: string): Date | undefined {
  if (value.length > 64) return undefined;
  const m = TIMESTAMP.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = "", zone = "Z"] = m;
  const nums = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const [year, month, day, hour, min, sec] = nums;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, min, sec, Number(frac.padEnd(3, "0").slice(0, 3)));
  let offset = 0;
  if (zone !== "Z" && zone !== "z") {
    const digits = zone.slice(1).replace(":", "");
    offset =
      (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || "0")) * (zone[0] === "-" ? -1 : 1);
  }
  const ms = date.getTime() - offset * 60_000;
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

/**
 * Decodes one plugin stderr line the way a go-plugin host does (`Client.logStderr`): a JSON object
 * carrying `@level`/`@message` is a structured hclog entry (unknown or missing `@level` → error, as
 * go-plugin logs unexpected JSON at error); anything else is raw text, levelled by a `[TRACE]`…`[ERROR]`
 * tag and otherwise debug. `panic: ` / `fatal error: ` start a Go crash dump: with `state`, that line
 * and every later raw line are errors. Never throws; work is linear in the line length.
 */
export function parseHclogLine(line: string, state?: HclogParseState): HclogEntry {
  const text = typeof line === "string" ? line.replace(/\r?\n$/, "").replace(/\r$/, "") : "";
  const structured = parseJsonEntry(text);
  if (structured) return structured;

  if (text.startsWith("panic: ") || text.startsWith("fatal error: ")) {
    if (state) state.crashed = true;
    return { level: "error", message: text, fields: {}, raw: true };
  }
  // Only the head is matched: the regex is anchored and bounded, so megabyte lines cost nothing here.
  const m = RAW_PREFIX.exec(text.slice(0, 96));
  const entry: HclogEntry = { level: "debug", message: text, fields: {}, raw: true };
  if (m) {
    entry.level = (m[2] as string).toLowerCase() as LogLevel;
    entry.message = text.slice(m[0].length);
    const time = m[1] === undefined ? undefined : parseHclogTimestamp(m[1]);
    if (time) entry.time = time;
  }
  if (state?.crashed) entry.level = "error";
  return entry;
}

function parseJsonEntry(text: string): HclogEntry | undefined {
  const t = text.trim();
  if (t[0] !== "{" || t[t.length - 1] !== "}") return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(t);
  } catch {
    return undefined;
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return undefined;
  const record = obj as Record<string, unknown>;
  // A JSON object without hclog keys (e.g. a pino line) is not hclog: keep it whole as raw text.
  if (!("@level" in record) && !("@message" in record)) return undefined;
  // Object rest copies own data properties, so a "__proto__" key stays a plain field.
  const { "@level": lvl, "@message": msg, "@timestamp": ts, "@module": mod, ...fields } = record;
  const entry: HclogEntry = {
    level: parseLogLevel(lvl) ?? "error",
    message:
      typeof msg === "string" ? msg : msg === undefined || msg === null ? "" : (stringifyValue(msg) ?? ""),
    fields,
    raw: false,
  };
  if (typeof ts === "string") {
    const time = parseHclogTimestamp(ts);
    if (time) entry.time = time;
    else fields["@timestamp"] = ts; // unparsable: keep it visible rather than drop it
  }
  if (typeof mod === "string" && mod !== "") entry.module = mod;
  return entry;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/**
 * Formats `date` with Go layout `2006-01-02T15:04:05.000000Z07:00` (hclog's JSON `@timestamp`): exactly
 * six fractional digits (JS ms + `000`), `Z` for a zero offset, else `±hh:mm`. `offsetMinutes` defaults
 * to the local zone, as hclog stamps `time.Now()` in local time.
 */
export function formatHclogTimestamp(date: Date, offsetMinutes?: number): string {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) return "0001-01-01T00:00:00.000000Z"; // Go's zero time
  const offset = Math.trunc(offsetMinutes ?? -date.getTimezoneOffset());
  const d = new Date(ms + offset * 60_000);
  const year = d.getUTCFullYear();
  const stamp =
    `${year < 0 ? "-" : ""}${pad(Math.abs(year), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}` +
    `.${pad(d.getUTCMilliseconds(), 3)}000`;
  if (offset === 0) return `${stamp}Z`;
  const abs = Math.abs(offset);
  return `${stamp}${offset < 0 ? "-" : "+"}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

// Go's json.Encoder escapes HTML-significant characters and U+2028/9; these only occur inside strings.
const GO_ESCAPES: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

function replacer(seen?: WeakSet<object>) {
  return function (this: unknown, _key: string, value: unknown): unknown {
    if (value instanceof Error) return value.message; // hclog logs err.Error()
    if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
    if (seen && value !== null && typeof value === "object") {
      if (seen.has(value)) return "[Circular]";
      seen.add(value);
    }
    return value;
  };
}

/**
 * JSON for one field value, never throwing: Errors become their message (as hclog does), bigints numbers
 * or strings, cycles `"[Circular]"`. `undefined` for values JSON cannot hold (functions, symbols).
 */
export function stringifyValue(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, replacer());
  } catch {
    try {
      return JSON.stringify(value, replacer(new WeakSet()));
    } catch {
      return JSON.stringify("[Unserializable]");
    }
  }
}

// Go's encoding/json sorts map keys by their UTF-8 bytes.
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * One hclog JSON-format line (no trailing newline), byte-compatible with what hclog's
 * `JSONFormat: true` writes: a map of `@level`, `@message`, `@module` (when set), `@timestamp` and
 * the fields, keys sorted as Go's encoding/json sorts map keys, HTML characters escaped like Go.
 * Fields named like the reserved `@` keys are dropped so the line always parses back to `entry`.
 */
export function formatHclogLine(entry: HclogWriteEntry, offsetMinutes?: number): string {
  const map = new Map<string, string>();
  for (const [key, value] of Object.entries(entry.fields ?? {})) {
    if (RESERVED.has(key)) continue;
    const json = stringifyValue(value);
    if (json !== undefined) map.set(key, json);
  }
  map.set("@level", JSON.stringify(entry.level));
  map.set("@message", JSON.stringify(String(entry.message)));
  if (entry.module) map.set("@module", JSON.stringify(entry.module));
  map.set("@timestamp", JSON.stringify(formatHclogTimestamp(entry.time ?? new Date(), offsetMinutes)));
  const keys = [...map.keys()].sort(compareUtf8);
  const body = keys.map((k) => `${JSON.stringify(k)}:${map.get(k)}`).join(",");
  return `{${body}}`.replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c] ?? c);
}

/** Options for {@link createHclogLogger}. */
export interface HclogLoggerOptions {
  /** Receives each line, without newline. Default: `process.stderr.write(line + "\n")`. */
  write?: (line: string) => void;
  /** Module name (hclog's `Name`), written as `@module`. */
  module?: string;
  /** Lowest level written. Default `trace`: go-plugin's Serve logs at Trace and leaves filtering to the host. */
  level?: LogLevel;
  /** Clock, for tests. */
  now?: () => Date;
  /** UTC offset of `@timestamp`, in minutes; default the local zone (as hclog). */
  utcOffsetMinutes?: number;
}

/**
 * Normalises pino's call shapes to a message and fields: `(msg)`, `(fields, msg)`, `({ msg, ...fields })`
 * and `(err, msg?)` (the error's message goes to the `error` field, hclog's usual key).
 */
export function normalizeLogCall(obj: unknown, msg?: unknown): { message: string; fields: LogFields } {
  if (typeof obj === "string")
    return { message: typeof msg === "string" ? `${obj} ${msg}` : obj, fields: {} };
  if (obj instanceof Error)
    return { message: typeof msg === "string" ? msg : obj.message, fields: { error: obj } };
  if (obj !== null && typeof obj === "object") {
    const { msg: inner, ...fields } = obj as LogFields;
    return { message: typeof msg === "string" ? msg : typeof inner === "string" ? inner : "", fields };
  }
  return { message: obj === undefined ? (typeof msg === "string" ? msg : "") : String(obj), fields: {} };
}

/** Splits hclog's Named() binding (`@module`, or `module`) from the other child bindings. */
function splitModule(bindings: LogFields): { name: string | undefined; rest: LogFields } {
  const { "@module": a, module: b, ...rest } = bindings;
  if (typeof b !== "string" && b !== undefined) rest.module = b;
  const name = typeof a === "string" && a ? a : typeof b === "string" && b ? b : undefined;
  return { name, rest };
}

const safeWrite = (write: (line: string) => void, line: string) => {
  try {
    write(line);
  } catch {
    // Logging must never throw into the code that logs (e.g. EPIPE once the host is gone).
  }
};

const stderrWrite = (line: string) => {
  process.stderr.write(`${line}\n`);
};

/**
 * The plugin-side {@link Logger}: every entry becomes one hclog JSON line on stderr, which a go-plugin
 * host parses as a structured log (go-plugin-wire.md §4). `child(bindings)` adds fields;
 * `child({ "@module": "x" })` (or `module`) names a sub-logger `parent.x`, like hclog's `Named()`.
 */
export function createHclogLogger(options: HclogLoggerOptions = {}): Logger {
  const write = options.write ?? stderrWrite;
  const now = options.now ?? (() => new Date());
  const min = LOG_LEVELS.indexOf(options.level ?? "trace");
  const make = (module: string | undefined, bindings: LogFields): Logger => {
    const at = (level: LogLevel) => (obj: LogFields | string, msg?: string) => {
      if (LOG_LEVELS.indexOf(level) < min) return;
      const { message, fields } = normalizeLogCall(obj, msg);
      const entry = { level, message, module, fields: { ...bindings, ...fields }, time: now() };
      safeWrite(write, formatHclogLine(entry, options.utcOffsetMinutes));
    };
    return {
      ...levelMethods(at),
      child(childBindings: LogFields): Logger {
        const { name, rest } = splitModule(childBindings ?? {});
        return make(name ? (module ? `${module}.${name}` : name) : module, { ...bindings, ...rest });
      },
    };
  };
  return make(options.module || undefined, {});
}

/** Options for {@link createConsoleLogger}. */
export interface ConsoleLoggerOptions {
  /** Lowest level written. Default: `PLUGWIRE_LOG_LEVEL` from the environment, else `info`. */
  level?: LogLevel;
  /** Receives each line, without newline. Default: stderr. */
  write?: (line: string) => void;
  /** Colour the level (ANSI). Default: stderr is a TTY, `write` is not given and `NO_COLOR` is unset. */
  pretty?: boolean;
  /** Clock, for tests. */
  now?: () => Date;
}

const COLORS: Record<LogLevel, string> = {
  trace: "\x1b[90m",
  debug: "\x1b[36m",
  info: "\x1b[32m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
};

function consoleValue(value: unknown): string {
  const v = value instanceof Error ? value.message : value;
  if (typeof v === "string") return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return stringifyValue(v) ?? String(v);
}

function consoleFields(fields: LogFields): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) parts.push(`${k}=${consoleValue(v)}`);
  return parts.join(" ");
}

/**
 * The host's default {@link Logger} when the user gives none: one compact human line per entry,
 * `2026-01-02T03:04:05.123Z INFO  [plugin=kv] message k=v` (child bindings in brackets, call fields after).
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const write = options.write ?? stderrWrite;
  const now = options.now ?? (() => new Date());
  const level = options.level ?? parseLogLevel(process.env.PLUGWIRE_LOG_LEVEL) ?? "info";
  const min = LOG_LEVELS.indexOf(level);
  const pretty =
    options.pretty ?? (options.write === undefined && process.stderr.isTTY === true && !process.env.NO_COLOR);
  const make = (bindings: LogFields): Logger => {
    const prefix = consoleFields(bindings);
    const at = (lvl: LogLevel) => (obj: LogFields | string, msg?: string) => {
      if (LOG_LEVELS.indexOf(lvl) < min) return;
      const { message, fields } = normalizeLogCall(obj, msg);
      const name = lvl.toUpperCase().padEnd(5);
      const parts = [now().toISOString(), pretty ? `${COLORS[lvl]}${name}\x1b[0m` : name];
      if (prefix) parts.push(`[${prefix}]`);
      // Keep one entry on one line: embedded newlines are escaped.
      parts.push(message.replace(/\r?\n/g, "\\n"));
      const rest = consoleFields(fields);
      if (rest) parts.push(rest);
      safeWrite(write, parts.join(" "));
    };
    return {
      ...levelMethods(at),
      child: (childBindings: LogFields) => make({ ...bindings, ...childBindings }),
    };
  };
  return make({});
}

const noop = () => {};

/** A {@link Logger} that drops everything (pass it to silence plugwire). */
export const silentLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};
