// The lean unary server path (unary-handler.ts) against Connect's own adapter, differentially: the
// same service is served twice, once lean and once forced through Connect's own handler (a router
// option the lean path does not take), and real gRPC clients (connect-node's generic gRPC transport,
// raw node:http2 for malformed requests) must see identical answers: messages, codes, messages,
// metadata. Plus what Connect leaves to the client: grpc-timeout ends a call server-side.
import { mkdtempSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor, type ServiceImpl } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as Status,
} from "../gen/grpc/health/v1/health_pb.js";
import { type GrpcServer, startGrpcServer } from "./grpc-server.js";

const dir = mkdtempSync(join(tmpdir(), "pw-unary-"));
const seenSignals: AbortSignal[] = [];

// Behaviour picked by the request's `service` field.
const impl: ServiceImpl<typeof Health> = {
  async check(req, ctx) {
    seenSignals.push(ctx.signal);
    switch (req.service) {
      case "ok":
        return { status: Status.SERVING };
      case "meta":
        ctx.responseHeader.set("x-head", "h");
        ctx.responseTrailer.set("x-trail", "t");
        return create(HealthCheckResponseSchema, { status: Status.NOT_SERVING });
      case "connect-error":
        throw new ConnectError("nope: 100% ünïcode\nline", Code.NotFound, { "x-err": "e" });
      case "plain-error":
        throw new Error("boom");
      case "value":
        return { status: ctx.values.get(key) === "set" ? Status.SERVING : Status.UNKNOWN };
      case "wait":
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
        return { status: Status.SERVING };
      default:
        return { status: Status.SERVICE_UNKNOWN };
    }
  },
  list: async () => ({}),
  async *watch() {},
};
const key = { id: Symbol("k"), defaultValue: undefined as string | undefined };
const interceptor: Interceptor = (next) => async (req) => {
  req.contextValues.set(key, "set");
  return await next(req);
};

let lean: GrpcServer;
let viaConnect: GrpcServer;

beforeAll(async () => {
  lean = await startGrpcServer({
    routes: (r) => r.service(Health, impl, { interceptors: [interceptor] }),
    listen: { unix: join(dir, "lean") },
  });
  viaConnect = await startGrpcServer({
    routes: (r) => r.service(Health, impl, { interceptors: [interceptor], jsonOptions: {} }),
    listen: { unix: join(dir, "connect") },
  });
});

afterAll(async () => {
  await Promise.all([lean.close(0), viaConnect.close(0)]);
  rmSync(dir, { recursive: true, force: true });
});

function client(server: GrpcServer) {
  const path = server.address.address;
  const sessionManager = new Http2SessionManager("http://localhost", {}, { path } as never);
  return {
    // No compression offered: the lean path always answers uncompressed (a server's choice in gRPC),
    // where Connect's adapter would announce gzip.
    health: createClient(
      Health,
      createGrpcTransport({ baseUrl: "http://localhost", sessionManager, acceptCompression: [] }),
    ),
    close: () => sessionManager.abort(),
  };
}

async function outcome(server: GrpcServer, service: string) {
  const { health, close } = client(server);
  const header: Record<string, string> = {};
  const trailer: Record<string, string> = {};
  try {
    const res = await health.check(
      { service },
      {
        onHeader: (h) => Object.assign(header, Object.fromEntries([...h].filter(([k]) => k !== "date"))),
        onTrailer: (t) => Object.assign(trailer, Object.fromEntries(t)),
      },
    );
    return { status: res.status, header, trailer };
  } catch (e) {
    const err = ConnectError.from(e);
    const meta = Object.fromEntries([...err.metadata].filter(([k]) => k !== "date"));
    return { code: err.code, message: err.rawMessage, meta };
  } finally {
    close();
  }
}

/** One raw gRPC request: what a peer that does not use Connect sees. */
function raw(server: GrpcServer, body: Buffer, headers: http2.OutgoingHttpHeaders = {}) {
  return new Promise<{ head: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders; data: Buffer }>(
    (resolve, reject) => {
      const session = http2.connect("http://unused", { path: server.address.address } as never);
      session.on("error", reject);
      const stream = session.request({
        ":method": "POST",
        ":path": "/grpc.health.v1.Health/Check",
        "content-type": "application/grpc",
        te: "trailers",
        ...headers,
      });
      let head: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on("response", (h) => (head = h));
      stream.on("trailers", (t) => (trailers = t));
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("close", () => {
        session.close();
        resolve({ head, trailers, data: Buffer.concat(chunks) });
      });
      stream.end(body);
    },
  );
}

const frame = (service: string, flags = 0) => {
  const msg = toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service }));
  const out = Buffer.alloc(5 + msg.byteLength);
  out[0] = flags;
  out.writeUInt32BE(msg.byteLength, 1);
  out.set(msg, 5);
  return out;
};

const status = (r: Awaited<ReturnType<typeof raw>>) => ({
  status: r.head[":status"],
  grpcStatus: r.trailers["grpc-status"] ?? r.head["grpc-status"],
  message: r.trailers["grpc-message"] ?? r.head["grpc-message"],
  bytes: r.data.byteLength,
});

describe("lean unary server path", () => {
  it.each(["ok", "meta", "connect-error", "plain-error", "value", "other"])(
    "answers %s exactly as Connect's adapter does",
    async (service) => {
      const [a, b] = [await outcome(lean, service), await outcome(viaConnect, service)];
      expect(a).toEqual(b);
      if (service === "connect-error")
        expect(a).toMatchObject({ code: Code.NotFound, meta: { "x-err": "e" } });
    },
  );

  it.each([
    ["missing message", Buffer.alloc(0)],
    ["incomplete envelope", frame("ok").subarray(0, 6)],
    ["extra message", Buffer.concat([frame("ok"), frame("ok")])],
    ["compressed flag", frame("ok", 1)],
    ["unparseable message", Buffer.from([0, 0, 0, 0, 2, 0xff, 0xff])],
  ])("rejects a malformed request (%s) as Connect does", async (_, body) => {
    const [a, b] = [status(await raw(lean, body)), status(await raw(viaConnect, body))];
    expect(a.grpcStatus).not.toBe("0");
    expect(a).toEqual(b);
  });

  it("ends a call at its grpc-timeout with DEADLINE_EXCEEDED and aborts the handler's signal", async () => {
    seenSignals.length = 0;
    const r = await raw(lean, frame("wait"), { "grpc-timeout": "50m" });
    expect(r.trailers["grpc-status"]).toBe(String(Code.DeadlineExceeded));
    expect(seenSignals[0]?.aborted).toBe(true);
    expect(seenSignals[0]?.reason).toMatchObject({ code: Code.DeadlineExceeded });
  });

  it("aborts the handler's signal when the peer cancels", async () => {
    seenSignals.length = 0;
    const { health, close } = client(lean);
    const abort = new AbortController();
    const call = health.check({ service: "wait" }, { signal: abort.signal });
    await expect.poll(() => seenSignals.length, { timeout: 2000 }).toBe(1);
    abort.abort();
    await expect(call).rejects.toMatchObject({ code: Code.Canceled });
    await expect.poll(() => seenSignals[0]?.aborted, { timeout: 2000 }).toBe(true);
    close();
  });

  it("answers uncompressed even when gzip is offered (go-plugin peers never compress)", async () => {
    const offer = { "grpc-accept-encoding": "gzip" };
    const [a, b] = [await raw(lean, frame("ok"), offer), await raw(viaConnect, frame("ok"), offer)];
    expect([a.head["grpc-encoding"], a.trailers["grpc-status"]]).toEqual([undefined, "0"]);
    expect([b.head["grpc-encoding"], b.trailers["grpc-status"]]).toEqual([undefined, "0"]);
    expect(a.data).toEqual(b.data);
  });

  it("leaves streaming methods to Connect", async () => {
    const { health, close } = client(lean);
    const seen = [];
    for await (const res of health.watch({ service: "x" })) seen.push(res);
    expect(seen).toEqual([]);
    close();
  });
});
