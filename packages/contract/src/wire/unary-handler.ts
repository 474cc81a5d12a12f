import {
  create,
  type DescMessage,
  type DescMethod,
  type DescMethodUnary,
  fromBinary,
  type MessageShape,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  createServiceImplSpec,
  type HandlerContext,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { connectErrorFromH2ResetCode } from "./call-errors.js";
import { EnvelopeReader } from "./envelope-reader.js";
import type { H2Stream, H2StreamHandler } from "./h2/stream.js";
import { type LeanCall, type LeanRequest, startLeanCall } from "./lean-call.js";

/** A method registered on a router, with the interceptors Connect would apply to it. */
export interface LeanRoute {
  readonly method: DescMethod;
  readonly impl: (req: unknown, ctx: HandlerContext) => unknown;
  readonly interceptors: readonly Interceptor[];
}

/**
 * Wraps a ConnectRouter so every registration still reaches it (the fallback for anything unusual)
 * and methods the lean path serves are also recorded by request path (`/package.Service/Method`):
 * unary methods registered with no option but `interceptors`, streaming methods with no option at
 * all (or no interceptors). A path registered twice is left to Connect alone. Registrations reach
 * the router when its `handlers` are first read: a server whose calls all take the lean path (a
 * broker server per callback, in go-plugin's shape) never builds Connect's handlers.
 */
export function recordLeanRoutes(
  router: ConnectRouter,
  routes: Map<string, LeanRoute | null>,
): ConnectRouter {
  const record = (method: DescMethod, impl: LeanRoute["impl"], options: object | undefined) => {
    const path = `/${method.parent.typeName}/${method.name}`;
    const plain = options === undefined || Object.keys(options).every((k) => k === "interceptors");
    const interceptors = (options as { interceptors?: Interceptor[] } | undefined)?.interceptors ?? [];
    const lean = plain && (method.methodKind === "unary" || interceptors.length === 0);
    routes.set(path, routes.has(path) || !lean ? null : { method, impl, interceptors });
  };
  const pending: (() => void)[] = [];
  const proxy: ConnectRouter = {
    get handlers() {
      for (const register of pending.splice(0)) register();
      return router.handlers;
    },
    service(service, implementation, options) {
      pending.push(() => router.service(service, implementation, options));
      // Connect's own spec: bound methods, and an UNIMPLEMENTED thrower for missing ones.
      const spec = createServiceImplSpec(service, implementation);
      for (const method of service.methods) {
        record(method, spec.methods[method.localName]?.impl as LeanRoute["impl"], options);
      }
      return proxy;
    },
    rpc(method, impl, options) {
      pending.push(() => router.rpc(method, impl, options));
      record(method, impl as LeanRoute["impl"], options);
      return proxy;
    },
  };
  return proxy;
}

/**
 * Serves one unary gRPC call on an HTTP/2 stream (PROTOCOL-HTTP2.md), or returns false
 * (nothing consumed) when the request is not plain binary gRPC — Connect's handler then serves it.
 * The handler sees what Connect gives it: a HandlerContext (signal, deadline, request/response
 * metadata, context values) after the route's interceptors; errors become `grpc-status` /
 * `grpc-message` trailers through Connect's own `setTrailerStatus`, with Connect's messages and
 * codes for protocol errors; a request over `readMaxBytes` or a response over `writeMaxBytes` ends
 * RESOURCE_EXHAUSTED, as in connect-node. What it saves per call is Connect's async-iterable
 * pipeline, web `Headers` and AbortControllers: built only if the handler asks for them.
 */
export function serveUnary(route: LeanRoute, stream: H2Stream, req: LeanRequest): boolean {
  const call = startLeanCall(route.method, stream, req);
  if (call === undefined) return false;
  receiveOne(call, stream, req, route.method.input, (input) => {
    invokeUnary(call, route, input).then(
      (output) => {
        try {
          call.send(output);
          call.finish();
        } catch (err) {
          call.finish(err);
        }
      },
      (err) => call.finish(err),
    );
  });
  return true;
}

/**
 * Reads the single request message of a unary or server-streaming call (Connect's errors for a
 * missing, partial, extra or oversized one) and hands it over once the request ends; a peer that
 * resets the stream cancels the call (the handler's signal), as in connect-node.
 */
export function receiveOne(
  call: LeanCall,
  stream: H2Stream,
  req: LeanRequest,
  schema: DescMessage,
  start: (input: unknown) => void,
): void {
  const body = new EnvelopeReader(req.readMaxBytes);
  const end = () => {
    if (call.done) return;
    let input: unknown;
    try {
      input = parseInput(schema, body.message());
    } catch (err) {
      return call.finish(err);
    }
    start(input);
  };
  const handler: H2StreamHandler = {
    onHeaders(_trailers, ended) {
      if (ended) end();
    },
    onData(chunk, ended) {
      if (call.done) return;
      const err = body.push(chunk);
      if (err) call.finish(err);
      else if (ended) end();
    },
    onClose(code) {
      if (!call.done) call.finish(closedByPeer(code));
    },
  };
  stream.handler = handler;
  if (req.endStream) end();
}

/** Why a call ended when its stream did before the answer: the peer's reset, or it went away. */
export function closedByPeer(code: number | undefined): ConnectError {
  return (
    (code !== undefined && connectErrorFromH2ResetCode(code)) ||
    new ConnectError("the client closed the stream", Code.Canceled)
  );
}

/** One request message, decoded with Connect's errors. */
export function parseInput(schema: DescMessage, envelope: { flags: number; data: Uint8Array }): unknown {
  if ((envelope.flags & 1) === 1) {
    throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
  }
  try {
    return fromBinary(schema, envelope.data);
  } catch (e) {
    throw new ConnectError(`parse binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
  }
}

/** Runs the interceptors and the handler, as Connect's `invokeUnaryImplementation` does. */
function invokeUnary(call: LeanCall, route: LeanRoute, input: unknown): Promise<unknown> {
  const { impl, interceptors } = route;
  const method = route.method as DescMethodUnary;
  let inner: UnaryResponse | undefined;
  let next = async (req: UnaryRequest): Promise<UnaryResponse> => {
    const ctx = call.context(
      () => req.signal,
      () => req.header,
      req.contextValues,
      req.url,
    );
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
  for (let i = interceptors.length - 1; i >= 0; i--) {
    next = (interceptors[i] as Interceptor)(next as never) as never;
  }
  return next({
    stream: false,
    message: input,
    method,
    service: method.parent,
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
    contextValues: call.values,
  } as UnaryRequest).then((res) => {
    // An interceptor may answer with its own metadata objects: Connect sends theirs (copyHeaders).
    if (res !== inner) {
      const { header, trailer } = res;
      if (header !== call.responseHeader) copy(header, call.resHeader);
      if (trailer !== call.responseTrailer) copy(trailer, call.resTrailer);
    }
    return res.message;
  });
}

function copy(from: Headers, to: Headers): void {
  for (const key of [...to.keys()]) to.delete(key);
  for (const [key, value] of from) to.set(key, value);
}
