import { ConnectError, createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { ErrorCode, type GrpcBroker, type Logger, PlugwireError } from "@plugwire/contract/wire";

/**
 * What a service implementation can reach while handling a call: the plugin's side of go-plugin's
 * broker (go-plugin-wire.md §5), its logger and the negotiated app protocol version.
 */
export interface PluginContext {
  /** Dial host-exposed services by id (`await broker.dial(id)`, 5 s rule) or expose our own (`accept`). */
  readonly broker: GrpcBroker;
  /** The plugin's logger (hclog JSON on the real stderr when served). */
  readonly logger: Logger;
  /** The negotiated app protocol version. */
  readonly version: number;
  /** Aborted when the plugin starts shutting down. */
  readonly signal: AbortSignal;
}

const pluginContextKey = createContextKey<PluginContext | undefined>(undefined, {
  description: "plugwire plugin context",
});

/**
 * The {@link PluginContext} of the plugin serving this call, from a Connect handler's context:
 *
 * ```ts
 * async put(req, ctx) {
 *   const { broker } = getPluginContext(ctx);
 *   const helper = await broker.dial(req.addServer);
 *   try { … createClient(AddHelperService, helper.transport) … } finally { helper.close(); }
 * }
 * ```
 */
export function getPluginContext(ctx: HandlerContext): PluginContext {
  const value = ctx.values.get(pluginContextKey);
  if (!value) {
    throw new PlugwireError(
      ErrorCode.Internal,
      "no plugin context on this call: was the service registered through serve() or createTestHost()?",
    );
  }
  return value;
}

/**
 * A server interceptor that puts `context` on every call (used by serve() and the test kit). Errors
 * a handler throws keep their message on the wire (code UNKNOWN, as grpc-go reports a plain Go
 * error) instead of Connect's bare "internal error"; ConnectErrors pass through unchanged.
 */
export function pluginContextInterceptor(context: PluginContext): Interceptor {
  return (next) => async (req) => {
    req.contextValues.set(pluginContextKey, context);
    try {
      return await next(req);
    } catch (err) {
      throw ConnectError.from(err);
    }
  };
}
