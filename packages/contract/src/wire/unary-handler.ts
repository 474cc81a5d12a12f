import {
  create,
  type DescMessage,
  type DescMethod,
  type DescMethodUnary,
  type DescService,
  fromBinary,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createContextValues,
  createServiceImplSpec,
  type HandlerContext,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { connectErrorFromH2ResetCode } from "./call-errors.js";
import { EnvelopeReader, frameMessage } from "./envelope-reader.js";
import { appendHeaders, type FieldRecord, recordToHeaders } from "./h2/fields.js";
import { HpackEncoder } from "./h2/hpack.js";
import type { H2Stream } from "./h2/stream.js";

/** A unary method registered on a router, with the interceptors Connect would apply to it. */
export interface UnaryRoute {
  readonly method: DescMethodUnary;
  readonly impl: (req: unknown, ctx: HandlerContext) => unknown;
  readonly interceptors: readonly Interceptor[];
}

/**
 * Wraps a ConnectRouter so every registration still reaches it (the fallback for streams and
 * anything unusual) and unary methods registered with no option but `interceptors` are also
 * recorded by request path (`/package.Service/Method`) for {@link serveUnary}. A path registered
 * twice is left to Connect alone.
 */
export function recordUnaryRoutes(
  router: ConnectRouter,
  routes: Map<string, UnaryRoute | null>,
): ConnectRouter {
  const record = (method: DescMethod, impl: UnaryRoute["impl"], options: object | undefined) => {
    const path = `/${method.parent.typeName}/${method.name}`;
    const plain = options === undefined || Object.keys(options).every((k) => k === "interceptors");
    if (routes.has(path) || method.methodKind !== "unary" || !plain) routes.set(path, null);
    else {
      const interceptors = (options as { interceptors?: Interceptor[] } | undefined)?.interceptors ?? [];
      routes.set(path, { method: method as DescMethodUnary, impl, interceptors });
    }
  };
  const proxy: ConnectRouter = {
    get handlers() {
      return router.handlers;
    },
    service(service, implementation, options) {
      router.service(service, implementation, options);
      // Connect's own spec: bound methods, and an UNIMPLEMENTED thrower for missing ones.
      const spec = createServiceImplSpec(service, implementation);
      for (const method of service.methods) {
        record(method, spec.methods[method.localName]?.impl as UnaryRoute["impl"], options);
      }
      return proxy;
    },
    rpc(method, impl, options) {
      router.rpc(method, impl, options);
      record(method, impl as UnaryRoute["impl"], options);
      return proxy;
    },
  };
  return proxy;
}

/**
 * Serves one unary gRPC call on an HTTP/2 stream (PROTOCOL-HTTP2.md), or returns false
 * (nothing consumed) when the request is not plain binary gRPC — Connect's adapter then handles it.
 * The handler sees what Connect gives it: a HandlerContext (signal, deadline, request/response
 * metadata, context values) after the route's interceptors; errors become `grpc-status` /
 * `grpc-message` trailers through Connect's own `setTrailerStatus`, with Connect's messages and
 * codes for protocol errors; a request over `readMaxBytes` or a response over `writeMaxBytes` ends
 * RESOURCE_EXHAUSTED, as in connect-node. What it saves per call is Connect's async-iterable pipeline, web
 * `Headers` and AbortControllers: built only if the handler asks for them.
 */
export function serveUnary(
  route: UnaryRoute,
  stream: H2Stream,
  headers: FieldRecord,
  endStream: boolean,
  secure: boolean,
  readMaxBytes: number,
  writeMaxBytes: number = readMaxBytes,
): boolean {
  const type = headers["content-type"];
  const encoding = headers["grpc-encoding"];
  if (
    headers[":method"] !== "POST" ||
    (type !== "application/grpc" && type !== "application/grpc+proto") ||
    (encoding !== undefined && encoding !== "identity")
  ) {
    return false;
  }
  const rawTimeout = headers["grpc-timeout"];
  const timeout = parseTimeout(typeof rawTimeout === "string" ? rawTimeout : null, Number.MAX_SAFE_INTEGER);
  if (timeout.error) return false;
  const call = new LeanCall(route, stream, headers, secure, timeout.timeoutMs, writeMaxBytes);
  const body = new EnvelopeReader(readMaxBytes);
  const end = () => {
    if (call.done) return;
    let input: unknown;
    try {
      input = parseInput(route.method.input, body.message());
    } catch (err) {
      return call.finish(err);
    }
    call.invoke(input).then(
      (output) => call.finish(undefined, output),
      (err) => call.finish(err),
    );
  };
  stream.handler = {
    onHeaders(_trailers, endStream) {
      if (endStream) end();
    },
    onData(chunk, endStream) {
      if (call.done) return;
      const err = body.push(chunk);
      if (err) call.finish(err);
      else if (endStream) end();
    },
    // A peer that resets the stream cancels the call (the handler's signal), as in connect-node.
    onClose(code) {
      if (!call.done)
        call.finish((code !== undefined && connectErrorFromH2ResetCode(code)) || abortedByPeer());
    },
  };
  if (endStream) end();
  return true;
}

const abortedByPeer = () => new ConnectError("the client closed the stream", Code.Canceled);

function parseInput(schema: DescMessage, envelope: { flags: number; data: Uint8Array }): unknown {
  if ((envelope.flags & 1) === 1) {
    throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
  }
  try {
    return fromBinary(schema, envelope.data);
  } catch (e) {
    throw new ConnectError(`parse binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
  }
}

// The usual answer's header blocks, HPACK-encoded once (our encoder is stateless).
const hpack = new HpackEncoder();
const OK_HEADERS = hpack.encode([":status", "200", "content-type", "application/grpc+proto"]);
const OK_TRAILERS = hpack.encode(["grpc-status", "0"]);

/** One call's state; metadata and the abort signal exist only once somebody asks for them. */
class LeanCall {
  done = false;
  private controller: AbortController | undefined;
  private abortReason: unknown;
  private aborted = false;
  private requestHeader: Headers | undefined;
  private responseHeader: Headers | undefined;
  private responseTrailer: Headers | undefined;
  private readonly deadline: number | undefined;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly route: UnaryRoute,
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

  /** Runs the interceptors and the handler, as Connect's `invokeUnaryImplementation` does. */
  invoke(input: unknown): Promise<unknown> {
    const { method, impl, interceptors } = this.route;
    const call = this;
    const timeoutMs = () => (call.deadline === undefined ? undefined : call.deadline - Date.now());
    let inner: UnaryResponse | undefined;
    let next = async (req: UnaryRequest): Promise<UnaryResponse> => {
      const ctx: HandlerContext = {
        method,
        service: req.service,
        protocolName: "grpc",
        requestMethod: "POST",
        url: req.url,
        timeoutMs,
        get signal() {
          return req.signal;
        },
        get requestHeader() {
          return req.header;
        },
        get responseHeader() {
          return call.resHeader;
        },
        get responseTrailer() {
          return call.resTrailer;
        },
        values: req.contextValues,
      };
      const message = create(method.output, (await impl(req.message, ctx)) as MessageShape<DescMessage>);
      inner = {
        stream: false,
        message,
        method,
        service: method.parent,
        get header() {
          return call.resHeader;
        },
        get trailer() {
          return call.resTrailer;
        },
      } as UnaryResponse;
      return inner;
    };
    for (let i = interceptors.length - 1; i >= 0; i--)
      next = (interceptors[i] as Interceptor)(next as never) as never;
    const values: ContextValues = createContextValues();
    const service: DescService = method.parent;
    return next({
      stream: false,
      message: input,
      method,
      service,
      requestMethod: "POST",
      get url() {
        return call.url;
      },
      get signal() {
        return call.signal;
      },
      get header() {
        return call.header;
      },
      contextValues: values,
    } as UnaryRequest).then((res) => {
      // An interceptor may answer with its own metadata objects: Connect sends theirs (copyHeaders).
      if (res !== inner) {
        const { header, trailer } = res;
        if (header !== this.responseHeader) copy(header, this.resHeader);
        if (trailer !== this.responseTrailer) copy(trailer, this.resTrailer);
      }
      return res.message;
    });
  }

  /** Writes the response (or the error status) once; later calls are ignored. */
  finish(error: unknown, output?: unknown): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    let frame: Buffer | undefined;
    let err: ConnectError | undefined;
    if (error === undefined) {
      try {
        frame = envelope(this.route.method.output, output as MessageShape<DescMessage>, this.writeMaxBytes);
      } catch (e) {
        err = e as ConnectError;
      }
    } else {
      err =
        error instanceof ConnectError
          ? error
          : new ConnectError("internal error", Code.Internal, undefined, undefined, error);
    }
    this.abort(err);
    const { stream } = this;
    if (stream.closed) return;
    const trailers =
      err !== undefined
        ? appendHeaders([], setTrailerStatus(this.resTrailer, err))
        : this.responseTrailer !== undefined
          ? appendHeaders([], this.responseTrailer)
          : OK_TRAILERS;
    stream.sendHeaders(
      this.responseHeader ? appendHeaders([":status", "200"], this.responseHeader) : OK_HEADERS,
    );
    if (frame) stream.sendData(frame);
    stream.sendHeaders(trailers, true);
  }

  /** Aborts the handler's signal, as Connect does when a call ends (with the error, if any). */
  private abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}

function envelope(schema: DescMessage, message: MessageShape<DescMessage>, maxBytes: number): Buffer {
  let bytes: Uint8Array;
  try {
    bytes = toBinary(schema, message);
  } catch (e) {
    throw new ConnectError(`serialize binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
  }
  return frameMessage(bytes, maxBytes);
}

function copy(from: Headers, to: Headers): void {
  for (const key of [...to.keys()]) to.delete(key);
  for (const [key, value] of from) to.set(key, value);
}
