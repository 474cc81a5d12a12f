import * as http2 from "node:http2";
import {
  create,
  type DescMessage,
  type DescMethod,
  type DescMethodUnary,
  fromBinary,
  isMessage,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { Code, ConnectError, type Transport, type UnaryResponse } from "@connectrpc/connect";

type HeadersInit = Parameters<Transport["unary"]>[3];

import { validateResponseWithCompression, validateTrailer } from "@connectrpc/connect/protocol-grpc";
import { frameMessage } from "./envelope-reader.js";

/**
 * Opens one HTTP/2 stream for the request headers (with `:method` and `:path`) on the plugin's
 * session: synchronously once the session is up, else through the session manager's `request`.
 */
export type OpenStream = (
  headers: http2.OutgoingHttpHeaders,
) => http2.ClientHttp2Stream | Promise<http2.ClientHttp2Stream>;

/** `/package.Service/Method` per method, computed once. */
const paths = new WeakMap<DescMethod, string>();

const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR } = http2.constants;

/**
 * A Connect `Transport.unary` for gRPC over HTTP/2 (PROTOCOL-HTTP2.md): one DATA frame out
 * (5-byte envelope + protobuf), one envelope back, status from the trailers. It replaces
 * connect-node's generic path (async-iterable pipelines, `Headers` objects and linked
 * AbortControllers per call: most of a local call's CPU, and GC) with plain stream events, and keeps
 * its observable behaviour: the same request headers, Connect's own validators for any non-OK
 * response (so errors, codes and metadata are the ones connect-node raises), `ConnectError`
 * codes for deadlines, aborts and HTTP/2 resets, and read/write size limits (`maxBytes` is the read
 * limit; `writeMaxBytes` defaults to it).
 */
export function createUnaryCall(
  open: OpenStream,
  maxBytes: number,
  writeMaxBytes: number = maxBytes,
): Transport["unary"] {
  return async function unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: HeadersInit | undefined,
    input: MessageInitShape<I>,
  ): Promise<UnaryResponse<I, O>> {
    if (signal?.aborted) throw ConnectError.from(signal.reason, Code.Canceled);
    const message = isMessage(input, method.input) ? input : create(method.input, input);
    const frame = frameMessage(toBinary(method.input, message as MessageShape<I>), writeMaxBytes);
    const deadline = timeoutMs !== undefined && timeoutMs > 0 ? timeoutMs : undefined;
    const started = Date.now();
    let path = paths.get(method);
    if (path === undefined) {
      path = `/${method.parent.typeName}/${method.name}`;
      paths.set(method, path);
    }
    const opened = open(requestHeaders(path, deadline, header));
    // An open session answers synchronously: no promise, no timer, no listener for the common call.
    const stream = opened instanceof Promise ? await openBounded(opened, signal, deadline) : opened;

    return new Promise((resolve, reject) => {
      let responseHeaders: http2.IncomingHttpHeaders | undefined;
      let trailers: http2.IncomingHttpHeaders = {};
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
        if (!stream.closed)
          stream.close(err.code === Code.Canceled ? NGHTTP2_CANCEL : NGHTTP2_INTERNAL_ERROR);
        reject(err);
      }
      if (deadline !== undefined) {
        timer = setTimeout(
          () => fail(new ConnectError("the operation timed out", Code.DeadlineExceeded)),
          Math.max(0, deadline - (Date.now() - started)),
        );
      }
      // The signal may have fired while the stream was opening: its event is gone by now.
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
      stream.on("response", (h) => {
        responseHeaders = h;
      });
      stream.on("trailers", (t) => {
        trailers = t;
      });
      stream.on("data", (chunk: Buffer) => {
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
      });
      stream.on("error", (e) => {
        if (!settled) fail(e);
      });
      stream.on("close", () => {
        if (settled) return;
        const reset =
          stream.rstCode === NGHTTP2_NO_ERROR ? undefined : connectErrorFromH2ResetCode(stream.rstCode);
        try {
          if (reset) throw reset;
          const result = finishResponse(method, responseHeaders, trailers, chunks, maxBytes);
          settle();
          resolve(result);
        } catch (e) {
          fail(e);
        }
      });
      stream.end(frame);
    });
  };
}

/**
 * Waits for the stream to open, but no longer than the deadline or the signal allow (a session that
 * never connects must not outlive the call); a stream that opens too late is cancelled.
 */
function openBounded(
  opening: Promise<http2.ClientHttp2Stream>,
  signal: AbortSignal | undefined,
  deadline: number | undefined,
): Promise<http2.ClientHttp2Stream> {
  if (deadline === undefined && signal === undefined) return opening;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = (err: ConnectError) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      reject(err);
      opening.then(
        (s) => s.close(NGHTTP2_CANCEL),
        () => {},
      );
    };
    const onAbort = () => stop(ConnectError.from(signal?.reason, Code.Canceled));
    if (deadline !== undefined)
      timer = setTimeout(
        () => stop(new ConnectError("the operation timed out", Code.DeadlineExceeded)),
        deadline,
      );
    signal?.addEventListener("abort", onAbort, { once: true });
    opening.then(
      (s) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(s);
      },
      (err) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** connect-es' gRPC request headers (`requestHeader()` of protocol-grpc), as a plain object for node:http2. */
function requestHeaders(
  path: string,
  timeoutMs: number | undefined,
  header: HeadersInit | undefined,
): http2.OutgoingHttpHeaders {
  if (header === undefined && timeoutMs === undefined) {
    // The usual call: one literal, the shape node:http2 maps to its header list.
    return {
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc+proto",
      "user-agent": "connect-es/2.1.2",
      te: "trailers",
    };
  }
  const out: http2.OutgoingHttpHeaders = { ":method": "POST", ":path": path };
  if (header !== undefined) {
    for (const [key, value] of new Headers(header)) out[key] = value;
  }
  out["content-type"] = "application/grpc+proto";
  out["user-agent"] ??= "connect-es/2.1.2";
  if (timeoutMs !== undefined) out["grpc-timeout"] = `${timeoutMs}m`;
  out.te = "trailers";
  return out;
}

function finishResponse<I extends DescMessage, O extends DescMessage>(
  method: DescMethodUnary<I, O>,
  rawHeader: http2.IncomingHttpHeaders | undefined,
  rawTrailer: http2.IncomingHttpHeaders,
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
    header = toHeaders(rawHeader);
    trailer = toHeaders(rawTrailer);
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
      header ??= toHeaders(rawHeader);
      return header;
    },
    get trailer() {
      trailer ??= toHeaders(rawTrailer);
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

/** Web `Headers` from node:http2 headers, pseudo-headers (`:status`, `:path`, …) left out. */
export function toHeaders(raw: http2.IncomingHttpHeaders): Headers {
  const h = new Headers();
  for (const key of Object.keys(raw)) {
    if (key.startsWith(":")) continue;
    const v = raw[key];
    if (Array.isArray(v)) for (const item of v) h.append(key, item);
    else if (v !== undefined) h.set(key, String(v));
  }
  return h;
}

/** connect-node's mapping of HTTP/2 reset codes to gRPC codes (STREAM_CLOSED deliberately unmapped). */
export function connectErrorFromH2ResetCode(rstCode: number): ConnectError | undefined {
  const c = http2.constants;
  const code =
    rstCode === c.NGHTTP2_REFUSED_STREAM
      ? Code.Unavailable
      : rstCode === c.NGHTTP2_CANCEL
        ? Code.Canceled
        : rstCode === c.NGHTTP2_ENHANCE_YOUR_CALM
          ? Code.ResourceExhausted
          : rstCode === c.NGHTTP2_INADEQUATE_SECURITY || rstCode === c.NGHTTP2_HTTP_1_1_REQUIRED
            ? Code.PermissionDenied
            : rstCode === c.NGHTTP2_STREAM_CLOSED
              ? undefined
              : Code.Internal;
  return code === undefined
    ? undefined
    : new ConnectError(`http/2 stream closed with error code 0x${rstCode.toString(16)}`, code);
}

/** connect-node's mapping of Node.js network errors (unreachable peer → Unavailable, reset → Aborted). */
function connectErrorFromNodeReason(reason: unknown): ConnectError {
  const codes: unknown[] = [];
  for (let r: unknown = reason; r instanceof Error && codes.length < 10; r = r.cause) {
    codes.push((r as NodeJS.ErrnoException).code);
  }
  let code = Code.Internal;
  if (codes.some((c) => c === "ERR_STREAM_WRITE_AFTER_END")) code = Code.Aborted;
  else if (
    codes.some((c) => c === "ERR_STREAM_DESTROYED" || c === "ERR_HTTP2_INVALID_STREAM" || c === "ECONNRESET")
  )
    code = Code.Aborted;
  else if (
    codes.some((c) => c === "ETIMEDOUT" || c === "ENOTFOUND" || c === "EAI_AGAIN" || c === "ECONNREFUSED")
  )
    code = Code.Unavailable;
  const err = ConnectError.from(reason, code);
  if (err !== reason) err.cause = reason;
  return err;
}
