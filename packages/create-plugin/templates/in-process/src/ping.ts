// What a host does with this plugin: publish `ping` on the shared EventBus, wait for the `pong`.
import type { EventBus } from "@plugwire/plugin-sdk";

/** Publishes `ping` and resolves with the count of the first `pong`, or rejects after `timeoutMs`. */
export async function ping(events: EventBus, timeoutMs = 10_000): Promise<number> {
  const pongs = events.subscribe("pong", { signal: AbortSignal.timeout(timeoutMs) });
  events.publish("ping", {});
  for await (const event of pongs) {
    pongs.unsubscribe();
    return (event.payload as { count: number }).count;
  }
  throw new Error(`no pong within ${timeoutMs} ms`);
}
