import { type LogFields, type Logger, type LogLevel, levelMethods } from "@plugwire/contract";

/** One captured log call. */
export interface Captured {
  level: LogLevel;
  message: string;
  fields: LogFields;
}

/** A Logger that records every entry (with child bindings merged) for assertions. */
export function captureLogger(): Logger & { entries: Captured[] } {
  const entries: Captured[] = [];
  const make = (bindings: LogFields): Logger => {
    const at =
      (level: LogLevel) =>
      (obj: LogFields | string, msg?: string): void => {
        if (typeof obj === "string") entries.push({ level, message: obj, fields: { ...bindings } });
        else entries.push({ level, message: msg ?? "", fields: { ...bindings, ...obj } });
      };
    return {
      ...levelMethods(at),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return Object.assign(make({}), { entries });
}
