import type { InputRequest, InputValues } from "@plugwire/contract";

/** Facts handed to an {@link InputRequiredHandler}. */
export interface InputRequiredContext {
  plugin: string;
  /** How many requests this call has made so far, including this one. */
  round: number;
  /** Aborted when the call is cancelled or times out: stop prompting. */
  signal: AbortSignal;
}

/**
 * Answers a plugin's input request (`{ fields, reason }`) with values by field name. Return
 * `undefined` (or throw) to decline: the call ends as `canceled`.
 */
export type InputRequiredHandler = (
  request: InputRequest,
  context: InputRequiredContext,
) => Promise<InputValues | undefined> | InputValues | undefined;

/** Default bound on input requests per call. */
export const DEFAULT_MAX_INPUT_REQUESTS = 3;

/** Human summary of a request: `reason (fields: a, b)`. */
export function describeInputRequest(request: InputRequest): string {
  return `${request.reason || "input required"} (fields: ${request.fields.map((f) => f.name).join(", ")})`;
}
