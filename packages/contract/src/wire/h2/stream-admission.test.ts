// Our client against a node:http2 server that allows two concurrent streams: streams over the peer's
// SETTINGS_MAX_CONCURRENT_STREAMS wait for a slot instead of being refused (RFC 9113 §5.1.2).
import * as http2 from "node:http2";
import type * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { H2Code } from "./frame.js";
import { dialClient, pattern, post, record, socketDir, within } from "./test-support/peers.js";

const LIMIT = 2;
const tmp = socketDir("pw-h2a-");
const path = tmp.path("limited");
const sockets = new Set<net.Socket>();
let server: http2.Http2Server;
let open = 0;
let mostOpen = 0;
let seen = 0;

beforeAll(async () => {
  server = http2.createServer({ settings: { maxConcurrentStreams: LIMIT } });
  server.on("connection", (s: net.Socket) => sockets.add(s));
  server.on("stream", (stream) => {
    seen++;
    mostOpen = Math.max(mostOpen, ++open);
    stream.on("close", () => open--);
    stream.on("error", () => {});
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    // Answer a turn later, so streams overlap whenever the client lets them.
    stream.on("end", () =>
      setImmediate(() => {
        stream.respond({ ":status": 200 });
        stream.end(Buffer.concat(chunks));
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  tmp.remove();
});

/** A connection whose first exchange is done, so the server's SETTINGS (the limit) have arrived. */
async function settled() {
  const c = dialClient(path);
  const first = c.conn.request(post("/echo"));
  const done = record(first).closed;
  first.end();
  expect((await within(5000, "the first response", done)).code).toBeUndefined();
  mostOpen = 0;
  seen = 0;
  return c;
}

describe("streams over the peer's SETTINGS_MAX_CONCURRENT_STREAMS", () => {
  it("wait for a slot, keep what they sent meanwhile, and all complete", async () => {
    const c = await settled();
    const bodies = Array.from({ length: 12 }, (_, i) => pattern(3000 + i, i + 1));
    const calls = bodies.map((b) => {
      const s = c.conn.request(post("/echo"));
      const done = record(s).closed;
      s.sendData(b, true); // queued behind the HEADERS of a parked stream
      return done;
    });
    expect(c.conn.parkedCount).toBe(12 - LIMIT);
    const recs = await within(10_000, "12 responses", Promise.all(calls));
    recs.forEach((rec, i) => {
      expect(rec.code).toBeUndefined();
      expect(rec.data.equals(bodies[i] as Buffer)).toBe(true);
    });
    expect(mostOpen).toBe(LIMIT);
    expect(c.conn.parkedCount).toBe(0);
    c.conn.close();
    expect(await within(5000, "the connection to close", c.closed)).toBeUndefined();
  });

  it("a parked stream reset before it opened sends nothing; the others go on", async () => {
    const c = await settled();
    const streams = Array.from({ length: 4 }, () => c.conn.request(post("/echo")));
    const closed = streams.map((s) => record(s).closed);
    const cancelled = streams[3];
    cancelled?.reset(H2Code.CANCEL);
    for (const s of streams.slice(0, 3)) s.end();
    const recs = await within(5000, "the responses", Promise.all(closed));
    expect(recs.map((r) => r.code)).toEqual([undefined, undefined, undefined, H2Code.CANCEL]);
    // The server never heard of the cancelled stream's id (an RST_STREAM on it would be a protocol error).
    expect(seen).toBe(3);
    c.conn.close();
    expect(await within(5000, "the connection to close", c.closed)).toBeUndefined();
  });

  it("parked streams are refused (never sent, safe to retry) when the connection goes away", async () => {
    const c = await settled();
    const streams = Array.from({ length: 3 }, () => c.conn.request(post("/echo")));
    const closed = streams.map((s) => record(s).closed);
    c.conn.close(); // graceful: open streams finish, no new ones start
    for (const s of streams.slice(0, LIMIT)) s.end();
    const recs = await within(5000, "the outcomes", Promise.all(closed));
    expect(recs.map((r) => r.code)).toEqual([undefined, undefined, H2Code.REFUSED_STREAM]);
    expect(seen).toBe(LIMIT);
    expect(await within(5000, "the connection to close", c.closed)).toBeUndefined();
  });
});
