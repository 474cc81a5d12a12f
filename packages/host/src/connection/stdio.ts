import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { type Logger, stdioProto } from "@plugwire/contract";

/** Which stream a chunk of plugin output came from. */
export type StdioChannel = "stdout" | "stderr";

/**
 * Opens `GRPCStdio.StreamStdio` and drains it until the connection ends (go-plugin-wire.md §4): Go
 * plugins ≥ v1.1 block on stdout/stderr writes until the host reads them. UNIMPLEMENTED or
 * UNAVAILABLE mean the plugin predates the service (v1.0.x, Python): the feature is absent.
 */
export async function drainStdio(
  transport: Transport,
  signal: AbortSignal,
  logger: Logger,
  sink: (channel: StdioChannel, data: Uint8Array) => void,
): Promise<void> {
  const client = createClient(stdioProto.GRPCStdio, transport);
  try {
    for await (const chunk of client.streamStdio({}, { signal })) {
      const channel = chunk.channel === stdioProto.StdioData_Channel.STDERR ? "stderr" : "stdout";
      sink(channel, chunk.data);
    }
  } catch (err) {
    if (signal.aborted) return;
    const code = ConnectError.from(err).code;
    if (code === Code.Unimplemented || code === Code.Unavailable) {
      logger.debug("plugin does not serve GRPCStdio; stdio sync disabled");
    } else {
      logger.debug({ err: ConnectError.from(err).message }, "plugin stdio stream ended");
    }
  }
}
