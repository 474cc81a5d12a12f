import { type ErrorCode, PlugwireError } from "@plugwire/contract";

/**
 * How a delivery failure should be treated (issue 6): `permanent` failures (digest or signature
 * mismatch, unsafe path, bad tarball, HTTP 4xx) will fail again for the same input and are backed off;
 * `transient` ones (network, timeout, HTTP 5xx) are retried at the next opportunity.
 */
export type FailureClass = "permanent" | "transient";

/** Options for {@link deliveryError}. */
export interface DeliveryErrorOptions {
  plugin?: string | undefined;
  cause?: unknown;
  failure?: FailureClass;
  details?: Record<string, unknown>;
}

/** A {@link PlugwireError} carrying its failure class in `details.failure` (default permanent). */
export function deliveryError(code: ErrorCode, message: string, options: DeliveryErrorOptions = {}) {
  return new PlugwireError(code, message, {
    plugin: options.plugin,
    cause: options.cause,
    details: { ...options.details, failure: options.failure ?? "permanent" },
  });
}

/** The failure class of any error: typed errors carry it; anything untyped counts as transient. */
export function failureClass(err: unknown): FailureClass {
  if (err instanceof PlugwireError) {
    const f = err.details.failure;
    if (f === "permanent" || f === "transient") return f;
    return err.code === "ABORTED" || err.code === "TIMEOUT" ? "transient" : "permanent";
  }
  return "transient";
}

/** Re-labels a PlugwireError with the plugin it concerns (errors from shared code carry none). */
export function withPlugin(err: unknown, plugin: string | undefined): unknown {
  if (!plugin || !(err instanceof PlugwireError) || err.plugin) return err;
  return new PlugwireError(err.code, err.rawMessage, { plugin, cause: err.cause, details: err.details });
}
