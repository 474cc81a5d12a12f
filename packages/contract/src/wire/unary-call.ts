import {
  type DescMessage,
  type DescMethod,
  type DescMethodUnary,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import { Code, ConnectError, type Transport, type UnaryResponse } from "@connectrpc/connect";

type HeadersInit = Parameters<Transport["unary"]>[3];

import { validateResponseWithCompression, validateTrailer } from "@connectrpc/connect/protocol-grpc";
import {
  connectErrorFromH2ResetCode,
  connectErrorFromNodeReason,
  resetWithoutResponse,
} from "./call-errors.js";
import { frameInput } from "./envelope-reader.js";
import type { H2Connection } from "./h2/connection.js";
import { type FieldRecord, fieldsToRecord, recordToHeaders } from "./h2/fields.js";
import { H2Code } from "./h2/frame.js";
import { HpackEncoder } from "./h2/hpack.js";
import type { H2Stream, H2StreamHandler } from "./h2/stream.js";

/** The plugin's HTTP/2 connection: the open one, or a new one when it closed or is going away. */
export type ConnectionSource = () => H2Connection;

/** HPACK block of the usual call's request headers per method (stateless encoder: reusable). */
const blocks = { http: new WeakMap<DescMethod, Uint8Array>(), https: new WeakMap<DescMethod, Uint8Array>() };
const encoder = new HpackEncoder();

/**
 * A Connect `Transport.unary` for gRPC over HTTP/2 (PROTOCOL-HTTP2.md): one HEADERS frame (cached
 * per method), one DATA frame (5-byte envelope + protobuf), one envelope back, status from the
 * trailers. It replaces connect-node's generic path (async-iterable pipelines, `Headers` objects and
 * linked AbortControllers per call: most of a local call's CPU, and GC) and keeps its observable
 * behaviour: the same request headers, Connect's own validators for any non-OK response (so errors,
 * codes and metadata are the ones connect-node raises), `ConnectError` codes for deadlines, aborts,
 * HTTP/2 resets and lost connections, and read/write size limits (`maxBytes` is the read limit;
 * `writeMaxBytes` defaults to it).
 */
export function createUnaryCall(
  connection: ConnectionSource,
  maxBytes: number,
  writeMaxBytes: number = maxBytes,
): Transport["unary"] {
  return function unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: HeadersInit | undefined,
    input: MessageInitShape<I>,
  ): Promise<UnaryResponse<I, O>> {
    if (signal?.aborted) return Promise.reject(ConnectError.from(signal.reason, Code.Canceled));
    let frame: Buffer;
    let stream: H2Stream;
    const deadline = callDeadline(timeoutMs);
    try {
      frame = frameInput(method.input, input, writeMaxBytes);
      stream = openCall(connection, method, deadline?.ms, header);
    } catch (err) {
      return Promise.reject(err instanceof ConnectError ? err : connectErrorFromNodeReason(err));
    }
    return new Promise((resolve, reject) => {
      let responseHeaders: FieldRecord | undefined;
      let trailers: FieldRecord = {};
      const chunks: Buffer[] = [];
      let received = 0;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => fail(ConnectError.from(signal?.reason, Code.Canceled));
      const settle = () => {
        settled = true;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      function fail(reason: unknown) {
        if (settled) return;
        settle();
        const err = reason instanceof ConnectError ? reason : connectErrorFromNodeReason(reason);
        // gRPC over HTTP/2: a cancelled call is RST_STREAM CANCEL, anything else INTERNAL_ERROR.
        stream.reset(err.code === Code.Canceled ? H2Code.CANCEL : H2Code.INTERNAL_ERROR);
        reject(err);
      }
      if (deadline !== undefined) {
        timer = setTimeout(
          () => fail(new ConnectError("the operation timed out", Code.DeadlineExceeded)),
          deadline.ms,
        );
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      let retried = false;
      const handler: H2StreamHandler = {
        onHeaders(fields) {
          // The first block is the response headers (all of it in a trailers-only response).
          if (responseHeaders === undefined) responseHeaders = fieldsToRecord(fields);
          else trailers = fieldsToRecord(fields);
        },
        onData(chunk) {
          if (settled) return;
          received += chunk.byteLength;
          // One envelope of at most maxBytes, plus room for a (protocol-violating) second header.
          if (received > maxBytes + 10) {
            fail(
              new ConnectError(
                `message is larger than configured readMaxBytes ${maxBytes}`,
                Code.ResourceExhausted,
              ),
            );
          } else chunks.push(chunk);
        },
        onClose(code, cause) {
          if (settled) return;
          if (cause !== undefined) return fail(cause);
          if (code === H2Code.REFUSED_STREAM && responseHeaders === undefined && !retried) {
            // Refused before the server processed anything (RFC 9113 §8.7: over its stream limit
            // before its SETTINGS reached us, or past a GOAWAY): sent once more, as grpc-go does.
            retried = true;
            try {
              send(openCall(connection, method, deadline?.ms, header));
            } catch (e) {
              fail(e);
            }
            return;
          }
          try {
            if (code !== undefined)
              throw connectErrorFromH2ResetCode(code, deadline?.at) ?? resetWithoutResponse(code);
            const result = finishResponse(method, responseHeaders, trailers, chunks, maxBytes);
            settle();
            resolve(result);
          } catch (e) {
            fail(e);
          }
        },
      };
      const send = (next: H2Stream) => {
        stream = next;
        next.handler = handler;
        next.sendData(frame, true);
      };
      send(stream);
    });
  };
}

/**
 * A call's deadline from Connect's `timeoutMs` (none when absent or not positive): its length, for
 * `grpc-timeout` and the call's timer, and when it passes on the `performance.now()` clock.
 */
export function callDeadline(timeoutMs: number | undefined): { ms: number; at: number } | undefined {
  return timeoutMs !== undefined && timeoutMs > 0
    ? { ms: timeoutMs, at: performance.now() + timeoutMs }
    : undefined;
}

/** Opens a call's HTTP/2 stream (its request headers sent) on the plugin's current connection. */
export function openCall(
  connection: ConnectionSource,
  method: DescMethod,
  timeoutMs: number | undefined,
  header: HeadersInit | undefined,
): H2Stream {
  const h2 = connection();
  return h2.request(requestHeaders(h2.scheme, method, timeoutMs, header));
}

/**
 * connect-es' gRPC request headers (`requestHeader()` of protocol-grpc) as a flat field list, or
 * the cached HPACK block of the usual call (no metadata, no deadline).
 */
function requestHeaders(
  scheme: "http" | "https",
  method: DescMethod,
  timeoutMs: number | undefined,
  header: HeadersInit | undefined,
): Uint8Array | string[] {
  const path = () => `/${method.parent.typeName}/${method.name}`;
  if (header === undefined && timeoutMs === undefined) {
    let block = blocks[scheme].get(method);
    if (block === undefined) {
      block = encoder.encode(baseFields(scheme, path(), undefined));
      blocks[scheme].set(method, block);
    }
    return block;
  }
  const extra = header === undefined ? undefined : new Headers(header);
  const out = baseFields(scheme, path(), extra);
  if (timeoutMs !== undefined) out.push("grpc-timeout", `${timeoutMs}m`);
  if (extra !== undefined) {
    extra.forEach((value, key) => {
      if (key !== "content-type" && key !== "user-agent" && key !== "te") out.push(key, value);
    });
  }
  return out;
}

function baseFields(scheme: string, path: string, extra: Headers | undefined): string[] {
  return [
    ":method",
    "POST",
    ":scheme",
    scheme,
    ":authority",
    "localhost",
    ":path",
    path,
    "content-type",
    "application/grpc+proto",
    "user-agent",
    extra?.get("user-agent") ?? "connect-es/2.1.2",
    "te",
    "trailers",
  ];
}

function finishResponse<I extends DescMessage, O extends DescMessage>(
  method: DescMethodUnary<I, O>,
  rawHeader: FieldRecord | undefined,
  rawTrailer: FieldRecord,
  chunks: Buffer[],
  maxBytes: number,
): UnaryResponse<I, O> {
  if (rawHeader === undefined) {
    throw new ConnectError("protocol error: the stream closed without response headers", Code.Unavailable);
  }
  // node:http2 gives `:status` as a number (typed as a header string).
  const status = Number(rawHeader[":status"] ?? 0);
  const fastOk =
    status === 200 &&
    (rawHeader["content-type"] === "application/grpc" ||
      rawHeader["content-type"] === "application/grpc+proto") &&
    rawHeader["grpc-status"] === undefined &&
    (rawHeader["grpc-encoding"] === undefined || rawHeader["grpc-encoding"] === "identity") &&
    rawTrailer["grpc-status"] === "0" &&
    rawTrailer["grpc-status-details-bin"] === undefined;
  let header: Headers | undefined;
  let trailer: Headers | undefined;
  let headerError: ConnectError | undefined;
  if (!fastOk) {
    // Anything unusual goes through connect-es' own validators: identical errors and metadata.
    header = recordToHeaders(rawHeader);
    trailer = recordToHeaders(rawTrailer);
    headerError = validateResponseWithCompression([], status, header).headerError;
  }
  const output = parseEnvelope(method.output, chunks, maxBytes);
  if (!fastOk) {
    validateTrailer(trailer as Headers, header as Headers);
    if (output === undefined) {
      if (headerError) throw headerError;
      throw new ConnectError(
        "protocol error: missing output message for unary method",
        (trailer as Headers).has("grpc-status") ? Code.Unimplemented : Code.Unknown,
      );
    }
    if (headerError) {
      throw new ConnectError(
        "protocol error: received output message for unary method with error status",
        Code.Unknown,
      );
    }
  } else if (output === undefined) {
    throw new ConnectError("protocol error: missing output message for unary method", Code.Unimplemented);
  }
  return {
    stream: false,
    service: method.parent,
    method,
    message: output as MessageShape<O>,
    // Built on demand: most callers never look at response metadata.
    get header() {
      header ??= recordToHeaders(rawHeader);
      return header;
    },
    get trailer() {
      trailer ??= recordToHeaders(rawTrailer);
      return trailer;
    },
  };
}

/** The single gRPC envelope of a unary response (flags byte, uint32 length, message), or undefined. */
function parseEnvelope<O extends DescMessage>(
  schema: O,
  chunks: Buffer[],
  maxBytes: number,
): MessageShape<O> | undefined {
  if (chunks.length === 0) return undefined;
  const buf = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
  if (buf.byteLength < 5) throw new ConnectError("protocol error: incomplete envelope", Code.Internal);
  const flags = buf[0] as number;
  const length = buf.readUInt32BE(1);
  if (length > maxBytes) {
    throw new ConnectError(
      `message size ${length} is larger than configured readMaxBytes ${maxBytes}`,
      Code.ResourceExhausted,
    );
  }
  if (buf.byteLength < 5 + length) {
    throw new ConnectError(
      `protocol error: promised ${length} bytes in enveloped message, got ${buf.byteLength - 5} bytes`,
      Code.InvalidArgument,
    );
  }
  if (buf.byteLength > 5 + length) {
    throw new ConnectError(
      "protocol error: received extra output message for unary method",
      Code.Unimplemented,
    );
  }
  if (flags !== 0) {
    throw new ConnectError(
      `protocol error: unexpected envelope flags ${flags} (no compression negotiated)`,
      Code.Internal,
    );
  }
  // A plain Uint8Array view (not a Buffer): bytes fields of the message alias it.
  return fromBinary(schema, new Uint8Array(buf.buffer, buf.byteOffset + 5, length));
}
