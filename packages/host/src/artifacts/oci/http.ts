import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream } from "node:stream/web";
import { ErrorCode, PlugwireError } from "@plugwire/contract";
import { deliveryError } from "../failure.js";

/** A response whose request (and body) is guarded by an idle timeout. */
export interface TimedResponse {
  response: Response;
  /** Restarts the timeout; call it for every body chunk so slow-but-moving transfers survive. */
  touch(): void;
  /** Clears the timer and listeners; call when the body has been consumed or cancelled. */
  done(): void;
  /** Maps an error thrown while reading the body to a typed error (timeout, abort, network). */
  fail(err: unknown): PlugwireError;
}

/**
 * A request whose body may be produced per attempt: a function gets the idle timer's `touch` so an
 * upload keeps the timeout alive while bytes move, and is called again if the request is retried
 * (a stream body cannot be replayed, a file can be reopened).
 */
export type TimedRequestInit = Omit<RequestInit, "body"> & {
  body?: RequestBody | ((touch: () => void) => RequestBody) | null;
};

/** What `fetch` accepts as a request body (`BodyInit`, which Node's types do not name globally). */
export type RequestBody = NonNullable<RequestInit["body"]>;

/** Options of one timed request. */
export interface TimedFetchOptions {
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /** What is being fetched, for messages: `manifest localhost:5000/a:1`. */
  what: string;
}

/**
 * `fetch` with a per-request timeout that also covers the body as an idle timeout, and the caller's
 * AbortSignal. Failures become typed errors: `TIMEOUT` and network errors are transient
 * (`FETCH_FAILED`), the caller's abort is `ABORTED`. HTTP statuses are left to the caller.
 */
export async function timedFetch(
  url: string,
  init: TimedRequestInit,
  options: TimedFetchOptions,
): Promise<TimedResponse> {
  const controller = new AbortController();
  let timedOut = false;
  const arm = () =>
    setTimeout(() => {
      timedOut = true;
      controller.abort(new Error("timeout"));
    }, options.timeoutMs);
  let timer = arm();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const touch = () => {
    clearTimeout(timer);
    timer = arm();
  };
  const done = () => {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  };
  const fail = (err: unknown): PlugwireError => {
    done();
    if (err instanceof PlugwireError) return err;
    // A request body stream that failed (e.g. a digest check) surfaces as fetch's TypeError cause.
    if (err instanceof Error && err.cause instanceof PlugwireError && !options.signal?.aborted)
      return err.cause;
    if (options.signal?.aborted)
      return deliveryError(ErrorCode.Aborted, `${options.what}: aborted`, {
        cause: err,
        failure: "transient",
      });
    if (timedOut)
      return deliveryError(ErrorCode.Timeout, `${options.what}: no answer within ${options.timeoutMs} ms`, {
        cause: err,
        failure: "transient",
        details: { timeoutMs: options.timeoutMs, url },
      });
    const reason = (err as { cause?: { code?: string; message?: string } })?.cause;
    return deliveryError(
      ErrorCode.FetchFailed,
      `${options.what}: ${reason?.code ?? reason?.message ?? (err instanceof Error ? err.message : String(err))}`,
      { cause: err, failure: "transient", details: { url } },
    );
  };
  if (options.signal?.aborted) throw fail(options.signal.reason);
  try {
    const body = typeof init.body === "function" ? init.body(touch) : init.body;
    // A stream body needs `duplex: "half"` (fetch spec RequestInit.duplex). `window: null` plus
    // `redirect: "error"` stop undici cloning the request for a redirect, which tees the body and keeps
    // every sent chunk in memory (nodejs/undici#4058); a stream body could not follow a redirect anyway.
    const streaming =
      body instanceof globalThis.ReadableStream
        ? { duplex: "half" as const, window: null, redirect: "error" as const }
        : {};
    const response = await fetch(url, { ...init, ...streaming, body, signal: controller.signal });
    return { response, touch, done, fail };
  } catch (err) {
    throw fail(err);
  }
}

/**
 * The typed error for an unexpected HTTP status: 5xx and 429 are transient, other 4xx permanent
 * (issue 6 failure classes). Includes the registry's error code from its JSON body when present
 * (distribution spec `{"errors":[{"code","message"}]}`).
 */
export async function statusError(res: Response, what: string): Promise<PlugwireError> {
  let detail = "";
  try {
    const text = (await res.text()).slice(0, 2048);
    const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const first = parsed.errors?.[0];
    if (first) detail = `: ${first.code ?? ""}${first.message ? ` ${first.message}` : ""}`;
  } catch {
    // not JSON: the status says enough
  }
  const transient = res.status >= 500 || res.status === 429;
  return deliveryError(ErrorCode.FetchFailed, `${what}: HTTP ${res.status}${detail}`, {
    failure: transient ? "transient" : "permanent",
    details: { status: res.status },
  });
}

/**
 * Streams a response body into a new file at `path` (created exclusively, 0600), calling `onChunk`
 * for each chunk before it is written (digest checks throw there and stop the transfer). The file is
 * removed on any failure, including `onEnd` (the final digest check) throwing; the idle timeout
 * restarts per chunk.
 */
export async function streamToFile(
  r: TimedResponse,
  path: string,
  onChunk: (chunk: Uint8Array) => void,
  onEnd: () => void,
): Promise<void> {
  try {
    const body = r.response.body;
    if (!body)
      throw deliveryError(ErrorCode.FetchFailed, `empty response body for ${path}`, { failure: "transient" });
    await pipeline(
      Readable.fromWeb(body as ReadableStream<Uint8Array>),
      async function* (source: AsyncIterable<Uint8Array>) {
        for await (const chunk of source) {
          r.touch();
          onChunk(chunk);
          yield chunk;
        }
      },
      createWriteStream(path, { flags: "wx", mode: 0o600 }),
    );
    onEnd();
    r.done();
  } catch (err) {
    await rm(path, { force: true });
    throw r.fail(err);
  }
}
