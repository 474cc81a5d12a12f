// A lifecycle plugin, written once: the host decides whether it runs in the host's own process
// (trusted, no IPC) or isolated in a subprocess — `runtime.load(…, { isolation })`. It answers every
// `ping` event with a `pong` carrying a running count, and logs what it does through the host.
import { type Daemon, defineDaemonPlugin, type Subscription } from "@plugwire/plugin-sdk";

interface State {
  daemon?: Daemon;
  pings?: Subscription;
  loop?: Promise<void>;
  count: number;
}

export default defineDaemonPlugin<State>({
  name: "{{pluginId}}",
  // Lets a host run this very module in a subprocess (isolation: "process").
  module: import.meta.url,
  state: () => ({ count: 0 }),
  init(daemon, state) {
    state.daemon = daemon;
    const pings = daemon.events.subscribe("ping");
    state.pings = pings;
    state.loop = (async () => {
      for await (const event of pings) {
        state.count++;
        daemon.events.publish("pong", { count: state.count, to: event.source });
        daemon.logger.debug({ count: state.count }, "pong");
      }
    })();
    daemon.logger.info({ host: daemon.info.name }, "{{pluginId}} started");
  },
  async shutdown(_signal, state) {
    state.pings?.unsubscribe();
    await state.loop;
    state.daemon?.logger.info({ pongs: state.count }, "{{pluginId}} stopped");
  },
});
