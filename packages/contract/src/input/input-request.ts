/**
 * Input-required, shared by both sides. During a gRPC call the host sends these two headers; a plugin
 * that needs more input dials the broker id and calls `plugwire.input.v1.InputService/RequestInput`
 * with the call id (proto/plugwire/input/v1/input.proto). Ephemeral JSON-envelope plugins exit 2
 * with `{ fields, reason }` instead and are re-run with `extra_inputs`.
 */
export const InputHeader = {
  /** Broker id of the host's InputService listener for this plugin connection. */
  brokerId: "plugwire-input-broker",
  /** Identifies the call, so the host routes the request to that call's handler and bound. */
  callId: "plugwire-call-id",
} as const;

/** One value a plugin asks for. */
export interface InputFieldSpec {
  /** Key of the value in the answer. */
  name: string;
  description?: string;
  /** Hosts must not log or echo the value. */
  secret?: boolean;
}

/** What a plugin sends when it needs input. */
export interface InputRequest {
  fields: InputFieldSpec[];
  reason: string;
}

/** Field name → value. */
export type InputValues = Record<string, string>;
