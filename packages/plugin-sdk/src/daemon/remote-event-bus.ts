import { create } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import {
  assertTopic,
  compileTopicPattern,
  createSubscriptionFeed,
  daemonProto,
  ErrorCode,
  type EventBus,
  eventFromProto,
  PlugwireError,
  payloadToProto,
} from "@plugwire/contract";
import type { Outbox } from "./outbox.js";

/** A subprocess plugin's EventBus: DaemonService Publish (through the outbox) and Subscribe streams. */
export interface RemoteEventBus extends EventBus {
  /** Resolves once every subscription made so far is active on the host. */
  settle(): Promise<void>;
  /** Ends every subscription (cancels its stream). */
  close(): void;
}

/**
 * Same behaviour as the in-process bus, over the wire: topics and patterns are validated here (same
 * errors, thrown synchronously), publish enqueues and returns, and each subscription is a
 * server stream whose first message acknowledges it. Drops on the host's side of the stream
 * (`SubscribeResponse.dropped`) add to the local buffer's own count.
 */
export function createRemoteEventBus(
  client: Client<typeof daemonProto.DaemonService>,
  outbox: Outbox,
  plugin: string,
): RemoteEventBus {
  const streams = new Set<AbortController>();
  const pendingReady = new Set<Promise<void>>();
  return {
    publish(topic, payload = null) {
      assertTopic(topic, plugin);
      let value: ReturnType<typeof payloadToProto>;
      try {
        value = payloadToProto(payload);
      } catch (cause) {
        throw new PlugwireError(ErrorCode.ConfigInvalid, `payload of ${topic} is not a JSON value`, {
          plugin,
          cause,
        });
      }
      outbox.publish(create(daemonProto.PublicationSchema, { topic, payload: value }));
    },
    subscribe(pattern, options = {}) {
      compileTopicPattern(pattern, plugin);
      const stream = new AbortController();
      streams.add(stream);
      const feed = createSubscriptionFeed({
        ...options,
        pattern,
        onClose: () => {
          streams.delete(stream);
          stream.abort();
        },
      });
      const ready = feed.subscription.ready;
      pendingReady.add(ready);
      void ready.then(() => pendingReady.delete(ready));
      void (async () => {
        try {
          const request = create(daemonProto.SubscribeRequestSchema, {
            pattern,
            bufferSize: options.bufferSize ?? 0,
          });
          for await (const res of client.subscribe(request, { signal: stream.signal })) {
            if (res.dropped > 0n) feed.addDropped(Number(res.dropped));
            if (res.event) feed.push(eventFromProto(res.event));
            else feed.markReady();
          }
          feed.end();
        } catch (cause) {
          if (stream.signal.aborted) return;
          feed.end(
            new PlugwireError(
              ErrorCode.ConnectFailed,
              `subscription ${pattern} lost: ${(cause as Error).message}`,
              {
                plugin,
                cause,
              },
            ),
          );
        }
      })();
      return feed.subscription;
    },
    async settle() {
      await Promise.all([...pendingReady]);
    },
    close() {
      for (const s of [...streams]) s.abort();
      streams.clear();
    },
  };
}
