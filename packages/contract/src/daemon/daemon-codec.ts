import { create, fromJson, type JsonObject, type JsonValue, toJson } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate, type Value, ValueSchema } from "@bufbuild/protobuf/wkt";
import type { BusEvent } from "../event-bus/subscription.js";
import {
  EventSchema,
  type Event as ProtoEvent,
  LogLevel as ProtoLogLevel,
} from "../gen/plugwire/daemon/v1/daemon_pb.js";
import { stringifyValue } from "../logging/hclog.js";
import type { LogFields, LogLevel } from "../logging/logger.js";

// Conversions between the Daemon contract's TypeScript shapes and daemon.proto, shared by the host's
// DaemonService and the plugin SDK's client so both sides agree byte for byte.

/** A JSON payload as `google.protobuf.Value`. */
export function payloadToProto(payload: JsonValue): Value {
  return fromJson(ValueSchema, payload);
}

/** `google.protobuf.Value` back to JSON; an absent value is `null`. */
export function payloadFromProto(value: Value | undefined): JsonValue {
  return value ? toJson(ValueSchema, value) : null;
}

/** daemon.proto `Event` from a bus event. */
export function eventToProto(event: BusEvent): ProtoEvent {
  return create(EventSchema, {
    topic: event.topic,
    time: timestampFromDate(event.time),
    source: event.source,
    payload: payloadToProto(event.payload),
  });
}

/** A bus event from daemon.proto `Event`. */
export function eventFromProto(event: ProtoEvent): BusEvent {
  return Object.freeze({
    topic: event.topic,
    time: event.time ? timestampDate(event.time) : new Date(0),
    source: event.source,
    payload: payloadFromProto(event.payload),
  });
}

const LEVELS: Record<LogLevel, ProtoLogLevel> = {
  trace: ProtoLogLevel.TRACE,
  debug: ProtoLogLevel.DEBUG,
  info: ProtoLogLevel.INFO,
  warn: ProtoLogLevel.WARN,
  error: ProtoLogLevel.ERROR,
};

/** daemon.proto `LogLevel` of a {@link LogLevel}. */
export function logLevelToProto(level: LogLevel): ProtoLogLevel {
  return LEVELS[level];
}

/** The {@link LogLevel} of daemon.proto's; unspecified (or unknown) reads as `info`. */
export function logLevelFromProto(level: ProtoLogLevel): LogLevel {
  for (const [name, value] of Object.entries(LEVELS)) if (value === level) return name as LogLevel;
  return "info";
}

/**
 * Log fields as a JSON object for `google.protobuf.Struct`: errors become their message (as hclog
 * logs them), values JSON cannot hold are dropped, cycles become `"[Circular]"`.
 */
export function fieldsToJson(fields: LogFields): JsonObject {
  const json = stringifyValue(fields);
  const parsed: unknown = json === undefined ? {} : JSON.parse(json);
  return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
    ? (parsed as JsonObject)
    : {};
}
