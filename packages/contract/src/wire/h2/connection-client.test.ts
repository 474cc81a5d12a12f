// Our HTTP/2 client role (H2Connection over net.connect to a unix socket) against node:http2's server
// (nghttp2): an independent implementation, so framing, HPACK, flow control, CONTINUATION, RST_STREAM,
// GOAWAY and PING are checked against what a real peer sends and accepts.
import * as http2 from "node:http2";
import type * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FrameType, H2Code, H2ConnectionLost } from "./frame.js";
import {
  dialClient,
  fieldObject,
  openSockets,
  pattern,
  post,
  record,
  sha256,
  socketDir,
  waitFor,
  within,
} from "./test-support/peers.js";
import { sniffFrames } from "./test-support/raw-peer.js";

const { NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR } = http2.constants;
const tmp = socketDir("pw-h2c-");
const path = tmp.path("node-server");
const sockets = new Set<net.Socket>();
const sessions = new Set<http2.ServerHttp2Session>();
/** Streams of "/hold", in arrival order, for tests that act on in-flight streams. */
const held: http2.ServerHttp2Stream[] = [];
const DOWNLOAD = pattern(5 * 1024 * 1024, 7);
let baseline = 0;
let server: http2.Http2Server;

/** Reads a request body fully. */
const body = (stream: http2.ServerHttp2Stream) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });

async function route(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) {
  switch (headers[":path"]) {
    case "/echo": {
      // Body back, its hash and a request header in the trailers.
      const got = await body(stream);
      stream.respond({ ":status": 200, "x-head": "h" }, { waitForTrailers: true });
      stream.on("wantTrailers", () =>
        stream.sendTrailers({ "grpc-status": "0", "x-sha256": sha256(got), "x-id": String(headers["x-id"]) }),
      );
      stream.end(got);
      return;
    }
    case "/trailers-only":
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", "grpc-status": "12" },
        { endStream: true },
      );
      return;
    case "/download":
      await body(stream);
      stream.respond({ ":status": 200 });
      stream.end(DOWNLOAD);
      return;
    case "/headers":
      await body(stream);
      stream.respond({ ":status": 200, "x-big": String(headers["x-big"]) }, { endStream: true });
      return;
    case "/reset":
      // More than the client's 64 KiB window: the reset goes out while DATA is still held back.
      stream.respond({ ":status": 200 });
      stream.write(DOWNLOAD);
      stream.close(NGHTTP2_INTERNAL_ERROR);
      return;
    case "/hold":
      held.push(stream);
      return;
  }
}

beforeAll(async () => {
  baseline = openSockets();
  // A big header list is allowed both ways; everything else is nghttp2's default (64 KiB windows).
  server = http2.createServer({
    settings: { maxHeaderListSize: 1 << 20 },
    maxSendHeaderBlockLength: 1 << 20,
  });
  server.on("connection", (s: net.Socket) => sockets.add(s));
  server.on("session", (s) => sessions.add(s));
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {}); // resets are what some tests are about
    void route(stream, headers);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
});

afterAll(async () => {
  // Everything was closed by the tests; this only keeps a failed test from hanging the file.
  for (const s of sessions) s.destroy();
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  tmp.remove();
  await waitFor("every socket to close", () => openSockets() === baseline);
});

/** A client for one test; `done()` closes it gracefully and checks it ended without a failure. */
function client(options: Parameters<typeof dialClient>[1] = {}) {
  const c = dialClient(path, options);
  return {
    ...c,
    async done() {
      c.conn.close();
      expect(await within(5000, "the client connection to close", c.closed)).toBeUndefined();
    },
  };
}

describe("our client ↔ node:http2 server", () => {
  it("sends a request and reads response headers, body and trailers", async () => {
    const c = client();
    const s = c.conn.request(post("/echo", "x-id", "42"));
    const done = record(s).closed;
    s.sendData(Buffer.from("hello "));
    s.sendData(Buffer.from("world"), true);
    const rec = await within(5000, "the response", done);
    expect(rec.code).toBeUndefined();
    expect(rec.data.toString()).toBe("hello world");
    const [head, trailers] = rec.blocks.map((b) => ({ ...fieldObject(b.fields), end: b.end }));
    expect(head).toMatchObject({ ":status": "200", "x-head": "h", end: false });
    expect(trailers).toMatchObject({
      "grpc-status": "0",
      "x-sha256": sha256(Buffer.from("hello world")),
      "x-id": "42",
      end: true,
    });
    expect(c.conn.streamCount).toBe(0);
    await c.done();
  });

  it("reads a trailers-only response (one HEADERS with END_STREAM)", async () => {
    const c = client();
    const { closed } = record(c.conn.request(post("/trailers-only"), true));
    const rec = await within(5000, "the response", closed);
    expect(rec.code).toBeUndefined();
    expect(rec.blocks).toHaveLength(1);
    expect(rec.blocks[0]?.end).toBe(true);
    expect(fieldObject(rec.blocks[0]?.fields ?? [])).toMatchObject({ ":status": "200", "grpc-status": "12" });
    expect(rec.data.byteLength).toBe(0);
    await c.done();
  });

  // nghttp2 advertises 64 KiB windows and only grows them as node reads: a 5 MiB body needs dozens of
  // WINDOW_UPDATE round trips. The small-window variant makes our own receive side do the same.
  it.each([
    ["default windows", {}],
    ["64 KiB windows of ours", { streamWindow: 65_535, connectionWindow: 65_535 }],
  ])("moves 5 MiB each way intact under flow control (%s)", async (_, windows) => {
    const c = client(windows);
    const upload = pattern(5 * 1024 * 1024, 3);
    const up = c.conn.request(post("/echo", "x-id", "up"));
    const upDone = record(up).closed;
    up.sendData(upload, true);
    const down = record(c.conn.request(post("/download"), true)).closed;
    const [u, d] = await within(20_000, "both 5 MiB transfers", Promise.all([upDone, down]));
    expect(u.code).toBeUndefined();
    expect(fieldObject(u.blocks[1]?.fields ?? [])["x-sha256"]).toBe(sha256(upload));
    expect(sha256(u.data)).toBe(sha256(upload));
    expect(d.code).toBeUndefined();
    expect(d.data.byteLength).toBe(DOWNLOAD.byteLength);
    expect(sha256(d.data)).toBe(sha256(DOWNLOAD));
    await c.done();
  });

  it("runs 200 concurrent streams on one connection", async () => {
    const c = client();
    const calls = Array.from({ length: 200 }, (_, i) => {
      const s = c.conn.request(post("/echo", "x-id", String(i)));
      const done = record(s).closed;
      s.sendData(pattern(1000 + i, i + 1), true);
      return done;
    });
    expect(c.conn.streamCount).toBe(200);
    const recs = await within(10_000, "200 responses", Promise.all(calls));
    recs.forEach((rec, i) => {
      expect(rec.code).toBeUndefined();
      expect(rec.data.equals(pattern(1000 + i, i + 1))).toBe(true);
      expect(fieldObject(rec.blocks[1]?.fields ?? [])["x-id"]).toBe(String(i));
    });
    expect(c.conn.streamCount).toBe(0);
    await c.done();
  });

  it("sends a header block over 16 KiB as CONTINUATION frames and reads node's", async () => {
    const c = client();
    const seen = sniffFrames(c.socket);
    // Random base64 barely compresses: the block is well over the 16 KiB frame size either way.
    const big = pattern(40_000, 9).toString("base64");
    const { closed } = record(c.conn.request(post("/headers", "x-big", big), true));
    const rec = await within(5000, "the response", closed);
    expect(rec.code).toBeUndefined();
    // node received our split block intact (it echoes the value), and split its own.
    expect(fieldObject(rec.blocks[0]?.fields ?? [])["x-big"]).toBe(big);
    const continuations = seen.filter((f) => f.type === FrameType.CONTINUATION && f.streamId === 1);
    expect(continuations.length).toBeGreaterThan(0);
    await c.done();
  });

  it("reports a server RST_STREAM mid-response as onClose(code)", async () => {
    const c = client({ streamWindow: 65_535 });
    const { closed } = record(c.conn.request(post("/reset"), true));
    const rec = await within(5000, "the reset", closed);
    expect(rec.code).toBe(H2Code.INTERNAL_ERROR);
    expect(rec.cause).toBeUndefined();
    expect(rec.blocks.map((b) => b.end)).toEqual([false]); // headers, no END_STREAM ever
    expect(fieldObject(rec.blocks[0]?.fields ?? [])[":status"]).toBe("200");
    expect(rec.data.byteLength).toBeLessThanOrEqual(65_535);
    expect(rec.data.equals(DOWNLOAD.subarray(0, rec.data.byteLength))).toBe(true);
    await c.done();
  });

  it("on GOAWAY finishes streams up to its last id and refuses the later ones", async () => {
    held.length = 0;
    const c = client();
    const calls = [1, 2, 3, 4].map(() => record(c.conn.request(post("/hold"), true)).closed);
    await expect.poll(() => held.length, { timeout: 5000 }).toBe(4);
    const session = held[0]?.session as http2.ServerHttp2Session;
    session.goaway(NGHTTP2_NO_ERROR, 3);
    // Streams 5 and 7 were never processed: refused, so a caller may retry them elsewhere.
    const [r5, r7] = await within(5000, "streams 5 and 7 refused", Promise.all([calls[2], calls[3]]));
    expect([r5?.code, r7?.code]).toEqual([H2Code.REFUSED_STREAM, H2Code.REFUSED_STREAM]);
    expect(c.conn.goingAway).toBe(true);
    expect(() => c.conn.request(post("/hold"))).toThrow(/closing/);
    for (const s of held.slice(0, 2)) s.respond({ ":status": 200 }, { endStream: true });
    const [r1, r3] = await within(5000, "streams 1 and 3", Promise.all([calls[0], calls[1]]));
    expect([r1?.code, r3?.code]).toEqual([undefined, undefined]);
    expect([r1?.blocks[0]?.end, r3?.blocks[0]?.end]).toEqual([true, true]);
    // Nothing left in flight: the connection ends by itself, cleanly (node keeps 5 and 7 open: it
    // never learns we dropped them, so our side must not wait for node to close first).
    expect(await within(5000, "the connection to end after GOAWAY", c.closed)).toBeUndefined();
    for (const s of held.slice(2)) s.close();
  });

  it("fails every open stream with a cause when the server's socket is destroyed", async () => {
    held.length = 0;
    const before = new Set(sockets);
    const c = client();
    const calls = [1, 2, 3].map(() => record(c.conn.request(post("/hold"), true)).closed);
    await expect.poll(() => held.length, { timeout: 5000 }).toBe(3);
    for (const s of sockets) if (!before.has(s)) s.destroy();
    const recs = await within(5000, "every stream to close", Promise.all(calls));
    for (const rec of recs) {
      expect(rec.code).toBe(H2Code.CANCEL);
      expect(rec.cause).toBeInstanceOf(H2ConnectionLost);
    }
    expect(await within(5000, "the connection to report its loss", c.closed)).toBeInstanceOf(Error);
    expect(c.conn.closed).toBe(true);
  });

  it("acknowledges the server's PING with the same payload", async () => {
    const before = new Set(sessions);
    const c = client();
    const { closed } = record(c.conn.request(post("/trailers-only"), true));
    await within(5000, "a response", closed);
    const session = [...sessions].find((s) => !before.has(s));
    const payload = Buffer.from("8 bytes!");
    const echoed = await within(
      5000,
      "the PING ack",
      new Promise<Buffer>((resolve, reject) => {
        session?.ping(payload, (err, _ms, ack) => (err ? reject(err) : resolve(ack)));
      }),
    );
    expect(echoed.equals(payload)).toBe(true);
    await c.done();
  });
});
