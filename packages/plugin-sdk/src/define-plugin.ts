import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { ErrorCode, type HandshakeConfig, type Logger, PlugwireError } from "@plugwire/contract/wire";

/**
 * One gRPC service of a plugin set: the generated descriptor and its implementation, type-checked
 * with Connect's `ServiceImpl<typeof Desc>` (every RPC must be implemented).
 */
export interface ServiceBinding<S extends DescService = DescService> {
  /** The generated service descriptor, e.g. `KV` from `kv_pb.js`. */
  readonly service: S;
  /** The implementation; handlers reach the broker and logger through {@link getPluginContext}. */
  readonly impl: ServiceImpl<S>;
}

/**
 * A plugin set for one app protocol version: set name → service. go-plugin keys plugin sets by name
 * (e.g. `kv_grpc`); in gRPC mode the name never travels on the wire (go-plugin-wire.md §3), every
 * service of the negotiated set is registered on the one server. We keep the name for documentation
 * and for hosts that dispense by name.
 */
export type PluginSet = Readonly<Record<string, ServiceBinding<DescService>>>;

/** Descriptor shape inferred from a {@link PluginDefinition}'s `versions`: version → name → descriptor. */
export type VersionDescriptors = Record<number, Record<string, DescService>>;

/** The typed `versions` map: every binding's `impl` is checked against its own `service`. */
export type VersionedServices<V extends VersionDescriptors> = {
  readonly [N in keyof V]: { readonly [K in keyof V[N]]: ServiceBinding<Extract<V[N][K], DescService>> };
};

/** What {@link definePlugin} takes. */
export interface PluginDefinitionInput<V extends VersionDescriptors> {
  /** Name for logs and errors (default: the first plugin set name). */
  name?: string;
  /** The magic cookie pair the host sets (go-plugin-wire.md §1). */
  handshake: HandshakeConfig;
  /**
   * App protocol versions this plugin speaks, each with its plugin set. The host picks the highest
   * common one from `PLUGIN_PROTOCOL_VERSIONS` (go-plugin-wire.md §2.2).
   */
  versions: VersionedServices<V>;
  /** Logger for the SDK and handlers; default hclog JSON lines on the real stderr (go-plugin-wire.md §4). */
  logger?: Logger;
}

/** A validated plugin definition: run it with `serve()`, or in-process with the test kit. */
export interface PluginDefinition<V extends VersionDescriptors = VersionDescriptors> {
  readonly name: string;
  readonly handshake: HandshakeConfig;
  readonly versions: VersionedServices<V>;
  /** Supported app protocol versions, ascending. */
  readonly versionNumbers: readonly number[];
  readonly logger: Logger | undefined;
}

/**
 * Binds a descriptor to its implementation with full type inference — handy when building plugin
 * sets outside {@link definePlugin}'s object literal.
 */
export function implement<S extends DescService>(service: S, impl: ServiceImpl<S>): ServiceBinding<S> {
  return { service, impl };
}

/**
 * Declares a plugin: its handshake cookie and, per app protocol version, the services it serves.
 *
 * ```ts
 * export const plugin = definePlugin({
 *   handshake: KnownHandshakes.goPluginExample,
 *   versions: { 1: { kv_grpc: { service: KV, impl: { async get(req) {…}, async put(req) {…} } } } },
 * });
 * ```
 */
export function definePlugin<const V extends VersionDescriptors>(
  input: PluginDefinitionInput<V>,
): PluginDefinition<V> {
  const invalid = (why: string) =>
    new PlugwireError(ErrorCode.ConfigInvalid, `invalid plugin definition: ${why}`);
  const { handshake, versions } = input;
  if (!handshake?.magicCookieKey || !handshake.magicCookieValue) {
    // go-plugin refuses to serve without a cookie ("Misconfigured ServeConfig").
    throw invalid("handshake.magicCookieKey and magicCookieValue must be non-empty");
  }
  const versionNumbers = Object.keys(versions)
    .map(Number)
    .sort((a, b) => a - b);
  if (versionNumbers.length === 0) throw invalid("at least one app protocol version is required");
  let firstName: string | undefined;
  for (const n of versionNumbers) {
    if (!Number.isSafeInteger(n) || n < 0) throw invalid(`version ${n} is not a non-negative integer`);
    const set = (versions as Record<number, PluginSet>)[n] ?? {};
    for (const [name, binding] of Object.entries(set)) {
      firstName ??= name;
      if (binding?.service?.kind !== "service" || typeof binding.impl !== "object") {
        throw invalid(
          `version ${n}, plugin ${JSON.stringify(name)}: expected { service: <GenService>, impl }`,
        );
      }
    }
  }
  return Object.freeze({
    name: input.name ?? firstName ?? "plugin",
    handshake,
    versions,
    versionNumbers,
    logger: input.logger,
  });
}

/** The plugin set of `version`, or `undefined` if the definition does not have it. */
export function pluginSetFor(definition: PluginDefinition, version: number): PluginSet | undefined {
  return (definition.versions as Record<number, PluginSet>)[version];
}
