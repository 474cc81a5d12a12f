// Connect's `UniversalClientFn` (what its gRPC protocol code drives for streaming calls) over one of our
// HTTP/2 connections: request headers and body out, response headers, body and trailers back.
import type {
  UniversalClientFn,
  UniversalClientRequest,
  UniversalClientResponse,
} from "@connectrpc/connect/protocol";
import {
  connectErrorFromH2ResetCode,
  connectErrorFromNodeReason,
  resetWithoutResponse,
} from "./call-errors.js";
import { BodyQueue } from "./h2/body-queue.js";
import type { H2Connection } from "./h2/connection.js";
import { appendHeaders, fieldsToRecord, recordToHeaders } from "./h2/fields.js";
import { H2Code } from "./h2/frame.js";
import { grantAsRead, type H2Stream, sendBody } from "./h2/stream.js";

/**
 * Streaming calls over `connection()`: Connect's gRPC protocol code builds the envelopes, headers and
 * status handling; this moves bytes. The request body is sent as Connect yields it (queued by HTTP/2
 * flow control); the signal cancels with RST_STREAM CANCEL.
 */
export function createUniversalClient(connection: () => H2Connection): UniversalClientFn {
  return (request: UniversalClientRequest): Promise<UniversalClientResponse> => {
    const url = new URL(request.url);
    const fields = appendHeaders(
      [
        ":method",
        request.method,
        ":scheme",
        url.protocol.slice(0, -1),
        ":authority",
        url.host,
        ":path",
        url.pathname,
      ],
      request.header,
    );
    let stream: H2Stream;
    try {
      stream = connection().request(fields, request.body === undefined);
    } catch (err) {
      return Promise.reject(connectErrorFromNodeReason(err));
    }
    const body = new BodyQueue();
    // Window returned as Connect reads, not as bytes arrive: a slow reader slows the server.
    const reader = grantAsRead(stream, body);
    const trailer = new Headers();
    const { signal } = request;
    return new Promise((resolve, reject) => {
      let responded = false;
      const onAbort = () => {
        const reason = signal?.reason ?? new Error("the call was aborted");
        stream.reset(H2Code.CANCEL);
        if (!responded) reject(reason);
        body.end(reason);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      stream.handler = {
        onHeaders(received, endStream) {
          const record = fieldsToRecord(received);
          if (!responded) {
            responded = true;
            resolve({
              status: Number(record[":status"] ?? 0),
              header: recordToHeaders(record),
              body: reader,
              trailer,
            });
          } else {
            recordToHeaders(record).forEach((value, key) => {
              trailer.append(key, value);
            });
          }
          if (endStream) body.end();
        },
        onData(chunk, endStream) {
          body.push(chunk);
          if (endStream) body.end();
        },
        onClose(code, cause) {
          signal?.removeEventListener("abort", onAbort);
          const error =
            cause !== undefined
              ? connectErrorFromNodeReason(cause)
              : code !== undefined
                ? (connectErrorFromH2ResetCode(code) ?? resetWithoutResponse(code))
                : responded
                  ? undefined
                  : resetWithoutResponse(H2Code.NO_ERROR);
          if (!responded) reject(error);
          body.end(error);
        },
      };
      if (request.body !== undefined) {
        // Connect aborts the request body when the call fails; the stream is reset by then.
        sendBody(stream, request.body, true).catch(() => stream.reset(H2Code.CANCEL));
      }
    });
  };
}
