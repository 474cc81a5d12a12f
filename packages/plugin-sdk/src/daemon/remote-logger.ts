import { create } from "@bufbuild/protobuf";
import {
  daemonProto,
  fieldsToJson,
  type LogFields,
  type Logger,
  type LogLevel,
  levelMethods,
  logLevelToProto,
  normalizeLogCall,
} from "@plugwire/contract";
import type { Outbox } from "./outbox.js";

/**
 * A subprocess plugin's `daemon.logger`: each call becomes a DaemonService `LogEntry` (fields as
 * JSON, child bindings merged in), queued in call order with the plugin's publishes. The host
 * re-emits it through its own logger, bound to the plugin's name.
 */
export function createRemoteLogger(outbox: Outbox, bindings: LogFields = {}): Logger {
  const at =
    (level: LogLevel) =>
    (obj: LogFields | string, msg?: string): void => {
      const { message, fields } = normalizeLogCall(obj, msg);
      outbox.log(
        create(daemonProto.LogEntrySchema, {
          level: logLevelToProto(level),
          message,
          fields: fieldsToJson({ ...bindings, ...fields }),
        }),
      );
    };
  return {
    ...levelMethods(at),
    child: (more) => createRemoteLogger(outbox, { ...bindings, ...more }),
  };
}
