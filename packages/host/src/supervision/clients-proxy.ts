import type { DescService } from "@bufbuild/protobuf";
import type { Plugin } from "../host/plugin.js";
import type { AnyClients, VersionedServices } from "../host/types.js";

/** Waits for the current plugin (bounded), honouring the call's own signal. */
export type Acquire<V extends VersionedServices> = (signal: AbortSignal | undefined) => Promise<Plugin<V>>;

/**
 * Clients that survive restarts: each call first waits (bounded) for a running plugin, then goes to
 * that process's client. Unary calls return promises; streaming calls return async iterables. A call
 * already in flight when the plugin dies fails — it is not retried (it may not be idempotent).
 */
export function supervisedClients<V extends VersionedServices>(
  versions: V,
  acquire: Acquire<V>,
): AnyClients<V> {
  // Service keys are the same in every version's set the host offers; methods come from whichever
  // descriptor has the key (the negotiated one is used at call time).
  const services = new Map<string, DescService>();
  for (const set of Object.values(versions)) {
    for (const [key, desc] of Object.entries(set)) if (!services.has(key)) services.set(key, desc);
  }
  const clients: Record<string, Record<string, unknown>> = {};
  for (const [key, desc] of services) {
    const client: Record<string, unknown> = {};
    for (const method of desc.methods) {
      const name = method.localName;
      const target = async (plugin: Plugin<V>) => {
        const svc = (plugin.clients as Record<string, Record<string, unknown> | undefined>)[key];
        const fn = svc?.[name];
        if (typeof fn !== "function") {
          throw new TypeError(
            `service ${key} has no method ${name} in negotiated version ${plugin.negotiatedVersion}`,
          );
        }
        return fn as (...args: unknown[]) => unknown;
      };
      const signalOf = (args: unknown[]) =>
        (
          args.find((a, i) => i > 0 && a && typeof a === "object" && "signal" in a) as {
            signal?: AbortSignal;
          }
        )?.signal;
      client[name] =
        method.methodKind === "unary"
          ? async (...args: unknown[]) => {
              const plugin = await acquire(signalOf(args));
              return (await target(plugin))(...args);
            }
          : async function* (...args: unknown[]) {
              const plugin = await acquire(signalOf(args));
              yield* (await target(plugin))(...args) as AsyncIterable<unknown>;
            };
    }
    clients[key] = client;
  }
  return clients as AnyClients<V>;
}
