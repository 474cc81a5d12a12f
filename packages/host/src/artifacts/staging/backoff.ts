import { createHash } from "node:crypto";
import type { PlugwireError } from "@plugwire/contract";
import { failureClass } from "../failure.js";

/** Everything that makes one delivery attempt distinct: a change in any part retries at once. */
export interface DeliveryKey {
  id: string;
  version?: string | undefined;
  digest?: string | undefined;
  config?: unknown;
}

/** Keyed backoff for permanent delivery failures (issue 6: default 5 minutes). */
export interface DeliveryBackoff {
  /** The remembered permanent error for `key` while its backoff lasts, else undefined. */
  blocked(key: DeliveryKey): { error: PlugwireError; until: number } | undefined;
  /** Remembers `error` for `key` if it is permanent; transient errors are not backed off. */
  record(key: DeliveryKey, error: unknown): void;
  /** Forgets `key` (after a success). */
  clear(key: DeliveryKey): void;
}

/** A stable hash of a JSON-able config (object keys sorted), for {@link DeliveryKey}s. */
export function configHash(config: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash("sha256")
    .update(JSON.stringify(canonical(config ?? null)))
    .digest("hex")
    .slice(0, 16);
}

const keyText = (k: DeliveryKey) => [k.id, k.version ?? "", k.digest ?? "", configHash(k.config)].join("|");

/** Creates a {@link DeliveryBackoff} with an injectable clock (tests advance it instead of sleeping). */
export function createDeliveryBackoff(
  options: { delayMs?: number; now?: () => number } = {},
): DeliveryBackoff {
  const delay = options.delayMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { error: PlugwireError; until: number }>();
  return {
    blocked(key) {
      const k = keyText(key);
      const entry = entries.get(k);
      if (!entry) return undefined;
      if (now() >= entry.until) {
        entries.delete(k);
        return undefined;
      }
      return entry;
    },
    record(key, error) {
      if (failureClass(error) !== "permanent") return;
      entries.set(keyText(key), { error: error as PlugwireError, until: now() + delay });
    },
    clear(key) {
      entries.delete(keyText(key));
    },
  };
}
