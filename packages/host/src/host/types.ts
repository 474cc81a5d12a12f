import type { DescService } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";

/** Named gRPC services a plugin serves for one app protocol version, e.g. `{ kv: KV }`. */
export type ServiceSet = Record<string, DescService>;

/**
 * App protocol version → service set, go-plugin's `VersionedPlugins`. The host offers every key in
 * `PLUGIN_PROTOCOL_VERSIONS`; the plugin picks the highest it also supports.
 */
export type VersionedServices = Record<number, ServiceSet>;

/** Typed Connect clients for a service set. */
export type ClientsOf<S extends ServiceSet> = { [K in keyof S]: Client<S[K]> };

/** Clients for whichever version was negotiated: a union, narrowed with `plugin.clientsFor(n)`. */
export type AnyClients<V extends VersionedServices> = { [N in keyof V & number]: ClientsOf<V[N]> }[keyof V &
  number];
