import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type Daemon,
  daemonProto,
  eventToProto,
  logLevelFromProto,
  PlugwireError,
  payloadFromProto,
} from "@plugwire/contract";

/**
 * daemon.proto's `DaemonService` for one process-isolated plugin, backed by the `Daemon` an
 * in-process plugin would get — so both isolation levels share one implementation of events, logs
 * and config. Publish applies the batch in order (source = the plugin's name, time = arrival);
 * Subscribe acknowledges with an empty first message, then streams events with the drops counted
 * since the previous message; the subscription ends when the plugin cancels the stream.
 */
export function daemonService(daemon: Daemon): ServiceImpl<typeof daemonProto.DaemonService> {
  return {
    async publish(req) {
      for (const p of req.publications) {
        try {
          daemon.events.publish(p.topic, payloadFromProto(p.payload));
        } catch (err) {
          throw invalid(err);
        }
      }
      return create(daemonProto.PublishResponseSchema);
    },
    async *subscribe(req, ctx) {
      let subscription: ReturnType<Daemon["events"]["subscribe"]>;
      try {
        subscription = daemon.events.subscribe(req.pattern, {
          signal: ctx.signal,
          ...(req.bufferSize > 0 ? { bufferSize: req.bufferSize } : {}),
        });
      } catch (err) {
        throw invalid(err);
      }
      try {
        yield create(daemonProto.SubscribeResponseSchema);
        let reported = 0;
        for await (const event of subscription) {
          const dropped = subscription.dropped - reported;
          reported += dropped;
          yield create(daemonProto.SubscribeResponseSchema, {
            event: eventToProto(event),
            dropped: BigInt(dropped),
          });
        }
      } finally {
        subscription.unsubscribe();
      }
    },
    async log(req) {
      for (const entry of req.entries) {
        daemon.logger[logLevelFromProto(entry.level)](entry.fields ?? {}, entry.message);
      }
      return create(daemonProto.LogResponseSchema);
    },
    async getConfig() {
      return create(daemonProto.GetConfigResponseSchema, {
        config: { ...daemon.config },
        hostName: daemon.info.name,
        hostVersion: daemon.info.version,
        pluginName: daemon.plugin,
      });
    },
  };
}

function invalid(err: unknown): ConnectError {
  const message = err instanceof PlugwireError ? err.rawMessage : String(err);
  return new ConnectError(message, Code.InvalidArgument, undefined, undefined, err);
}
