import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { ErrorCode, PlugwireError } from "../errors/plugwire-error.js";
import { type ConnInfo, ConnInfoSchema } from "../gen/plugin/grpc_broker_pb.js";
import type { PluginNetwork } from "../handshake/handshake-line.js";
import { createPluginTransport, type PluginTransport } from "./client-transport.js";
import { type GrpcServer, socketPath, startGrpcServer } from "./grpc-server.js";
import type { MutualTls } from "./mutual-tls.js";

/** go-plugin waits this long for a ConnInfo when dialing, and drops unclaimed ones after it. */
export const BROKER_TIMEOUT_MS = 5000;

/** Options for {@link createBroker}. */
export interface BrokerOptions {
  /** Plugin name, for error messages. */
  plugin?: string | undefined;
  /** Where accepted listeners put their unix sockets. */
  socketDir: string;
  /** Listen on TCP 127.0.0.1 instead of unix sockets (Windows). */
  network?: PluginNetwork;
  /** Same AutoMTLS material as the main connection (roles reverse for callbacks). */
  tls?: MutualTls | undefined;
  /** Dial wait and unclaimed-ConnInfo lifetime; go-plugin: 5 s. */
  timeoutMs?: number;
}

/** A server one side exposed through the broker. */
export interface BrokeredServer {
  readonly id: number;
  readonly server: GrpcServer;
  /**
   * Announces this listener under another id and returns it. A peer's dial consumes one
   * announcement, and go-plugin's broker races when an id is announced again right after a dial
   * (its cleanup of the old entry can swallow the new ConnInfo): reuse the listener, never the id.
   */
  announce(id?: number): number;
  close(graceMs?: number): Promise<void>;
}

/**
 * go-plugin's broker in classic mode (go-plugin-wire.md §5): both sides own one, joined by the single
 * `GRPCBroker.StartStream`. To expose a service, take an id, open a new listener and announce
 * `ConnInfo{service_id, network, address}`; the id travels to the peer in an app message. To use the
 * peer's, wait (bounded) for its ConnInfo and dial it with the same TLS settings.
 */
export interface GrpcBroker {
  /** Next id on this side (per side, uint32, first is 1). */
  nextId(): number;
  /** Opens a listener serving `routes` and announces it under `id`. */
  accept(id: number, routes: (router: ConnectRouter) => void): Promise<BrokeredServer>;
  /** Waits up to the broker timeout for the peer's ConnInfo with `id`, then connects to it. */
  dial(id: number, options?: { signal?: AbortSignal | undefined }): Promise<PluginTransport>;
  /** What this side sends on StartStream. Read it exactly once. */
  readonly outgoing: AsyncIterable<ConnInfo>;
  /** Feeds what the peer sends on StartStream; resolves when that stream ends. */
  consume(incoming: AsyncIterable<ConnInfo>): Promise<void>;
  /** Closes every accepted server and dialed transport. Idempotent. */
  close(): Promise<void>;
}

interface Announced {
  info: ConnInfo;
  timer: NodeJS.Timeout;
}

/** Creates one side's broker. */
export function createBroker(options: BrokerOptions): GrpcBroker {
  const timeoutMs = options.timeoutMs ?? BROKER_TIMEOUT_MS;
  const { plugin } = options;
  const out = createWritableIterable<ConnInfo>();
  const announced = new Map<number, Announced>();
  const waiters = new Map<number, (info: ConnInfo) => void>();
  const servers = new Set<BrokeredServer>();
  const transports = new Set<PluginTransport>();
  let lastId = 0;
  let closed = false;

  const closedError = () => new PlugwireError(ErrorCode.Closed, "broker is closed", { plugin });

  const receive = (info: ConnInfo) => {
    // Knock/ack messages belong to multiplexed mode, which we do not request.
    if (info.knock || info.serviceId === 0) return;
    const waiter = waiters.get(info.serviceId);
    if (waiter) return waiter(info);
    const previous = announced.get(info.serviceId);
    if (previous) clearTimeout(previous.timer);
    const timer = setTimeout(() => announced.delete(info.serviceId), timeoutMs);
    timer.unref();
    announced.set(info.serviceId, { info, timer });
  };

  const waitFor = (id: number, signal?: AbortSignal): Promise<ConnInfo> => {
    const ready = announced.get(id);
    if (ready) {
      clearTimeout(ready.timer);
      announced.delete(id);
      return Promise.resolve(ready.info);
    }
    if (waiters.has(id)) {
      return Promise.reject(
        new PlugwireError(ErrorCode.Internal, `broker id ${id} is already being dialed`, { plugin }),
      );
    }
    return new Promise<ConnInfo>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        waiters.delete(id);
        signal?.removeEventListener("abort", onAbort);
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new PlugwireError(
            ErrorCode.BrokerTimeout,
            `timeout waiting for broker connection info for id ${id}`,
            {
              plugin,
              details: { id, timeoutMs },
            },
          ),
        );
      }, timeoutMs);
      const onAbort = () => {
        done();
        reject(
          new PlugwireError(ErrorCode.Aborted, `dial of broker id ${id} aborted`, {
            plugin,
            cause: signal?.reason,
          }),
        );
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      waiters.set(id, (info) => {
        done();
        resolve(info);
      });
    });
  };

  return {
    outgoing: out,
    nextId() {
      lastId = lastId >= 0xffffffff ? 1 : lastId + 1;
      return lastId;
    },
    async accept(id, routes) {
      if (closed) throw closedError();
      const listen =
        options.network === "tcp"
          ? { tcp: { host: "127.0.0.1", port: 0 } }
          : { unix: socketPath(options.socketDir) };
      const server = await startGrpcServer({ routes, listen, tls: options.tls });
      const brokered: BrokeredServer = {
        id,
        server,
        announce(as = id) {
          const info = create(ConnInfoSchema, { serviceId: as, ...server.address });
          // write() settles when the stream reads it; a closed stream is reported by consume(), not here.
          if (!closed) out.write(info).catch(() => {});
          return as;
        },
        close: async (graceMs?: number) => {
          servers.delete(brokered);
          await server.close(graceMs);
        },
      };
      servers.add(brokered);
      brokered.announce();
      return brokered;
    },
    async dial(id, dialOptions = {}) {
      if (closed) throw closedError();
      const info = await waitFor(id, dialOptions.signal);
      const network = info.network === "tcp" ? "tcp" : "unix";
      const transport = createPluginTransport({
        address: { network, address: info.address },
        tls: options.tls,
      });
      transports.add(transport);
      return {
        transport: transport.transport,
        connect: transport.connect,
        close() {
          transports.delete(transport);
          transport.close();
        },
      };
    },
    async consume(incoming) {
      try {
        for await (const info of incoming) receive(info);
      } catch {
        // The stream ends with an error when the peer goes away; the plugin handle reports that.
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      out.close();
      for (const a of announced.values()) clearTimeout(a.timer);
      announced.clear();
      for (const t of transports) t.close();
      transports.clear();
      await Promise.all([...servers].map((s) => s.close(0)));
    },
  };
}
