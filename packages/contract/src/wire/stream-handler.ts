// Streaming gRPC methods (server, client and bidi streaming) served straight off an HTTP/2 stream,
// like unary ones: no Connect pipeline, no web `Headers` unless the handler asks. go-plugin's own
// services are streams the host opens at once (GRPCStdio.StreamStdio, GRPCBroker.StartStream), so
// this is also on every plugin's cold-start path.
import { Code, ConnectError } from "@connectrpc/connect";
import { EnvelopeSplitter } from "./envelope-reader.js";
import { BodyQueue } from "./h2/body-queue.js";
import type { H2Stream } from "./h2/stream.js";
import { type LeanCall, type LeanRequest, startLeanCall } from "./lean-call.js";
import { closedByPeer, type LeanRoute, parseInput, receiveOne } from "./unary-handler.js";

/**
 * Serves one streaming call (a route recorded without interceptors), or returns false (nothing
 * consumed) when the request is not plain binary gRPC. Output follows HTTP/2 flow control (the
 * handler's iterator is not pulled while the peer's window is shut); the handler's signal aborts
 * when the peer resets the stream, the deadline passes or the call ends.
 */
export function serveStream(route: LeanRoute, stream: H2Stream, req: LeanRequest): boolean {
  const { method } = route;
  const call = startLeanCall(method, stream, req);
  if (call === undefined) return false;
  if (method.methodKind === "server_streaming") {
    receiveOne(call, stream, req, method.input, (input) => {
      void respond(call, () => route.impl(input, call.context()));
    });
    return true;
  }
  const inputs = new BodyQueue<unknown>();
  const splitter = new EnvelopeSplitter(req.readMaxBytes);
  const fail = (err: unknown) => {
    inputs.end(err);
    call.finish(err);
  };
  const ended = () => {
    if (splitter.pending) fail(new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument));
    else inputs.end();
  };
  // Receive flow control follows the handler: while it is behind (messages queued), the peer's window
  // stays shut; once it caught up, bytes are granted as they arrive (so a message bigger than the
  // window still completes).
  stream.holdWindow = true;
  let held = 0;
  const reader = (async function* () {
    for await (const message of inputs) {
      if (inputs.size === 0 && held > 0) {
        stream.consumed(held);
        held = 0;
      }
      yield message;
    }
  })();
  stream.handler = {
    onHeaders(_trailers, end) {
      if (end) ended();
    },
    onData(chunk, end) {
      if (call.done) return;
      if (inputs.size > 0) held += chunk.byteLength;
      else stream.consumed(chunk.byteLength);
      try {
        for (const envelope of splitter.push(chunk)) inputs.push(parseInput(method.input, envelope));
      } catch (err) {
        return fail(err);
      }
      if (end) ended();
    },
    onClose(code) {
      // A clean close after the call ended is the usual case: no error object (a ConnectError builds
      // `Headers`, which loads undici on Node 20).
      if (call.done && code === undefined) return inputs.end();
      const err = closedByPeer(code);
      inputs.end(err);
      call.finish(err);
    },
  };
  if (req.endStream) inputs.end();
  // Client streaming answers one message; bidi streaming yields many.
  void respond(call, () => route.impl(reader, call.context()));
  return true;
}

/** Sends what the handler returns (a promise of one message, or an async iterable of many), then the status. */
async function respond(call: LeanCall, run: () => unknown): Promise<void> {
  try {
    const output = run();
    if (isAsyncIterable(output)) {
      for await (const message of output) {
        if (call.done) break;
        if (!call.send(message)) await call.drained();
      }
    } else {
      call.send(await output);
    }
    call.finish();
  } catch (err) {
    call.finish(err);
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}
