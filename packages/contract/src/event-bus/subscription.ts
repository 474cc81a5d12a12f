import type { JsonValue } from "@bufbuild/protobuf";
import { BoundedQueue, type OverflowPolicy } from "./bounded-queue.js";

/** One EventBus message (daemon.proto `Event`). Treat it, payload included, as immutable. */
export interface BusEvent<P extends JsonValue = JsonValue> {
  /** Dot-namespaced topic, e.g. `plugin.started`. */
  readonly topic: string;
  /** When it was published (for a subprocess plugin: when the host received it). */
  readonly time: Date;
  /** Who published it: the host's source name, or the publishing plugin's name. */
  readonly source: string;
  /** Any JSON value; `null` when published without one. */
  readonly payload: P;
}

/** Default per-subscriber buffer: enough for bursts, small enough to bound a stuck consumer's memory. */
export const DEFAULT_SUBSCRIBER_BUFFER = 1024;

/** Options for `EventBus.subscribe`. */
export interface SubscribeOptions {
  /** Events held for this subscriber before overflow (default {@link DEFAULT_SUBSCRIBER_BUFFER}). */
  bufferSize?: number;
  /** What to give up when the buffer is full (default `drop-oldest`: a late reader sees recent events). */
  overflow?: OverflowPolicy;
  /** Unsubscribes when aborted. */
  signal?: AbortSignal;
}

/**
 * A live subscription: an async iterable of matching events (`for await (const e of sub)`). Leaving
 * the loop, `return()`, `unsubscribe()` or the signal stop delivery; events already buffered are
 * discarded. Never slows the publisher: a full buffer drops and counts in {@link Subscription.dropped}.
 */
export interface Subscription extends AsyncIterableIterator<BusEvent, undefined>, Disposable {
  readonly pattern: string;
  /** Events this subscriber lost to overflow (for a subprocess plugin: on either side of the wire). */
  readonly dropped: number;
  /** Events waiting to be read. */
  readonly buffered: number;
  /** Resolves once events published from now on are delivered (immediately in-process). */
  readonly ready: Promise<void>;
  readonly closed: boolean;
  unsubscribe(): void;
  next(): Promise<IteratorResult<BusEvent, undefined>>;
  return(): Promise<IteratorResult<BusEvent, undefined>>;
}

/** The producer side of a {@link Subscription}, for event bus implementations. */
export interface SubscriptionFeed {
  readonly subscription: Subscription;
  /** Delivers (or, when full, drops and counts); never blocks. False once closed. */
  push(event: BusEvent): boolean;
  /** Counts drops that happened elsewhere (a remote buffer). */
  addDropped(count: number): void;
  markReady(): void;
  /** Ends the iteration; with an error, the next read rejects with it once. */
  end(error?: unknown): void;
}

/** Options for {@link createSubscriptionFeed}. */
export interface SubscriptionFeedOptions extends SubscribeOptions {
  pattern: string;
  /** Already active when created (in-process) instead of waiting for {@link SubscriptionFeed.markReady}. */
  ready?: boolean;
  /** Called once when the subscription closes, whoever closed it. */
  onClose?: () => void;
}

const DONE: IteratorResult<BusEvent, undefined> = { done: true, value: undefined };

/** Creates a subscription with its bounded buffer; the bus pushes, the subscriber iterates. */
export function createSubscriptionFeed(options: SubscriptionFeedOptions): SubscriptionFeed {
  const queue = new BoundedQueue<BusEvent>(
    Math.max(1, options.bufferSize ?? DEFAULT_SUBSCRIBER_BUFFER),
    options.overflow,
  );
  let remoteDropped = 0;
  let closed = false;
  let failure: { error: unknown } | undefined;
  let waiting!: { resolve: (r: IteratorResult<BusEvent, undefined>) => void; reject: (e: unknown) => void };
  let hasWaiter = false;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  if (options.ready) markReady();

  const close = (error?: unknown) => {
    if (closed) return;
    closed = true;
    queue.clear();
    options.signal?.removeEventListener("abort", onAbort);
    markReady();
    if (hasWaiter) {
      hasWaiter = false;
      if (error !== undefined) waiting.reject(error);
      else waiting.resolve(DONE);
    } else if (error !== undefined) {
      failure = { error };
    }
    options.onClose?.();
  };
  const onAbort = () => close();

  const subscription: Subscription = {
    pattern: options.pattern,
    ready,
    get dropped() {
      return queue.dropped + remoteDropped;
    },
    get buffered() {
      return queue.size;
    },
    get closed() {
      return closed;
    },
    unsubscribe: () => close(),
    next() {
      if (queue.size > 0) return Promise.resolve({ done: false, value: queue.shift() as BusEvent });
      if (failure) {
        const { error } = failure;
        failure = undefined;
        return Promise.reject(error);
      }
      if (closed) return Promise.resolve(DONE);
      if (hasWaiter) {
        return Promise.reject(new Error("Subscription.next() called again before the previous read settled"));
      }
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        hasWaiter = true;
      });
    },
    return() {
      close();
      return Promise.resolve(DONE);
    },
    [Symbol.asyncIterator]() {
      return subscription;
    },
    [Symbol.dispose]: () => close(),
  };
  if (options.signal?.aborted) close();
  else options.signal?.addEventListener("abort", onAbort, { once: true });

  return {
    subscription,
    push(event) {
      if (closed) return false;
      if (hasWaiter) {
        hasWaiter = false;
        waiting.resolve({ done: false, value: event });
        return true;
      }
      queue.push(event);
      return true;
    },
    addDropped(count) {
      remoteDropped += count;
    },
    markReady,
    end: close,
  };
}
