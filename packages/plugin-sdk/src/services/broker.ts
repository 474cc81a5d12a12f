import type { ServiceImpl } from "@connectrpc/connect";
import type { brokerProto, GrpcBroker } from "@plugwire/contract/wire";

/**
 * `plugin.GRPCBroker` (go-plugin-wire.md §5): the host opens `StartStream` once; what it sends feeds
 * our broker (ConnInfos of servers it exposes, e.g. callback ids), and our announcements flow back
 * until `signal` (the plugin's shutdown) ends the stream.
 */
export function brokerService(
  broker: GrpcBroker,
  signal: AbortSignal,
): ServiceImpl<typeof brokerProto.GRPCBroker> {
  return {
    startStream(requests) {
      void broker.consume(requests);
      return takeUntil(broker.outgoing, signal);
    },
  };
}

/** Iterates `source` until it ends or `signal` aborts. */
export async function* takeUntil<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  if (signal.aborted) return;
  const it = source[Symbol.asyncIterator]();
  const aborted = new Promise<IteratorResult<T>>((resolve) =>
    signal.addEventListener("abort", () => resolve({ done: true, value: undefined }), { once: true }),
  );
  for (;;) {
    const next = await Promise.race([it.next(), aborted]);
    if (next.done) return;
    yield next.value;
  }
}
