import { describe, expect, it } from "vitest";
import { ErrorCode, PlugwireError } from "../errors/plugwire-error.js";
import { createEventBus, SupervisionTopic } from "./event-bus.js";
import type { BusEvent } from "./subscription.js";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("EventBus", () => {
  it("delivers { topic, time, source, payload } to every matching subscriber, in order", async () => {
    const time = new Date("2025-01-02T03:04:05Z");
    const bus = createEventBus({ now: () => time });
    const plugins = bus.subscribe("plugin.*");
    const all = bus.subscribe("**");
    bus.publish(SupervisionTopic.Started, { plugin: "a" });
    bus.publish("security.alert", 1);
    bus.scope("relay").publish(SupervisionTopic.Exited);

    expect(await plugins.next()).toEqual({
      done: false,
      value: { topic: "plugin.started", time, source: "host", payload: { plugin: "a" } },
    });
    expect((await plugins.next()).value).toMatchObject({
      topic: "plugin.exited",
      source: "relay",
      payload: null,
    });
    expect(plugins.buffered).toBe(0);
    const topics: string[] = [];
    for (let i = 0; i < 3; i++) topics.push(((await all.next()).value as BusEvent).topic);
    expect(topics).toEqual(["plugin.started", "security.alert", "plugin.exited"]);
  });

  it("a slow subscriber never slows the publisher; its drops are counted exactly", async () => {
    const bus = createEventBus();
    const N = 20_000;
    const B = 16;
    const slow = bus.subscribe("load.*", { bufferSize: B });
    const fast = bus.subscribe("load.*", { bufferSize: B });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let slowConsumed = 0;
    let fastConsumed = 0;
    // The slow reader takes one event, then is stuck until the publisher is done.
    const slowReader = (async () => {
      const first = await slow.next();
      slowConsumed++;
      await gate;
      return first.value as BusEvent;
    })();
    const fastReader = (async () => {
      for await (const _ of fast) if (++fastConsumed === N) break;
    })();

    // The publisher yields to the event loop regularly, so readers that can run do run.
    for (let i = 0; i < N; i++) {
      bus.publish("load.tick", i);
      if (i % 8 === 7) await turn();
    }

    // Bound: all N publishes completed while the slow subscriber consumed exactly one event.
    expect(slowConsumed).toBe(1);
    expect(slow.buffered).toBe(B);
    expect(slow.dropped).toBe(N - 1 - B);
    await fastReader;
    expect(fastConsumed).toBe(N);
    expect(fast.dropped).toBe(0);

    release();
    expect((await slowReader).payload).toBe(0);
    // drop-oldest: what is left is the most recent B events.
    const rest: number[] = [];
    for (let i = 0; i < B; i++) rest.push((await slow.next()).value?.payload as number);
    expect(rest).toEqual(Array.from({ length: B }, (_, k) => N - B + k));
    slow.unsubscribe();
    expect(bus.subscriberCount).toBe(0);
  });

  it("drop-newest keeps the oldest events instead", async () => {
    const bus = createEventBus({ overflow: "drop-newest", bufferSize: 3 });
    const sub = bus.subscribe("t");
    for (let i = 0; i < 10; i++) bus.publish("t", i);
    expect(sub.dropped).toBe(7);
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await sub.next()).value?.payload);
    expect(got).toEqual([0, 1, 2]);
  });

  it("unsubscribe, return(), break and the signal each stop delivery", async () => {
    const bus = createEventBus();
    const a = bus.subscribe("x");
    const b = bus.subscribe("x");
    const c = bus.subscribe("x");
    const abort = new AbortController();
    const d = bus.subscribe("x", { signal: abort.signal });
    expect(bus.subscriberCount).toBe(4);

    const pending = a.next(); // a reader waiting when unsubscribed gets done
    a.unsubscribe();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(await b.return()).toEqual({ done: true, value: undefined });
    abort.abort();
    bus.publish("x", 1);
    for await (const e of c) {
      expect(e.payload).toBe(1);
      break; // leaving the loop calls return()
    }
    bus.publish("x", 2);
    for (const s of [a, b, c, d]) {
      expect(s.closed).toBe(true);
      expect(await s.next()).toEqual({ done: true, value: undefined });
    }
    expect(bus.subscriberCount).toBe(0);
  });

  it("closing a scope ends its subscriptions and drops its later publishes", async () => {
    const bus = createEventBus();
    const scope = bus.scope("relay");
    const own = scope.subscribe("**");
    const watcher = bus.subscribe("**");
    scope.close();
    scope.publish("late.event");
    expect(await own.next()).toEqual({ done: true, value: undefined });
    expect(watcher.buffered).toBe(0);
    expect(scope.subscribe("x").closed).toBe(true);
    bus.close();
    expect(watcher.closed).toBe(true);
  });

  it("dispatch relays a complete event with its own source and time", async () => {
    const bus = createEventBus();
    const sub = bus.subscribe("a.b");
    const event = { topic: "a.b", time: new Date(5), source: "remote", payload: [1] };
    bus.dispatch(event);
    expect((await sub.next()).value).toEqual(event);
  });

  it("rejects bad topics and patterns with CONFIG_INVALID naming the publisher", () => {
    const scope = createEventBus().scope("relay");
    expect(() => scope.publish("bad topic")).toThrow(PlugwireError);
    try {
      scope.subscribe("a..b");
    } catch (err) {
      expect(PlugwireError.is(err, ErrorCode.ConfigInvalid) && err.plugin).toBe("relay");
    }
    expect.assertions(2);
  });

  it("a second concurrent next() is refused rather than losing an event", async () => {
    const sub = createEventBus().subscribe("x");
    void sub.next();
    await expect(sub.next()).rejects.toThrow(/called again/);
    sub.unsubscribe();
  });
});
