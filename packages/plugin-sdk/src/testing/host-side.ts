import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { brokerProto, createBroker, type GrpcBroker, type MutualTls, stdioProto } from "@plugwire/contract";

/** The host's end of one plugin connection, as a go-plugin host sets it up (go-plugin-wire.md §4). */
export interface HostSide {
  /** The host's broker, joined to the plugin's over `GRPCBroker.StartStream`. */
  readonly broker: GrpcBroker;
  /** A typed Connect client for any service on the plugin's server. */
  client<S extends DescService>(service: S): Client<S>;
  /** Text received so far through `GRPCStdio` (what a Go host's SyncStdout / SyncStderr get). */
  stdout(): string;
  stderr(): string;
  /** Ends the streams and closes the broker. */
  close(): Promise<void>;
}

/** Options for {@link openHostSide}. */
export interface HostSideOptions {
  transport: Transport;
  /** Where the host broker's own listeners go. */
  socketDir: string;
  tls?: MutualTls | undefined;
  /** Open `GRPCStdio.StreamStdio` and collect it (default true). */
  stdio?: boolean;
}

/** Opens `GRPCBroker.StartStream` (and `GRPCStdio.StreamStdio`) right after connecting, like Go hosts. */
export function openHostSide(options: HostSideOptions): HostSide {
  const { transport } = options;
  const abort = new AbortController();
  const broker = createBroker({ socketDir: options.socketDir, tls: options.tls });
  const stream = createClient(brokerProto.GRPCBroker, transport).startStream(broker.outgoing, {
    signal: abort.signal,
  });
  const consumed = broker.consume(stream);
  const text = { stdout: "", stderr: "" };
  let stdioDone: Promise<void> = Promise.resolve();
  if (options.stdio ?? true) {
    const decoder = { stdout: new TextDecoder(), stderr: new TextDecoder() };
    stdioDone = (async () => {
      try {
        const calls = createClient(stdioProto.GRPCStdio, transport).streamStdio({}, { signal: abort.signal });
        for await (const data of calls) {
          const channel = data.channel === stdioProto.StdioData_Channel.STDERR ? "stderr" : "stdout";
          text[channel] += decoder[channel].decode(data.data, { stream: true });
        }
      } catch {
        // Unimplemented (old plugins) or the connection closed: stdio is optional (go-plugin-wire.md §3).
      }
    })();
  }
  let closing: Promise<void> | undefined;
  return {
    broker,
    client: (service) => createClient(service, transport),
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    close() {
      closing ??= (async () => {
        abort.abort();
        await broker.close();
        await Promise.all([consumed, stdioDone]);
      })();
      return closing;
    },
  };
}
