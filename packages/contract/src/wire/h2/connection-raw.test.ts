// Protocol edge cases against our server role, driven byte by byte by a raw peer: what must end the
// connection with GOAWAY and which code (RFC 9113 §5.4.1), what is only a stream error, and padding.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Flag, FrameType, H2Code } from "./frame.js";
import { HpackDecoder, HpackEncoder } from "./hpack.js";
import type { H2Stream } from "./stream.js";
import {
  fieldObject,
  listenServer,
  openSockets,
  post,
  record,
  type StreamRecord,
  socketDir,
  waitFor,
  whenRequestEnds,
  within,
} from "./test-support/peers.js";
import { RawPeer, rawFrame, u32 } from "./test-support/raw-peer.js";

const tmp = socketDir("pw-h2r-");
const path = tmp.path("ours");
const hpack = new HpackEncoder();
const held: Promise<StreamRecord>[] = [];
let baseline = 0;
let server: Awaited<ReturnType<typeof listenServer>>;

function route(stream: H2Stream, fields: string[], endStream: boolean) {
  const head = fieldObject(fields);
  if (head[":path"] === "/hold") {
    // A reader that never reads: the stream's window stays as small as the peer used it.
    stream.holdWindow = true;
    held.push(record(stream).closed);
    return;
  }
  whenRequestEnds(stream, endStream, (body) => {
    stream.sendHeaders([":status", "200", "x-got", head["x-pad"] ?? ""]);
    stream.sendData(body, true);
  });
}

beforeAll(async () => {
  baseline = openSockets();
  server = await listenServer(path, route, { streamWindow: 65_535, connectionWindow: 65_535 });
});

afterAll(async () => {
  await server.close();
  tmp.remove();
  await waitFor("every socket to close", () => openSockets() === baseline);
});

const headers = (id: number, flags: number, ...fields: string[]) =>
  rawFrame(FrameType.HEADERS, flags, id, hpack.encode(fields));

/** Connects, sends `frames` after the preface, expects GOAWAY with `code` and the socket closed. */
async function expectGoAway(code: number, ...frames: Buffer[]) {
  const peer = await RawPeer.connect(path);
  peer.send(...frames);
  const goAway = await peer.goAwayAndClose();
  expect(goAway.code).toBe(code);
  return goAway;
}

/** The connection still works: a PING is answered. */
async function expectAlive(peer: RawPeer) {
  peer.send(rawFrame(FrameType.PING, 0, 0, Buffer.from("stillup!")));
  const ack = await peer.next((f) => f.type === FrameType.PING && f.flags === Flag.ACK, "the PING ack");
  expect(ack.payload.toString()).toBe("stillup!");
}

/** Stream 1 (the held one) was reset with `code` on both sides; the connection carries on. */
async function expectStreamReset(peer: RawPeer, code: number) {
  const rst = await peer.next((f) => f.type === FrameType.RST_STREAM && f.streamId === 1, "RST_STREAM");
  expect(rst.payload.readUInt32BE(0)).toBe(code);
  expect((await within(5000, "our stream to close", held[0] as Promise<StreamRecord>)).code).toBe(code);
  await expectAlive(peer);
  await peer.destroy();
}

describe("raw frames against our server", () => {
  it("answers a bad preface with GOAWAY PROTOCOL_ERROR and closes", async () => {
    const peer = await RawPeer.connect(path, false);
    peer.send(Buffer.from("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    const goAway = await peer.goAwayAndClose();
    expect(goAway.code).toBe(H2Code.PROTOCOL_ERROR);
    expect(goAway.debug).toMatch(/preface/);
  });

  it("refuses a frame over 16384 bytes with FRAME_SIZE_ERROR", async () => {
    await expectGoAway(
      H2Code.FRAME_SIZE_ERROR,
      headers(1, Flag.END_HEADERS, ...post("/echo")),
      rawFrame(FrameType.DATA, 0, 1, Buffer.alloc(16_385)),
    );
  });

  it("refuses CONTINUATION without HEADERS with PROTOCOL_ERROR", async () => {
    await expectGoAway(
      H2Code.PROTOCOL_ERROR,
      rawFrame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, hpack.encode(post("/echo"))),
    );
  });

  it("refuses another frame inside an open header block with PROTOCOL_ERROR", async () => {
    await expectGoAway(
      H2Code.PROTOCOL_ERROR,
      headers(1, 0, ...post("/echo")), // no END_HEADERS: only CONTINUATION may follow
      rawFrame(FrameType.PING, 0, 0, Buffer.alloc(8)),
    );
  });

  it("refuses an undecodable HPACK block with COMPRESSION_ERROR", async () => {
    // Indexed field 0 does not exist (RFC 7541 §6.1), then a dynamic index far past the table.
    await expectGoAway(
      H2Code.COMPRESSION_ERROR,
      rawFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.from([0x80])),
    );
    await expectGoAway(
      H2Code.COMPRESSION_ERROR,
      rawFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.from([0xff, 0xff, 0x7f])),
    );
  });

  it("refuses a connection WINDOW_UPDATE past 2^31-1 with FLOW_CONTROL_ERROR", async () => {
    await expectGoAway(H2Code.FLOW_CONTROL_ERROR, rawFrame(FrameType.WINDOW_UPDATE, 0, 0, u32(2 ** 31 - 1)));
  });

  it("resets a stream whose WINDOW_UPDATE overflows (FLOW_CONTROL_ERROR) and keeps the connection", async () => {
    held.length = 0;
    const peer = await RawPeer.connect(path);
    peer.send(
      headers(1, Flag.END_HEADERS, ...post("/hold")),
      rawFrame(FrameType.WINDOW_UPDATE, 0, 1, u32(2 ** 31 - 1)),
    );
    await expectStreamReset(peer, H2Code.FLOW_CONTROL_ERROR);
  });

  it("refuses an even (server-initiated) stream id from a client with PROTOCOL_ERROR", async () => {
    await expectGoAway(
      H2Code.PROTOCOL_ERROR,
      headers(2, Flag.END_HEADERS | Flag.END_STREAM, ...post("/echo")),
    );
  });

  it("resets a stream sent more DATA than the window we granted (FLOW_CONTROL_ERROR)", async () => {
    held.length = 0;
    const peer = await RawPeer.connect(path);
    // Our SETTINGS grant 65535 per stream; the reader never reads, so no WINDOW_UPDATE reopens it.
    const full = [headers(1, Flag.END_HEADERS, ...post("/hold"))];
    for (let sent = 0; sent < 65_535; sent += 16_384) {
      full.push(rawFrame(FrameType.DATA, 0, 1, Buffer.alloc(Math.min(16_384, 65_535 - sent))));
    }
    peer.send(...full);
    await expectAlive(peer); // frames are handled in order: the full window was accepted
    expect(peer.frames.filter((f) => f.streamId === 1)).toEqual([]); // no WINDOW_UPDATE, no reset
    peer.send(rawFrame(FrameType.DATA, 0, 1, Buffer.alloc(1)));
    await expectStreamReset(peer, H2Code.FLOW_CONTROL_ERROR);
  });

  it("strips padding (and priority fields) from HEADERS and DATA", async () => {
    const peer = await RawPeer.connect(path);
    const block = hpack.encode(post("/echo", "x-pad", "padded headers"));
    const priority = Buffer.from([0x80, 0, 0, 0, 42]); // exclusive dependency on 0, weight 43
    peer.send(
      rawFrame(
        FrameType.HEADERS,
        Flag.END_HEADERS | Flag.PADDED | Flag.PRIORITY,
        1,
        Buffer.concat([Buffer.from([7]), priority, block, Buffer.alloc(7, 0xee)]),
      ),
      rawFrame(
        FrameType.DATA,
        Flag.PADDED,
        1,
        Buffer.concat([Buffer.from([3]), Buffer.from("abc"), Buffer.alloc(3)]),
      ),
      rawFrame(FrameType.DATA, Flag.PADDED | Flag.END_STREAM, 1, Buffer.from([0])), // pad length 0, no data
    );
    await peer.next((f) => f.streamId === 1 && (f.flags & Flag.END_STREAM) !== 0, "the response to end");
    const response = peer.frames.filter((f) => f.streamId === 1);
    const head = response.find((f) => f.type === FrameType.HEADERS);
    expect(fieldObject(new HpackDecoder().decode(head?.payload ?? Buffer.alloc(0)))).toMatchObject({
      ":status": "200",
      "x-got": "padded headers",
    });
    const body = Buffer.concat(response.filter((f) => f.type === FrameType.DATA).map((f) => f.payload));
    expect(body.toString()).toBe("abc");
    await peer.destroy();
  });

  it("refuses padding longer than the frame with PROTOCOL_ERROR", async () => {
    await expectGoAway(
      H2Code.PROTOCOL_ERROR,
      headers(1, Flag.END_HEADERS, ...post("/echo")),
      rawFrame(FrameType.DATA, Flag.PADDED, 1, Buffer.from([9, 1, 2])),
    );
  });
});
