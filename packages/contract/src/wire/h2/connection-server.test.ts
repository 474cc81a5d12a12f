// Our HTTP/2 server role (H2Connection accepting on a unix socket) against node:http2's client
// (nghttp2): big bodies both ways under flow control, many streams, header blocks over the frame size,
// client resets, our graceful GOAWAY, and an answer given before the request ended.
import * as http2 from "node:http2";
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FrameType, H2Code } from "./frame.js";
import type { H2Stream } from "./stream.js";
import {
  fieldObject,
  listenServer,
  openSockets,
  pattern,
  record,
  type StreamRecord,
  sha256,
  socketDir,
  waitFor,
  whenRequestEnds,
  within,
} from "./test-support/peers.js";
import { type RawFrame, sniffFrames } from "./test-support/raw-peer.js";

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR } = http2.constants;
const tmp = socketDir("pw-h2s-");
const DOWNLOAD = pattern(5 * 1024 * 1024, 11);
/** Streams of "/hold" with what they reported once closed. */
const held: { stream: H2Stream; closed: Promise<StreamRecord> }[] = [];
/** Frames each accepted connection received, in accept order. */
const received: RawFrame[][] = [];
let baseline = 0;
type Server = Awaited<ReturnType<typeof listenServer>>;
let server: Server;
let smallWindows: Server;

function route(stream: H2Stream, fields: string[], endStream: boolean) {
  const head = fieldObject(fields);
  switch (head[":path"]) {
    case "/echo":
      return whenRequestEnds(stream, endStream, (body) => {
        stream.sendHeaders([":status", "200", "x-head", "h"]);
        stream.sendData(body);
        stream.sendHeaders(["grpc-status", "0", "x-sha256", sha256(body), "x-id", head["x-id"] ?? ""], true);
      });
    case "/download":
      return whenRequestEnds(stream, endStream, () => {
        stream.sendHeaders([":status", "200"]);
        stream.sendData(DOWNLOAD, true);
      });
    case "/headers":
      return whenRequestEnds(stream, endStream, () => {
        stream.sendHeaders([":status", "200", "x-big", head["x-big"] ?? ""], true);
      });
    case "/early":
      // The whole answer (more than node's 64 KiB window) before the request's END_STREAM.
      stream.sendHeaders([":status", "200"]);
      stream.sendData(DOWNLOAD);
      stream.sendHeaders(["grpc-status", "0"], true);
      return;
    case "/hold":
      held.push({ stream, closed: record(stream).closed });
      return;
  }
}

beforeAll(async () => {
  baseline = openSockets();
  server = await listenServer(tmp.path("ours"), route, {}, (s) => {
    received.push(sniffFrames(s, true));
  });
  smallWindows = await listenServer(tmp.path("small"), route, {
    streamWindow: 65_535,
    connectionWindow: 65_535,
  });
});

afterAll(async () => {
  await Promise.all([server.close(), smallWindows.close()]);
  tmp.remove();
  await waitFor("every socket to close", () => openSockets() === baseline);
});

/** A node:http2 client session over a unix socket. */
function nodeClient(path: string) {
  const session = http2.connect("http://localhost", {
    createConnection: () => net.connect(path),
    settings: { maxHeaderListSize: 1 << 20 },
    maxSendHeaderBlockLength: 1 << 20,
  });
  session.on("error", () => {}); // failures show up on the streams under test
  const closed = new Promise<void>((resolve) => session.once("close", () => resolve()));
  return { session, closed };
}

interface NodeOutcome {
  head: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  data: Buffer;
  rstCode: number | undefined;
  error: Error | undefined;
}

/** One request from node's client; resolves at the stream's 'close'. */
function send(
  session: http2.ClientHttp2Session,
  path: string,
  options: { body?: Buffer; end?: boolean; headers?: http2.OutgoingHttpHeaders } = {},
) {
  const req = session.request({ ":method": "POST", ":path": path, ...options.headers });
  const out: NodeOutcome = {
    head: {},
    trailers: {},
    data: Buffer.alloc(0),
    rstCode: undefined,
    error: undefined,
  };
  const chunks: Buffer[] = [];
  const done = new Promise<NodeOutcome>((resolve) => {
    req.on("response", (h) => (out.head = h));
    req.on("trailers", (t) => (out.trailers = t));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", (e) => (out.error = e));
    req.on("close", () => {
      out.data = Buffer.concat(chunks);
      out.rstCode = req.rstCode;
      resolve(out);
    });
  });
  if (options.body) req.write(options.body);
  if (options.end !== false) req.end();
  return { req, done };
}

describe("node:http2 client ↔ our server", () => {
  it("answers with headers, body and trailers", async () => {
    const c = nodeClient(tmp.path("ours"));
    const r = await within(5000, "the response", send(c.session, "/echo", { body: Buffer.from("hi") }).done);
    expect(r.error).toBeUndefined();
    expect(r.head).toMatchObject({ ":status": 200, "x-head": "h" });
    expect(r.data.toString()).toBe("hi");
    expect(r.trailers).toMatchObject({ "grpc-status": "0", "x-sha256": sha256(Buffer.from("hi")) });
    c.session.close();
    await within(5000, "the session to close", c.closed);
  });

  it.each([
    ["default windows", "ours"],
    ["64 KiB windows of ours", "small"],
  ])("moves 5 MiB each way intact under flow control (%s)", async (_, name) => {
    const c = nodeClient(tmp.path(name));
    const upload = pattern(5 * 1024 * 1024, 5);
    const [up, down] = await within(
      20_000,
      "both 5 MiB transfers",
      Promise.all([send(c.session, "/echo", { body: upload }).done, send(c.session, "/download").done]),
    );
    expect([up.error, down.error]).toEqual([undefined, undefined]);
    expect(up.trailers["x-sha256"]).toBe(sha256(upload));
    expect(sha256(up.data)).toBe(sha256(upload));
    expect(down.data.byteLength).toBe(DOWNLOAD.byteLength);
    expect(sha256(down.data)).toBe(sha256(DOWNLOAD));
    c.session.close();
    await within(5000, "the session to close", c.closed);
  });

  it("serves 200 concurrent streams on one connection", async () => {
    const c = nodeClient(tmp.path("ours"));
    const calls = Array.from(
      { length: 200 },
      (_, i) =>
        send(c.session, "/echo", { body: pattern(500 + i, i + 1), headers: { "x-id": String(i) } }).done,
    );
    const outcomes = await within(10_000, "200 responses", Promise.all(calls));
    outcomes.forEach((r, i) => {
      expect(r.error).toBeUndefined();
      expect(r.data.equals(pattern(500 + i, i + 1))).toBe(true);
      expect(r.trailers["x-id"]).toBe(String(i));
    });
    c.session.close();
    await within(5000, "the session to close", c.closed);
  });

  it("reads node's CONTINUATION frames and splits its own header block over 16 KiB", async () => {
    const before = received.length;
    const c = nodeClient(tmp.path("ours"));
    const big = pattern(40_000, 13).toString("base64");
    const r = await within(
      5000,
      "the response",
      send(c.session, "/headers", { headers: { "x-big": big } }).done,
    );
    expect(r.error).toBeUndefined();
    // node accepted our block (frames over 16 KiB would be a FRAME_SIZE_ERROR) and it is intact.
    expect(r.head["x-big"]).toBe(big);
    const frames = received[before] ?? [];
    expect(frames.filter((f) => f.type === FrameType.CONTINUATION).length).toBeGreaterThan(0);
    c.session.close();
    await within(5000, "the session to close", c.closed);
  });

  it("reports a client RST_STREAM as onClose(CANCEL)", async () => {
    held.length = 0;
    const c = nodeClient(tmp.path("ours"));
    const { req } = send(c.session, "/hold", { end: false, body: Buffer.from("x") });
    await waitFor("the held stream", () => held.length === 1);
    req.close(NGHTTP2_CANCEL);
    const rec = await within(5000, "our stream to close", (held[0] as (typeof held)[number]).closed);
    expect(rec.code).toBe(H2Code.CANCEL);
    expect(rec.cause).toBeUndefined();
    c.session.close();
    await within(5000, "the session to close", c.closed);
  });

  it("close() sends GOAWAY and lets in-flight streams finish", async () => {
    held.length = 0;
    const before = server.closes.length;
    const c = nodeClient(tmp.path("ours"));
    const calls = [1, 2, 3].map(() => send(c.session, "/hold").done);
    await waitFor("three held streams", () => held.length === 3);
    const goaway = new Promise<[number, number]>((resolve) =>
      c.session.once("goaway", (code, last) => resolve([code, last])),
    );
    for (const conn of server.connections) conn.close();
    expect(await within(5000, "node to see GOAWAY", goaway)).toEqual([NGHTTP2_NO_ERROR, 5]);
    // No new streams on a session that got GOAWAY.
    expect(() => c.session.request({ ":path": "/echo" })).toThrow();
    for (const { stream } of held) {
      stream.sendHeaders([":status", "200"]);
      stream.sendData(Buffer.from(`done ${stream.id}`));
      stream.sendHeaders(["grpc-status", "0"], true);
    }
    const outcomes = await within(5000, "the in-flight responses", Promise.all(calls));
    outcomes.forEach((r, i) => {
      expect(r.error).toBeUndefined();
      expect(r.data.toString()).toBe(`done ${2 * i + 1}`);
      expect(r.trailers["grpc-status"]).toBe("0");
    });
    await within(5000, "the session to close", c.closed);
    expect(
      await within(5000, "our connection to close", server.closes[before] as Promise<unknown>),
    ).toBeUndefined();
  });

  it("answering before the request ended resets with NO_ERROR; the client still gets everything", async () => {
    const c = nodeClient(tmp.path("ours"));
    // Node's stream only closes if our RST_STREAM ends the request side it never ended itself.
    const { done } = send(c.session, "/early", { end: false, body: Buffer.from("never ends") });
    const r = await within(10_000, "the early answer", done);
    expect(r.error).toBeUndefined();
    expect(r.rstCode).toBe(NGHTTP2_NO_ERROR);
    expect(r.head[":status"]).toBe(200);
    expect(sha256(r.data)).toBe(sha256(DOWNLOAD));
    expect(r.trailers["grpc-status"]).toBe("0");
    c.session.close();
    await within(5000, "the session to close", c.closed);
  });
});
