import { Code, ConnectError, createClient, type HandlerContext } from "@connectrpc/connect";
import {
  ErrorCode,
  type GrpcBroker,
  type InputFieldSpec,
  InputHeader,
  type InputValues,
  inputProto,
  type PluginTransport,
  PlugwireError,
} from "@plugwire/contract";
import { getPluginContext } from "../plugin-context.js";

/** What a handler asks for: field names or `{ name, description?, secret? }`, and why. */
export interface RequestInputArgs {
  fields: readonly (string | InputFieldSpec)[];
  reason: string;
}

/** Call-scoped helpers: `callContext(ctx).requestInput({ fields, reason })`. */
export interface CallContext {
  /** Asks the host for input inside this call; see {@link requestInput}. */
  requestInput(args: RequestInputArgs): Promise<InputValues>;
  /** Aborted when the host cancels the call. */
  readonly signal: AbortSignal;
}

/** The host's InputService dialed once per broker id: each broker announcement serves one dial. */
const dialed = new WeakMap<GrpcBroker, Map<number, Promise<PluginTransport>>>();

/**
 * Asks the host for values during the current call and waits for them
 * (proto/plugwire/input/v1/input.proto): dials the host's InputService through the go-plugin broker
 * id in the `plugwire-input-broker` header and sends the `plugwire-call-id`. The host's
 * `onInputRequired` answers in the same call. Throws ABORTED when the host cancels or declines,
 * INPUT_REQUIRED when the host offers no input channel on this call or the per-call bound is used up.
 */
export async function requestInput(ctx: HandlerContext, args: RequestInputArgs): Promise<InputValues> {
  const { broker } = getPluginContext(ctx);
  const brokerId = Number(ctx.requestHeader.get(InputHeader.brokerId));
  const callId = ctx.requestHeader.get(InputHeader.callId) ?? "";
  const fields = args.fields.map((f) => (typeof f === "string" ? { name: f } : f));
  const wanted = `${args.reason} (fields: ${fields.map((f) => f.name).join(", ")})`;
  if (!Number.isInteger(brokerId) || brokerId <= 0 || callId === "") {
    throw new PlugwireError(
      ErrorCode.InputRequired,
      `input required but the host offers no input channel on this call: ${wanted}`,
      { details: { fields: fields.map((f) => f.name), reason: args.reason } },
    );
  }
  let perBroker = dialed.get(broker);
  if (!perBroker) {
    perBroker = new Map();
    dialed.set(broker, perBroker);
  }
  let transport = perBroker.get(brokerId);
  if (!transport) {
    transport = broker.dial(brokerId, { signal: ctx.signal });
    perBroker.set(brokerId, transport);
  }
  const cache = perBroker;
  try {
    const client = createClient(inputProto.InputService, (await transport).transport);
    const res = await client.requestInput({ callId, fields, reason: args.reason }, { signal: ctx.signal });
    return { ...res.values };
  } catch (err) {
    const connect = ConnectError.from(err);
    if (ctx.signal.aborted || connect.code === Code.Canceled) {
      throw new PlugwireError(ErrorCode.Aborted, `input request canceled by the host: ${wanted}`, {
        cause: err,
      });
    }
    if (connect.code === Code.ResourceExhausted) {
      throw new PlugwireError(ErrorCode.InputRequired, `input request refused: ${connect.rawMessage}`, {
        cause: err,
      });
    }
    // The connection may be broken: dial afresh next time (the host re-announces per call).
    cache.delete(brokerId);
    throw err;
  }
}

/** The call-scoped context of a handler: `await callContext(ctx).requestInput({ fields, reason })`. */
export function callContext(ctx: HandlerContext): CallContext {
  return { requestInput: (args) => requestInput(ctx, args), signal: ctx.signal };
}
