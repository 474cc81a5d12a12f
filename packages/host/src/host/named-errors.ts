import { ConnectError, type Transport } from "@connectrpc/connect";

/**
 * Wraps `transport` so every error a call raises is a `ConnectError` (its gRPC code and metadata
 * kept, design.md "Connect errors crossing the wire keep their gRPC code") whose `message` starts
 * with `plugin <name>: ` — like every `PlugwireError`, so a log line says which plugin failed.
 * `rawMessage` stays the peer's own text: code that matches on it keeps working.
 */
export function namedErrorTransport(transport: Transport, plugin: string): Transport {
  const prefix = `plugin ${plugin}: `;
  const name = (err: unknown): ConnectError => {
    const e = ConnectError.from(err);
    if (e.message.includes(prefix)) return e;
    const named = new ConnectError(`${prefix}${e.rawMessage}`, e.code, e.metadata, undefined, e.cause ?? err);
    named.details.push(...e.details);
    Object.defineProperty(named, "rawMessage", { value: e.rawMessage });
    return named;
  };
  async function* messages<T>(source: AsyncIterable<T>): AsyncIterable<T> {
    try {
      yield* source;
    } catch (err) {
      throw name(err);
    }
  }
  return {
    unary: (...args) =>
      transport.unary(...args).catch((err: unknown) => {
        throw name(err);
      }),
    stream: (...args) =>
      transport.stream(...args).then(
        (res) => ({ ...res, message: messages(res.message) }),
        (err: unknown) => {
          throw name(err);
        },
      ),
  };
}
