// event-relay: a lifecycle plugin written once and run by a plugwire host either in its own process
// (trusted, no IPC) or isolated in a subprocess — the host decides with `load(…, { isolation })`.
//
// It subscribes to `config.listen` (default `orders.*`), republishes each match as
// `<config.prefix>.<last segment>` (default prefix `relay`) with a running count, logs each relay,
// answers `<prefix>.stats.request` with `<prefix>.stats`, and on shutdown logs and publishes
// `<prefix>.stopped`.
import { type Daemon, defineDaemonPlugin, type Subscription } from "@plugwire/plugin-sdk";

interface RelayState {
  subscriptions: Subscription[];
  loops: Promise<void>[];
  relayed: number;
  daemon?: Daemon;
  prefix: string;
}

const relay = defineDaemonPlugin<RelayState>({
  name: "event-relay",
  module: import.meta.url,
  state: () => ({ subscriptions: [], loops: [], relayed: 0, prefix: "relay" }),
  init(daemon, state) {
    const listen = typeof daemon.config.listen === "string" ? daemon.config.listen : "orders.*";
    state.prefix = typeof daemon.config.prefix === "string" ? daemon.config.prefix : "relay";
    state.daemon = daemon;
    const { events, logger } = daemon;
    const orders = events.subscribe(listen);
    const stats = events.subscribe(`${state.prefix}.stats.request`);
    state.subscriptions.push(orders, stats);
    logger.info({ listen, host: daemon.info.name }, "relay starting");

    state.loops.push(
      (async () => {
        for await (const event of orders) {
          state.relayed++;
          const suffix = event.topic.slice(event.topic.lastIndexOf(".") + 1);
          events.publish(`${state.prefix}.${suffix}`, {
            from: event.topic,
            by: event.source,
            count: state.relayed,
            payload: event.payload,
          });
          logger.info({ topic: event.topic, count: state.relayed }, "relayed");
        }
      })(),
      (async () => {
        for await (const request of stats) {
          events.publish(`${state.prefix}.stats`, { relayed: state.relayed, requestedBy: request.source });
        }
      })(),
    );
  },
  async shutdown(_signal, state) {
    for (const s of state.subscriptions) s.unsubscribe();
    await Promise.all(state.loops);
    state.daemon?.logger.info({ relayed: state.relayed }, "relay stopped");
    state.daemon?.events.publish(`${state.prefix}.stopped`, { relayed: state.relayed });
  },
});

export default relay;
