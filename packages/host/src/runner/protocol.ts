import type { Logger } from "@plugwire/contract";
import type { ProtocolSetting } from "../config/schema.js";

/** The OCI manifest annotation that declares a runner plugin's protocol (runner-wire.md): "1" or "2". */
export const PROTOCOL_ANNOTATION = "org.ccf.plugin.protocol.version";

/** Default bound for {@link ProtocolAnnotationLookup} (the manifest fetch is a network call). */
export const DEFAULT_LOOKUP_TIMEOUT_MS = 30_000;

/**
 * Reads {@link PROTOCOL_ANNOTATION} from an OCI source's manifest: the value, or undefined when the
 * manifest has none. Injected by whoever owns OCI access (the artifact-delivery layer); it should
 * honour `signal`, but {@link resolveProtocol} bounds it either way.
 */
export type ProtocolAnnotationLookup = (
  source: string,
  opts: { signal: AbortSignal; plugin?: string },
) => Promise<string | undefined>;

/**
 * True for OCI references: `oci://…`, or `registry.host[:port]/repo[:tag|@digest]` — a first path
 * segment with a dot or a port, as registries have and relative paths rarely do. `./x` and `/x` are paths.
 */
export function isOciSource(source: string): boolean {
  if (source.startsWith("oci://")) return true;
  if (/^(\.{1,2}\/|\/|~)/.test(source)) return false;
  const first = source.split("/")[0] ?? "";
  return source.includes("/") && (/\.[a-z]/i.test(first) || /:\d+$/.test(first) || first === "localhost");
}

/** Inputs of {@link resolveProtocol}. */
export interface ResolveProtocolOptions {
  plugin: string;
  source: string;
  /** The config's `protocol_version`; undefined when absent. */
  configured: ProtocolSetting | undefined;
  lookup?: ProtocolAnnotationLookup | undefined;
  timeoutMs?: number;
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * Which runner protocol to speak with a plugin (runner-wire.md): an explicit `protocol_version` wins;
 * else, for OCI sources, the manifest annotation; an unreadable, late or invalid annotation is a
 * warning and 1; else 1. `auto` is passed through: the runner client decides from the plugin's
 * answer to Init.
 */
export async function resolveProtocol(options: ResolveProtocolOptions): Promise<ProtocolSetting> {
  const { plugin, source, configured, lookup, logger } = options;
  if (configured !== undefined) return configured;
  if (!lookup || !isOciSource(source)) return 1;
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let value: string | undefined;
  try {
    value = await new Promise<string | undefined>((resolve, reject) => {
      const onAbort = () =>
        reject(timeout.aborted ? new Error(`no answer within ${timeoutMs} ms`) : (signal.reason as Error));
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      lookup(source, { signal, plugin })
        .then(resolve, reject)
        .finally(() => signal.removeEventListener("abort", onAbort));
    });
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason;
    logger.warn(
      { plugin, source, annotation: PROTOCOL_ANNOTATION, error: (err as Error).message },
      "cannot read the runner protocol annotation; using protocol 1",
    );
    return 1;
  }
  return protocolFromAnnotation(value, { plugin, source, logger });
}

/**
 * The runner protocol an artifact's {@link PROTOCOL_ANNOTATION} value declares (runner-wire.md): "1"
 * or "2"; absent is 1; anything else is a warning and 1.
 */
export function protocolFromAnnotation(
  value: string | undefined,
  context: { plugin: string; source: string; logger: Logger },
): 1 | 2 {
  if (value === undefined) return 1;
  if (value.trim() === "1" || value.trim() === "2") return Number(value.trim()) as 1 | 2;
  context.logger.warn(
    { plugin: context.plugin, source: context.source, annotation: PROTOCOL_ANNOTATION, value },
    `invalid runner protocol annotation (want "1" or "2"); using protocol 1`,
  );
  return 1;
}
