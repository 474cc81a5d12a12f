// A Connect `Transport.stream` for the plugin connection: the streams a host opens on every launch
// (GRPCBroker.StartStream, GRPCStdio.StreamStdio) and users' streaming methods, without Connect's
// generic pipeline. Besides its per-call cost, that pipeline builds a web `Headers` for the request,
// and on Node 20 the first one loads undici (~15 ms on a host's first launch).
import {
  type DescMessage,
  type DescMethodStreaming,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import { Code, ConnectError, type StreamResponse, type Transport } from "@connectrpc/connect";
import { validateResponseWithCompression, validateTrailer } from "@connectrpc/connect/protocol-grpc";
import {
  connectErrorFromH2ResetCode,
  connectErrorFromNodeReason,
  resetWithoutResponse,
} from "./call-errors.js";
import { EnvelopeSplitter, frameInput } from "./envelope-reader.js";
import { BodyQueue } from "./h2/body-queue.js";
import { type FieldRecord, fieldsToRecord, recordToHeaders } from "./h2/fields.js";
import { H2Code } from "./h2/frame.js";
import type { H2Stream } from "./h2/stream.js";
import { type ConnectionSource, callDeadline, openCall } from "./unary-call.js";

type HeadersInit = Parameters<Transport["stream"]>[3];

/**
 * Streaming calls with connect-es' gRPC behaviour: the promise settles on the response headers (a
 * trailers-only error rejects it), messages are parsed as they arrive and the status is checked
 * from the trailers when the body ends (Connect's own validators, so codes and messages match);
 * deadlines and aborts end the call with DEADLINE_EXCEEDED / CANCELED and reset the stream; the
 * peer's window reopens as the caller reads (backpressure), and request messages wait for window.
 */
export function createStreamCall(
  connection: ConnectionSource,
  readMaxBytes: number,
  writeMaxBytes: number,
): Transport["stream"] {
  return function stream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodStreaming<I, O>,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: HeadersInit | undefined,
    input: AsyncIterable<MessageInitShape<I>>,
  ): Promise<StreamResponse<I, O>> {
    if (signal?.aborted) return Promise.reject(ConnectError.from(signal.reason, Code.Canceled));
    const deadline = callDeadline(timeoutMs);
    let h2: H2Stream;
    try {
      h2 = openCall(connection, method, deadline?.ms, header);
    } catch (err) {
      return Promise.reject(err instanceof ConnectError ? err : connectErrorFromNodeReason(err));
    }
    // The peer's window reopens as the caller reads: while messages wait unread, received bytes are
    // held; once the reader caught up they are granted as they arrive (a big message still completes).
    h2.holdWindow = true;
    const flow = { held: 0 };
    const messages = new BodyQueue<MessageShape<O>>();
    const splitter = new EnvelopeSplitter(readMaxBytes);
    let rawHeader: FieldRecord | undefined;
    let rawTrailer: FieldRecord = {};
    let header_: Headers | undefined;
    let trailer_: Headers | undefined;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    let respond!: (res: StreamResponse<I, O>) => void;
    let reject!: (err: unknown) => void;
    const responded = new Promise<StreamResponse<I, O>>((res, rej) => {
      respond = res;
      reject = rej;
    });
    const finish = (err?: ConnectError) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (err) {
        h2.reset(err.code === Code.Canceled ? H2Code.CANCEL : H2Code.INTERNAL_ERROR);
        reject(err);
      }
      messages.end(err);
    };
    const onAbort = () => finish(ConnectError.from(signal?.reason, Code.Canceled));
    signal?.addEventListener("abort", onAbort, { once: true });
    if (deadline !== undefined) {
      timer = setTimeout(
        () => finish(new ConnectError("the operation timed out", Code.DeadlineExceeded)),
        deadline.ms,
      );
    }
    const response: StreamResponse<I, O> = {
      stream: true,
      service: method.parent,
      method,
      // Built on demand: most callers never look at response metadata.
      get header() {
        header_ ??= recordToHeaders(rawHeader ?? {});
        return header_;
      },
      get trailer() {
        trailer_ ??= recordToHeaders(rawTrailer);
        return trailer_;
      },
      message: read(messages, h2, flow, () =>
        finish(new ConnectError("the call was cancelled", Code.Canceled)),
      ),
    };
    const onResponseHeaders = (fields: string[], end: boolean) => {
      rawHeader = fieldsToRecord(fields);
      const status = Number(rawHeader[":status"] ?? 0);
      const plain =
        status === 200 &&
        rawHeader["grpc-status"] === undefined &&
        (rawHeader["content-type"] === "application/grpc" ||
          rawHeader["content-type"] === "application/grpc+proto") &&
        (rawHeader["grpc-encoding"] === undefined || rawHeader["grpc-encoding"] === "identity");
      if (!plain) {
        // Trailers-only answers and anything unusual: Connect's validator decides.
        const { headerError, foundStatus } = validateResponseWithCompression([], status, response.header);
        if (headerError) return finish(headerError);
        if (foundStatus) {
          respond(response);
          return finish();
        }
      }
      respond(response);
      if (end) endOfBody();
    };
    const endOfBody = () => {
      try {
        if (splitter.pending)
          throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
        validateTrailer(response.trailer, response.header);
        finish();
      } catch (err) {
        finish(ConnectError.from(err));
      }
    };
    h2.handler = {
      onHeaders(fields, end) {
        if (settled) return;
        if (rawHeader === undefined) return onResponseHeaders(fields, end);
        rawTrailer = fieldsToRecord(fields);
        if (end) endOfBody();
      },
      onData(chunk, end) {
        if (settled) return;
        if (messages.size > 0) flow.held += chunk.byteLength;
        else h2.consumed(chunk.byteLength);
        try {
          for (const envelope of splitter.push(chunk)) {
            if (envelope.flags !== 0) {
              throw new ConnectError(
                `protocol error: unexpected envelope flags ${envelope.flags}`,
                Code.Internal,
              );
            }
            messages.push(fromBinary(method.output, envelope.data));
          }
        } catch (err) {
          return finish(ConnectError.from(err));
        }
        if (end) endOfBody();
      },
      onClose(code, cause) {
        if (settled) return;
        if (cause !== undefined) return finish(connectErrorFromNodeReason(cause));
        finish(
          code === undefined
            ? resetWithoutResponse(H2Code.NO_ERROR)
            : (connectErrorFromH2ResetCode(code, deadline?.at) ?? resetWithoutResponse(code)),
        );
      },
    };
    void send(method, input, h2, writeMaxBytes).catch((err) => finish(ConnectError.from(err)));
    return responded;
  };
}

/** The response messages; window grants as they are read; a reader that stops early cancels the call. */
async function* read<T>(
  messages: BodyQueue<T>,
  h2: H2Stream,
  flow: { held: number },
  cancel: () => void,
): AsyncGenerator<T> {
  let complete = false;
  try {
    for await (const message of messages) {
      if (messages.size === 0 && flow.held > 0) {
        h2.consumed(flow.held);
        flow.held = 0;
      }
      yield message;
    }
    complete = true;
  } finally {
    if (!complete) cancel();
  }
}

/** Sends the request messages as they are produced (waiting for window), then END_STREAM. */
async function send<I extends DescMessage>(
  method: DescMethodStreaming<I>,
  input: AsyncIterable<MessageInitShape<I>>,
  h2: H2Stream,
  writeMaxBytes: number,
): Promise<void> {
  for await (const init of input) {
    if (h2.closed) return;
    h2.sendData(frameInput(method.input, init, writeMaxBytes));
    if (!h2.idle) await h2.drained();
  }
  h2.end();
}
