import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorCode, InputHeader, type InputValues, inputProto, PlugwireError } from "@plugwire/contract";
import {
  DEFAULT_MAX_INPUT_REQUESTS,
  describeInputRequest,
  type InputRequiredHandler,
} from "../ephemeral/input-handler.js";
import type { Plugin } from "../host/plugin.js";
import type { VersionedServices } from "../host/types.js";

/** Options for {@link callWithInput}. */
export interface CallWithInputOptions {
  /** Answers the plugin's `requestInput` calls. */
  onInputRequired: InputRequiredHandler;
  /** Input requests allowed in this call; past it the plugin gets RESOURCE_EXHAUSTED. Default 3. */
  maxRequests?: number;
  /** Cancels the call (and a pending input request) with ABORTED. */
  signal?: AbortSignal;
}

/** Connect call options to pass to the client method: the input headers and the call's signal. */
export interface InputCallOptions {
  headers: Record<string, string>;
  signal: AbortSignal;
}

interface PendingCall {
  plugin: string;
  handler: InputRequiredHandler;
  max: number;
  count: number;
  controller: AbortController;
  /** Why we ended the call, if we did. */
  ended?: PlugwireError;
}

/** Open calls per plugin handle; the shared InputService listener routes by call id. */
const registries = new WeakMap<object, Map<string, PendingCall>>();
const SHARED_KEY = "plugwire.input.v1.InputService";

/**
 * Makes one gRPC call during which the plugin may ask for input (`ctx.requestInput` in the SDK):
 * the host serves `plugwire.input.v1.InputService` through the go-plugin broker — one listener per
 * plugin connection, re-announced per call — and sends its broker id and a fresh call id as headers.
 * Each request is answered by `onInputRequired` inside the same call: nothing is re-spawned or
 * re-run. A cancel (the caller's signal, or a handler that declines) aborts the call with ABORTED;
 * a plugin that asks more than `maxRequests` times gets RESOURCE_EXHAUSTED, and if the call then
 * fails the host sees INPUT_REQUIRED.
 *
 * ```ts
 * const res = await callWithInput(plugin, (opts) => plugin.clients.kv.get({ key }, opts), { onInputRequired });
 * ```
 */
export async function callWithInput<V extends VersionedServices, T>(
  plugin: Plugin<V>,
  call: (options: InputCallOptions) => Promise<T>,
  options: CallWithInputOptions,
): Promise<T> {
  let calls = registries.get(plugin);
  if (!calls) {
    calls = new Map();
    registries.set(plugin, calls);
  }
  const registry = calls;
  const brokerId = await plugin.serveShared(SHARED_KEY, (router) =>
    router.service(inputProto.InputService, {
      requestInput: (req, ctx) => answer(registry, req, ctx.signal),
    }),
  );
  const callId = randomUUID();
  const controller = new AbortController();
  const pending: PendingCall = {
    plugin: plugin.name,
    handler: options.onInputRequired,
    max: options.maxRequests ?? DEFAULT_MAX_INPUT_REQUESTS,
    count: 0,
    controller,
  };
  const onAbort = () =>
    end(
      pending,
      new PlugwireError(ErrorCode.Aborted, "call canceled", {
        plugin: plugin.name,
        cause: options.signal?.reason,
      }),
    );
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });
  registry.set(callId, pending);
  try {
    return await call({
      headers: { [InputHeader.brokerId]: String(brokerId), [InputHeader.callId]: callId },
      signal: controller.signal,
    });
  } catch (err) {
    if (pending.ended) throw pending.ended;
    if (pending.count > pending.max) {
      throw new PlugwireError(
        ErrorCode.InputRequired,
        `the plugin asked for input more than ${pending.max} times in one call`,
        {
          plugin: plugin.name,
          cause: err,
          details: { requests: pending.count, max: pending.max },
        },
      );
    }
    throw err;
  } finally {
    registry.delete(callId);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

function end(pending: PendingCall, error: PlugwireError): void {
  pending.ended ??= error;
  pending.controller.abort(error);
}

/** Serves one RequestInput: route by call id, enforce the bound, ask the handler. */
async function answer(
  registry: Map<string, PendingCall>,
  req: inputProto.RequestInputRequest,
  rpcSignal: AbortSignal,
): Promise<inputProto.RequestInputResponse> {
  const pending = registry.get(req.callId);
  if (!pending) throw new ConnectError(`no open call with id ${req.callId}`, Code.NotFound);
  pending.count++;
  if (pending.count > pending.max) {
    throw new ConnectError(
      `input requested more than ${pending.max} times in this call`,
      Code.ResourceExhausted,
    );
  }
  const request = {
    reason: req.reason,
    fields: req.fields.map((f) => ({
      name: f.name,
      ...(f.description ? { description: f.description } : {}),
      ...(f.secret ? { secret: true } : {}),
    })),
  };
  const signal = AbortSignal.any([pending.controller.signal, rpcSignal]);
  let values: InputValues | undefined;
  try {
    values = await new Promise<InputValues | undefined>((resolve, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      Promise.resolve(
        pending.handler(request, { plugin: pending.plugin, round: pending.count, signal }),
      ).then(resolve, reject);
    });
  } catch (err) {
    end(
      pending,
      PlugwireError.is(err)
        ? err
        : new PlugwireError(ErrorCode.Aborted, `input request canceled: ${(err as Error)?.message ?? err}`, {
            plugin: pending.plugin,
            cause: err,
          }),
    );
    throw new ConnectError("input request canceled", Code.Canceled);
  }
  if (!values) {
    end(
      pending,
      new PlugwireError(ErrorCode.Aborted, `input declined: ${describeInputRequest(request)}`, {
        plugin: pending.plugin,
      }),
    );
    throw new ConnectError("input request declined by the host", Code.Canceled);
  }
  return create(inputProto.RequestInputResponseSchema, { values });
}
