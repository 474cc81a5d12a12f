// How transport failures become Connect errors: the same codes connect-node gives, so callers see one
// behaviour whichever path a call took.
import { Code, ConnectError } from "@connectrpc/connect";
import { H2Code, H2ConnectionLost } from "./h2/frame.js";

/**
 * connect-node's mapping of HTTP/2 reset codes to gRPC codes (STREAM_CLOSED deliberately unmapped).
 * A CANCEL that arrives once the call's deadline (a `performance.now()` time) has passed is
 * DEADLINE_EXCEEDED, as grpc-go's client decides (`handleRSTStream`): grpc-go servers reset a stream
 * with CANCEL when its `grpc-timeout` runs out, and that reset can be read before our own timer runs.
 */
export function connectErrorFromH2ResetCode(rstCode: number, deadlineAt?: number): ConnectError | undefined {
  if (rstCode === H2Code.CANCEL && deadlineAt !== undefined && performance.now() >= deadlineAt) {
    return new ConnectError(
      "the operation timed out (the server reset the stream at the deadline)",
      Code.DeadlineExceeded,
    );
  }
  const code =
    rstCode === H2Code.REFUSED_STREAM
      ? Code.Unavailable
      : rstCode === H2Code.CANCEL
        ? Code.Canceled
        : rstCode === H2Code.ENHANCE_YOUR_CALM
          ? Code.ResourceExhausted
          : rstCode === H2Code.INADEQUATE_SECURITY || rstCode === H2Code.HTTP_1_1_REQUIRED
            ? Code.PermissionDenied
            : rstCode === H2Code.STREAM_CLOSED
              ? undefined
              : Code.Internal;
  return code === undefined
    ? undefined
    : new ConnectError(`http/2 stream closed with error code 0x${rstCode.toString(16)}`, code);
}

/**
 * connect-node's mapping of Node.js network errors (unreachable peer → Unavailable, reset → Aborted);
 * a connection that ended under the call is UNAVAILABLE, as grpc-go reports a plugin that exited.
 */
export function connectErrorFromNodeReason(reason: unknown): ConnectError {
  const codes: unknown[] = [];
  for (let r: unknown = reason; r instanceof Error && codes.length < 10; r = r.cause) {
    codes.push((r as NodeJS.ErrnoException).code);
  }
  let code = reason instanceof H2ConnectionLost ? Code.Unavailable : Code.Internal;
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

/** A stream that ended with a reset code connect-node leaves unmapped (STREAM_CLOSED) before any answer. */
export function resetWithoutResponse(code: number): ConnectError {
  return new ConnectError(`http/2 stream closed with error code 0x${code.toString(16)}`, Code.Internal);
}
