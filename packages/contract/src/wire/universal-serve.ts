// Streaming methods (and any request that is not plain binary gRPC) served by Connect's own handler
// code — `UniversalHandler`s from a `ConnectRouter` — over one of our HTTP/2 streams.
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { connectErrorFromH2ResetCode } from "./call-errors.js";
import { BodyQueue } from "./h2/body-queue.js";
import { appendHeaders, type FieldRecord, recordToHeaders } from "./h2/fields.js";
import { H2Code } from "./h2/frame.js";
import { grantAsRead, type H2Stream, sendBody } from "./h2/stream.js";

/**
 * Runs `handler` for a stream whose request headers arrived: the request body is what the peer
 * sends, the signal aborts when the peer resets the stream, the response (headers, body with
 * backpressure, trailers) goes back on the stream; a handler that throws resets it (INTERNAL_ERROR).
 */
export function serveUniversal(
  handler: UniversalHandler,
  stream: H2Stream,
  headers: FieldRecord,
  endStream: boolean,
  secure: boolean,
): void {
  const body = new BodyQueue();
  const controller = new AbortController();
  stream.handler = {
    onHeaders(_trailers, end) {
      if (end) body.end();
    },
    onData(chunk, end) {
      body.push(chunk);
      if (end) body.end();
    },
    onClose(code, cause) {
      const reason = cause ?? (code !== undefined ? connectErrorFromH2ResetCode(code) : undefined);
      if (reason !== undefined) {
        body.end(reason);
        controller.abort(reason);
      }
    },
  };
  if (endStream) body.end();
  const authority = headers[":authority"] ?? "localhost";
  handler({
    httpVersion: "2.0",
    url: `${secure ? "https" : "http"}://${authority}${headers[":path"] ?? "/"}`,
    method: String(headers[":method"] ?? "POST"),
    header: recordToHeaders(headers),
    // Window returned as the handler reads: a slow handler holds a streaming client back.
    body: grantAsRead(stream, body),
    signal: controller.signal,
  })
    .then(async (res) => {
      const noBody = res.body === undefined && res.trailer === undefined;
      const head = [":status", String(res.status)];
      stream.sendHeaders(res.header ? appendHeaders(head, res.header) : head, noBody);
      if (noBody) return;
      if (res.body !== undefined) await sendBody(stream, res.body, res.trailer === undefined);
      if (res.trailer !== undefined) stream.sendHeaders(appendHeaders([], res.trailer), true);
    })
    .catch(() => stream.reset(H2Code.INTERNAL_ERROR));
}

/** A trailers-only gRPC answer (PROTOCOL-HTTP2.md): what grpc-go sends for an unknown method. */
export function answerUnimplemented(stream: H2Stream, path: string): void {
  stream.sendHeaders(
    [
      ":status",
      "200",
      "content-type",
      "application/grpc",
      "grpc-status",
      "12",
      "grpc-message",
      encodeURIComponent(`unknown method ${path}`),
    ],
    true,
  );
}
