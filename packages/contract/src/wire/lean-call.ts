// One gRPC call served straight off an HTTP/2 stream (the lean server path): the handler's context,
// built lazily, and the response — headers once, length-prefixed messages, trailers with the status.
import { create, type DescMessage, type DescMethod, type MessageShape, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  createContextValues,
  type HandlerContext,
} from "@connectrpc/connect";
import { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { frameMessage } from "./envelope-reader.js";
import { appendHeaders, type FieldRecord, recordToHeaders } from "./h2/fields.js";
import { HpackEncoder } from "./h2/hpack.js";
import type { H2Stream } from "./h2/stream.js";

// The usual answer's header blocks, HPACK-encoded once (our encoder is stateless).
const hpack = new HpackEncoder();
const OK_HEADERS = hpack.encode([":status", "200", "content-type", "application/grpc+proto"]);
const OK_TRAILERS = hpack.encode(["grpc-status", "0"]);

/**
 * The request's deadline in ms (undefined: none), or false when the request is not plain binary
 * gRPC (POST, `application/grpc[+proto]`, no compression, a valid `grpc-timeout`): Connect's own
 * handler then serves it.
 */
function plainGrpcTimeout(headers: FieldRecord): number | undefined | false {
  const type = headers["content-type"];
  const encoding = headers["grpc-encoding"];
  if (
    headers[":method"] !== "POST" ||
    (type !== "application/grpc" && type !== "application/grpc+proto") ||
    (encoding !== undefined && encoding !== "identity")
  ) {
    return false;
  }
  const raw = headers["grpc-timeout"];
  const timeout = parseTimeout(typeof raw === "string" ? raw : null, Number.MAX_SAFE_INTEGER);
  return timeout.error ? false : timeout.timeoutMs;
}

/** A request as the lean path sees it, with the server's message limits. */
export interface LeanRequest {
  readonly headers: FieldRecord;
  /** The HEADERS frame ended the stream (no body). */
  readonly endStream: boolean;
  /** Served over TLS (the `https` scheme of the handler's URL). */
  readonly secure: boolean;
  readonly readMaxBytes: number;
  readonly writeMaxBytes: number;
}

/** A call for a plain binary gRPC request, or undefined when Connect's own handler must serve it. */
export function startLeanCall(method: DescMethod, stream: H2Stream, req: LeanRequest): LeanCall | undefined {
  const timeout = plainGrpcTimeout(req.headers);
  if (timeout === false) return undefined;
  return new LeanCall(method, stream, req.headers, req.secure, timeout, req.writeMaxBytes);
}

/**
 * One call's state. Metadata `Headers` and the abort signal exist only once somebody asks for them
 * (on Node 20 the first `Headers` loads undici: ~20 ms of a plugin's cold start).
 */
export class LeanCall {
  done = false;
  readonly values: ContextValues = createContextValues();
  private controller: AbortController | undefined;
  private abortReason: unknown;
  private aborted = false;
  private headersSent = false;
  private requestHeader: Headers | undefined;
  responseHeader: Headers | undefined;
  responseTrailer: Headers | undefined;
  private readonly deadline: number | undefined;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    readonly method: DescMethod,
    private readonly stream: H2Stream,
    private readonly headers: FieldRecord,
    private readonly secure: boolean,
    timeoutMs: number | undefined,
    private readonly writeMaxBytes: number,
  ) {
    if (timeoutMs !== undefined) {
      this.deadline = Date.now() + timeoutMs;
      // grpc-timeout: past it the call ends DEADLINE_EXCEEDED whatever the handler does.
      this.timer = setTimeout(
        () => this.finish(new ConnectError("the operation timed out", Code.DeadlineExceeded)),
        timeoutMs,
      );
    }
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  get header(): Headers {
    this.requestHeader ??= recordToHeaders(this.headers);
    return this.requestHeader;
  }

  get resHeader(): Headers {
    this.responseHeader ??= new Headers({ "content-type": "application/grpc+proto" });
    return this.responseHeader;
  }

  get resTrailer(): Headers {
    this.responseTrailer ??= new Headers({ "grpc-status": "0" });
    return this.responseTrailer;
  }

  /** As connect-node builds it: scheme from the connection, authority as sent (never validated). */
  get url(): string {
    const scheme = this.secure ? "https" : "http";
    return `${scheme}://${this.headers[":authority"] ?? "localhost"}${this.headers[":path"] ?? ""}`;
  }

  /** Milliseconds left before the deadline, as Connect's `timeoutMs()`. */
  timeoutMs(): number | undefined {
    return this.deadline === undefined ? undefined : this.deadline - Date.now();
  }

  /** Connect's HandlerContext for this call; `signal`, `header` and `values` may be an interceptor's. */
  context(
    signal: () => AbortSignal = () => this.signal,
    header: () => Headers = () => this.header,
    values: ContextValues = this.values,
    url: string = this.url,
  ): HandlerContext {
    const call = this;
    return {
      method: this.method,
      service: this.method.parent,
      protocolName: "grpc",
      requestMethod: "POST",
      url,
      timeoutMs: () => call.timeoutMs(),
      get signal() {
        return signal();
      },
      get requestHeader() {
        return header();
      },
      get responseHeader() {
        return call.resHeader;
      },
      get responseTrailer() {
        return call.resTrailer;
      },
      values,
    };
  }

  /** Sends one response message (headers first, once); false once flow control holds data back. */
  send(message: unknown): boolean {
    const frame = envelope(this.method.output, message, this.writeMaxBytes);
    if (this.done) return true;
    this.sendHeaders();
    this.stream.sendData(frame);
    return this.stream.idle;
  }

  /** Resolves once the stream's queued data left (backpressure for streaming handlers). */
  drained(): Promise<void> {
    return this.stream.drained();
  }

  /** Ends the call: trailers with OK or the error's status (Connect's `setTrailerStatus`). Once. */
  finish(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    const err =
      error === undefined || error instanceof ConnectError
        ? error
        : new ConnectError("internal error", Code.Internal, undefined, undefined, error);
    this.abort(err);
    if (this.stream.closed) return;
    this.sendHeaders();
    const trailers =
      err !== undefined
        ? appendHeaders([], setTrailerStatus(this.resTrailer, err))
        : this.responseTrailer !== undefined
          ? appendHeaders([], this.responseTrailer)
          : OK_TRAILERS;
    this.stream.sendHeaders(trailers, true);
  }

  private sendHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.stream.sendHeaders(
      this.responseHeader ? appendHeaders([":status", "200"], this.responseHeader) : OK_HEADERS,
    );
  }

  /** Aborts the handler's signal, as Connect does when a call ends (with the error, if any). */
  private abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}

/** A response message (or init shape) as one gRPC envelope; Connect's errors for bad or big ones. */
function envelope(schema: DescMessage, message: unknown, maxBytes: number): Buffer {
  let bytes: Uint8Array;
  try {
    bytes = toBinary(schema, create(schema, message as MessageShape<DescMessage>));
  } catch (e) {
    throw new ConnectError(`serialize binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
  }
  return frameMessage(bytes, maxBytes);
}
