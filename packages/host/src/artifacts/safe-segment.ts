import { ErrorCode } from "@plugwire/contract";
import { deliveryError } from "./failure.js";

// Conservative on purpose: ids, versions and binary names become directory and file names under the
// staging root, so they must be exactly one path segment on every OS we run on.
const SAFE = /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}$/;

/**
 * Throws `UNSAFE_PATH` unless `value` is a single safe path segment: not empty, not `.` or `..`, no
 * `/`, `\` or NUL (issue 6 safety rule), at most 128 characters of `[A-Za-z0-9._+-]` not starting with
 * a dot or dash. Called before any network or file I/O.
 */
export function assertSafeSegment(kind: string, value: unknown, plugin?: string): string {
  if (typeof value !== "string" || !SAFE.test(value) || value === "." || value === "..") {
    throw deliveryError(
      ErrorCode.UnsafePath,
      `unsafe ${kind} ${JSON.stringify(value)}: must be one path segment`,
      {
        plugin,
        details: { kind, value },
      },
    );
  }
  return value;
}
