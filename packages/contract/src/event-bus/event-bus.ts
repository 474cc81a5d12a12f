import type { JsonValue } from "@bufbuild/protobuf";
import type { OverflowPolicy } from "./bounded-queue.js";
import {
  type BusEvent,
  createSubscriptionFeed,
  DEFAULT_SUBSCRIBER_BUFFER,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionFeed,
} from "./subscription.js";
import { assertTopic, compileTopicPattern, type TopicMatcher } from "./topic-pattern.js";

/**
 * Topics the supervisor publishes about plugins, with `{ plugin, ... }` payloads. Subscribe to all of
 * them with `plugin.*`.
 */
export const SupervisionTopic = {
  /** A plugin finished starting (handshake done, or in-process init returned). */
  Started: "plugin.started",
  /** A plugin's process exited or it was unloaded. */
  Exited: "plugin.exited",
  /** A health check failed. */
  Unhealthy: "plugin.unhealthy",
  /** The supervisor restarted a plugin. */
  Restarted: "plugin.restarted",
} as const;

/** One of {@link SupervisionTopic}'s values. */
export type SupervisionTopic = (typeof SupervisionTopic)[keyof typeof SupervisionTopic];

/**
 * Publish/subscribe between a host and its plugins (daemon.proto `DaemonService.Publish/Subscribe`).
 * The same interface in-process and, through the broker, in a subprocess plugin.
 */
export interface EventBus {
  /**
   * Fans `payload` out to every subscriber whose pattern matches `topic`. Never blocks and never
   * waits for a subscriber: each has its own bounded buffer. Throws `CONFIG_INVALID` for a malformed
   * topic. Payloads must be JSON values (they cross the wire for subprocess plugins).
   */
  publish(topic: string, payload?: JsonValue): void;
  /** Subscribes to a dot-namespaced glob (`plugin.*`, `orders.**`). */
  subscribe(pattern: string, options?: SubscribeOptions): Subscription;
}

/** An {@link EventBus} handed to one publisher: its publishes carry its source; closing ends its subscriptions. */
export interface ScopedEventBus extends EventBus, Disposable {
  readonly source: string;
  /** Ends every subscription made through this scope; later publishes through it are dropped. */
  close(): void;
}

/** The host's bus: hand each plugin a {@link ScopedEventBus} from {@link HostEventBus.scope}. */
export interface HostEventBus extends ScopedEventBus {
  /** A view whose publishes carry `source` (a plugin's name) and whose subscriptions end with it. */
  scope(source: string): ScopedEventBus;
  /** Publishes a complete event (already stamped with its source and time), e.g. relayed from a subprocess. */
  dispatch(event: BusEvent): void;
  /** Live subscriptions, across all scopes. */
  readonly subscriberCount: number;
}

/** Options for {@link createEventBus}. */
export interface EventBusOptions {
  /** Source of the host's own publishes (default `host`). */
  source?: string;
  /** Default per-subscriber buffer (default {@link DEFAULT_SUBSCRIBER_BUFFER}). */
  bufferSize?: number;
  /** Default overflow policy (default `drop-oldest`). */
  overflow?: OverflowPolicy;
  /** Clock for event times (tests). */
  now?: () => Date;
}

interface Subscriber {
  matches: TopicMatcher;
  feed: SubscriptionFeed;
}

/**
 * Creates an in-memory event bus. `publish` is synchronous and O(subscribers): it stamps the event,
 * and pushes it into each matching subscriber's ring buffer (dropping the oldest, or newest, on
 * overflow) — a stuck subscriber costs the publisher nothing more than a fast one.
 */
export function createEventBus(options: EventBusOptions = {}): HostEventBus {
  const now = options.now ?? (() => new Date());
  const subscribers = new Set<Subscriber>();
  const defaults = {
    bufferSize: options.bufferSize ?? DEFAULT_SUBSCRIBER_BUFFER,
    overflow: options.overflow ?? ("drop-oldest" as OverflowPolicy),
  };

  const dispatch = (event: BusEvent) => {
    for (const s of subscribers) if (s.matches(event.topic)) s.feed.push(event);
  };

  const makeScope = (source: string): ScopedEventBus => {
    const own = new Set<Subscriber>();
    let closed = false;
    const close = () => {
      closed = true;
      for (const s of [...own]) s.feed.end();
    };
    return {
      source,
      publish(topic, payload = null) {
        assertTopic(topic, source);
        // A closed scope belongs to an unloaded plugin: its late publishes are dropped, not thrown.
        if (closed) return;
        dispatch(Object.freeze({ topic, time: now(), source, payload }));
      },
      subscribe(pattern, subscribeOptions = {}) {
        const matches = compileTopicPattern(pattern, source);
        const subscriber: Subscriber = {
          matches,
          feed: createSubscriptionFeed({
            ...defaults,
            ...subscribeOptions,
            pattern,
            ready: true,
            onClose: () => {
              subscribers.delete(subscriber);
              own.delete(subscriber);
            },
          }),
        };
        if (closed) subscriber.feed.end();
        else {
          subscribers.add(subscriber);
          own.add(subscriber);
        }
        return subscriber.feed.subscription;
      },
      close,
      [Symbol.dispose]: close,
    };
  };

  const root = makeScope(options.source ?? "host");
  return {
    ...root,
    scope: makeScope,
    dispatch(event) {
      assertTopic(event.topic, event.source);
      dispatch(Object.isFrozen(event) ? event : Object.freeze({ ...event }));
    },
    get subscriberCount() {
      return subscribers.size;
    },
    close() {
      // Closing the host bus ends every subscription, including the plugins'.
      root.close();
      for (const s of [...subscribers]) s.feed.end();
    },
    [Symbol.dispose]() {
      this.close();
    },
  };
}
