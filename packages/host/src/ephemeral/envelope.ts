import {
  ErrorCode,
  type InputFieldSpec,
  type InputRequest,
  type InputValues,
  PlugwireError,
} from "@plugwire/contract";

/** Both the request on stdin and the response on stdout are capped at 1 MiB. */
export const MAX_ENVELOPE_BYTES = 1024 * 1024;

/**
 * Exit codes of an envelope plugin. The host adds 124 for its own timeout
 * ({@link HOST_TIMEOUT_EXIT_CODE}); any other code is a failure.
 */
export const EnvelopeExit = {
  /** stdout holds the result object. */
  Ok: 0,
  /** Plugin error; stdout may hold `{ "error": "…" }` or `{ "error": { "message": "…" } }`. */
  PluginError: 1,
  /** Input required; stdout holds `{ "fields": [...], "reason": "…" }`. */
  InputRequired: 2,
  /** The plugin could not read its request, or crashed. */
  BadEnvelope: 3,
} as const;

/** What the host writes to stdin (then closes it). */
export interface EnvelopeRequest {
  plugin: string;
  /** The caller's request, any JSON value. */
  request: unknown;
  /** Answers to earlier input-required exits (`{}` on the first attempt). */
  extra_inputs: InputValues;
  /** 1-based. */
  attempt: number;
}

/** The request as bytes, refused before spawning when over the cap. */
export function encodeEnvelopeRequest(request: EnvelopeRequest, maxBytes = MAX_ENVELOPE_BYTES): Buffer {
  let text: string;
  try {
    text = JSON.stringify(request);
  } catch (cause) {
    throw new PlugwireError(ErrorCode.ConfigInvalid, "the request is not JSON-serialisable", {
      plugin: request.plugin,
      cause,
    });
  }
  const bytes = Buffer.from(`${text}\n`, "utf8");
  if (bytes.length > maxBytes) {
    throw new PlugwireError(
      ErrorCode.PayloadTooLarge,
      `request is ${bytes.length} bytes, over the ${maxBytes}-byte envelope cap; not started`,
      { plugin: request.plugin, details: { bytes: bytes.length, maxBytes } },
    );
  }
  return bytes;
}

/** How stdout reads for a given exit code. */
export type EnvelopeResponse =
  | { kind: "ok"; output: Record<string, unknown> }
  | { kind: "error"; message: string }
  | { kind: "input_required"; input: InputRequest }
  | { kind: "bad"; message: string };

/** Interprets stdout according to the exit code (0, 1, 2; anything else is reported by the caller). */
export function decodeEnvelopeResponse(exitCode: number, stdout: string): EnvelopeResponse {
  const parsed = parseObject(stdout);
  if (exitCode === EnvelopeExit.Ok) {
    return "object" in parsed
      ? { kind: "ok", output: parsed.object }
      : { kind: "bad", message: parsed.error };
  }
  if (exitCode === EnvelopeExit.InputRequired) {
    if (!("object" in parsed)) return { kind: "bad", message: `input-required exit: ${parsed.error}` };
    const input = inputRequest(parsed.object);
    return typeof input === "string" ? { kind: "bad", message: input } : { kind: "input_required", input };
  }
  const error = "object" in parsed ? parsed.object.error : undefined;
  const message =
    typeof error === "string"
      ? error
      : typeof (error as { message?: unknown })?.message === "string"
        ? (error as { message: string }).message
        : `exit code ${exitCode}`;
  return { kind: "error", message };
}

function parseObject(text: string): { object: Record<string, unknown> } | { error: string } {
  if (text.trim() === "") return { error: "stdout is empty (expected one JSON object)" };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { error: `stdout is not JSON: ${(err as Error).message}` };
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    return { error: "stdout is JSON but not an object" };
  }
  return { object: value as Record<string, unknown> };
}

/** Validates `{ fields, reason }`; fields are names or `{ name, description?, secret? }`. */
function inputRequest(o: Record<string, unknown>): InputRequest | string {
  if (!Array.isArray(o.fields) || o.fields.length === 0)
    return "input-required exit without a non-empty `fields` array";
  const fields: InputFieldSpec[] = [];
  for (const f of o.fields) {
    if (typeof f === "string" && f !== "") fields.push({ name: f });
    else if (f && typeof f === "object" && typeof (f as InputFieldSpec).name === "string") {
      const { name, description, secret } = f as InputFieldSpec;
      fields.push({
        name,
        ...(typeof description === "string" ? { description } : {}),
        ...(secret ? { secret: true } : {}),
      });
    } else return `input-required field ${JSON.stringify(f)} is neither a name nor { name }`;
  }
  return { fields, reason: typeof o.reason === "string" ? o.reason : "" };
}

/**
 * One stderr line of an envelope plugin: `{ level, message, context }` JSON becomes a log entry at
 * that level; anything else is kept as a plain debug message.
 */
export function parseStderrLine(line: string): {
  level: "trace" | "debug" | "info" | "warn" | "error";
  message: string;
  context: Record<string, unknown>;
} {
  const levels = ["trace", "debug", "info", "warn", "error"] as const;
  try {
    const v = JSON.parse(line) as { level?: unknown; message?: unknown; context?: unknown };
    if (v && typeof v === "object" && typeof v.message === "string") {
      const lower = typeof v.level === "string" ? v.level.toLowerCase() : "info";
      const level = levels.find((l) => l === lower) ?? (lower === "warning" ? "warn" : "info");
      const context =
        v.context && typeof v.context === "object" ? (v.context as Record<string, unknown>) : {};
      return { level, message: v.message, context };
    }
  } catch {
    // not JSON: a plain line
  }
  return { level: "debug", message: line, context: {} };
}
