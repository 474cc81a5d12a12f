import { create } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { BoundedQueue, daemonProto, type Logger } from "@plugwire/contract";

type Item =
  | { kind: "publish"; publication: daemonProto.Publication }
  | { kind: "log"; entry: daemonProto.LogEntry };

/** Default bound on calls waiting to be sent: a host that stops reading cannot grow the plugin without limit. */
export const DEFAULT_OUTBOX_SIZE = 10_000;
const MAX_BATCH = 512;

/** Options for {@link createOutbox}. */
export interface OutboxOptions {
  client: Client<typeof daemonProto.DaemonService>;
  /** Where send failures are reported (the plugin process's own stderr logger). */
  fallback: Logger;
  capacity?: number;
}

/**
 * The plugin side's queue of `publish` and `log` calls for DaemonService. Enqueueing never blocks
 * (publish never blocks, in a subprocess too); one sender drains it in order, batching consecutive
 * calls of the same kind into one `Publish` / `Log` RPC, so the host applies them in call order.
 * When full it drops the oldest call and counts it.
 */
export interface Outbox {
  publish(publication: daemonProto.Publication): void;
  log(entry: daemonProto.LogEntry): void;
  /** Resolves once everything enqueued so far was sent (or failed and was reported). */
  flush(): Promise<void>;
  /** Calls dropped because the queue was full. */
  readonly dropped: number;
}

/** Creates the outbox for one DaemonService connection. */
export function createOutbox(options: OutboxOptions): Outbox {
  const queue = new BoundedQueue<Item>(options.capacity ?? DEFAULT_OUTBOX_SIZE);
  let draining: Promise<void> | undefined;

  // An item taken from the queue that starts the next batch (it ended the previous one).
  let carry: Item | undefined;
  const nextBatch = (): Item[] => {
    const first = carry ?? queue.shift();
    carry = undefined;
    if (!first) return [];
    const batch = [first];
    while (batch.length < MAX_BATCH && queue.size > 0) {
      const next = queue.shift() as Item;
      if (next.kind !== first.kind) {
        carry = next;
        break;
      }
      batch.push(next);
    }
    return batch;
  };

  const send = async (batch: Item[]) => {
    const kind = batch[0]?.kind;
    try {
      if (kind === "publish") {
        const publications = batch.flatMap((i) => (i.kind === "publish" ? [i.publication] : []));
        await options.client.publish(create(daemonProto.PublishRequestSchema, { publications }));
      } else {
        const entries = batch.flatMap((i) => (i.kind === "log" ? [i.entry] : []));
        await options.client.log(create(daemonProto.LogRequestSchema, { entries }));
      }
    } catch (err) {
      options.fallback.warn(
        { error: err, calls: batch.length, kind },
        "daemon: could not deliver to the host",
      );
    }
  };

  const drain = async () => {
    // One microtask first, so a synchronous burst of calls goes out as one batch.
    await Promise.resolve();
    for (let batch = nextBatch(); batch.length > 0; batch = nextBatch()) await send(batch);
  };

  const enqueue = (item: Item) => {
    queue.push(item);
    draining ??= drain().finally(() => {
      draining = undefined;
    });
  };

  return {
    publish: (publication) => enqueue({ kind: "publish", publication }),
    log: (entry) => enqueue({ kind: "log", entry }),
    async flush() {
      while (draining) await draining;
    },
    get dropped() {
      return queue.dropped;
    },
  };
}
