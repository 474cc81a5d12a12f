// gRPC over our HTTP/2 layer end to end: createPluginTransport (client) against startGrpcServer
// (server), with Connect clients and handlers on top: streaming backpressure, cancellation, deadlines,
// lost and closed connections, reconnecting, and AutoMTLS.
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync, writeFileSync } from "node:fs";
import { Code, ConnectError, createClient, type Interceptor, type ServiceImpl } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { GRPCBroker } from "../../gen/plugin/grpc_broker_pb.js";
import { GRPCStdio, StdioData_Channel } from "../../gen/plugin/grpc_stdio_pb.js";
import { createPluginTransport, type PluginTransportOptions } from "../client-transport.js";
import { type GrpcServer, type GrpcServerOptions, startGrpcServer } from "../grpc-server.js";
import { createCertificate } from "../mtls.js";
import { openSockets, pattern, socketDir, waitFor, within } from "./test-support/peers.js";

const tmp = socketDir("pw-h2g-");
const MESSAGES = 10_000;
const MESSAGE_BYTES = 4096;
/** Handler signals of the calls that wait, in arrival order. */
const signals: AbortSignal[] = [];
/** Messages StreamStdio's handler has produced: it can only advance when the stream can take more. */
let produced = 0;
/** Messages the client's request generator has yielded, and how far the handler fell behind it. */
let sent = 0;
let maxBehind = 0;
let baseline = 0;

const health: ServiceImpl<typeof Health> = {
  async check(req, ctx) {
    if (req.service === "wait") {
      signals.push(ctx.signal);
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
    }
    return { status: Status.SERVING };
  },
  list: async () => ({}),
  async *watch(_req, ctx) {
    signals.push(ctx.signal);
    yield { status: Status.SERVING };
    await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
  },
};

const stdio: ServiceImpl<typeof GRPCStdio> = {
  async *streamStdio() {
    produced = 0;
    for (let i = 0; i < MESSAGES; i++) {
      const data = Buffer.alloc(MESSAGE_BYTES, i & 0xff);
      data.writeUInt32BE(i, 0);
      produced++;
      yield { channel: StdioData_Channel.STDOUT, data };
    }
  },
};

const broker: ServiceImpl<typeof GRPCBroker> = {
  async *startStream(requests) {
    let read = 0;
    for await (const req of requests) {
      if (req.network === "echo") {
        yield req;
        continue;
      }
      expect(req.serviceId).toBe(read);
      read++;
      maxBehind = Math.max(maxBehind, sent - read);
      await new Promise((resolve) => setImmediate(resolve)); // a slow reader
    }
    yield { serviceId: read };
  },
};

/** Requests for StartStream: MESSAGES of ~4 KiB, counted as the transport pulls them. */
async function* connInfos() {
  for (let i = 0; i < MESSAGES; i++) {
    sent++;
    yield { serviceId: i, network: "unix", address: "x".repeat(MESSAGE_BYTES) };
  }
}

/**
 * A server on `name` with the test services; closed by the caller. `connectHandlers` serves them with
 * an interceptor, which takes them off the lean paths onto Connect's own handler code.
 */
function serve(
  name: string,
  options: Partial<GrpcServerOptions> = {},
  connectHandlers = false,
): Promise<GrpcServer> {
  const passThrough: Interceptor = (next) => next;
  const opts = connectHandlers ? { interceptors: [passThrough] } : undefined;
  return startGrpcServer({
    routes: (r) =>
      r.service(Health, health, opts).service(GRPCStdio, stdio, opts).service(GRPCBroker, broker, opts),
    listen: { unix: tmp.path(name) },
    ...options,
  });
}

function dial(name: string, options: Partial<PluginTransportOptions> = {}) {
  const pt = createPluginTransport({ address: { network: "unix", address: tmp.path(name) }, ...options });
  return {
    pt,
    health: createClient(Health, pt.transport),
    stdio: createClient(GRPCStdio, pt.transport),
    broker: createClient(GRPCBroker, pt.transport),
  };
}

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return "resolved";
  } catch (e) {
    return ConnectError.from(e).code;
  }
};

let shared: GrpcServer;

beforeAll(async () => {
  baseline = openSockets();
  shared = await serve("shared");
});

afterAll(async () => {
  await shared.close(0);
  tmp.remove();
  await waitFor("every socket to close", () => openSockets() === baseline);
});

describe("gRPC over our HTTP/2 layer", () => {
  it("streams 10k messages to a slow consumer with bounded buffering (backpressure)", async () => {
    const c = dial("shared");
    let consumed = 0;
    let maxAhead = 0;
    for await (const msg of c.stdio.streamStdio({})) {
      expect(Buffer.from(msg.data).readUInt32BE(0)).toBe(consumed);
      consumed++;
      maxAhead = Math.max(maxAhead, produced - consumed);
      // A slow reader: one message per event-loop turn, while the producer could run freely.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(consumed).toBe(MESSAGES);
    // At most the client's 4 MiB stream window (1024 messages) plus a few in the pipelines.
    expect(maxAhead).toBeLessThan(1100);
    c.pt.close();
  });

  it.each([
    ["lean", false],
    ["Connect's handler", true],
  ])(
    "holds a fast client stream back while the %s path reads slowly (backpressure)",
    async (_, viaConnect) => {
      const server = viaConnect ? await serve("bidi-connect", {}, true) : shared;
      const c = dial(viaConnect ? "bidi-connect" : "shared");
      sent = 0;
      maxBehind = 0;
      try {
        const answers = [];
        for await (const res of c.broker.startStream(connInfos())) answers.push(res.serviceId);
        expect(answers).toEqual([MESSAGES]);
        // At most the server's 4 MiB stream window (~1000 messages) plus a few in the pipelines.
        expect(maxBehind).toBeLessThan(1100);
      } finally {
        c.pt.close();
        if (viaConnect) await server.close(0);
      }
    },
  );

  it.each([
    ["lean", false],
    ["Connect's handler", true],
  ])("streams messages larger than the windows both ways (%s path)", async (_, viaConnect) => {
    const server = viaConnect ? await serve("big-connect", {}, true) : shared;
    const c = dial(viaConnect ? "big-connect" : "shared");
    // 6 MiB: more than the 4 MiB stream window a held reader returns only as it reads.
    const address = pattern(4.5 * 1024 * 1024, 17).toString("base64");
    try {
      const echoed = [];
      const requests = async function* () {
        yield { network: "echo", address };
        yield { network: "echo", address: "2" };
      };
      for await (const res of c.broker.startStream(requests())) {
        echoed.push(res.address);
      }
      expect(echoed.map((a) => a.length)).toEqual([address.length, 1, 0]); // then the count message
      expect(echoed[0] === address).toBe(true);
    } finally {
      c.pt.close();
      if (viaConnect) await server.close(0);
    }
  });

  it("cancels a stream mid-way via AbortSignal: the handler's signal aborts", async () => {
    signals.length = 0;
    const c = dial("shared");
    const abort = new AbortController();
    const seen: Status[] = [];
    const run = (async () => {
      for await (const res of c.health.watch({}, { signal: abort.signal })) {
        seen.push(res.status);
        abort.abort();
      }
    })();
    expect(await within(5000, "the cancelled stream", codeOf(run))).toBe(Code.Canceled);
    expect(seen).toEqual([Status.SERVING]);
    await waitFor("the handler's signal to abort", () => signals[0]?.aborted === true);
    c.pt.close();
  });

  it("ends unary and streaming calls at their deadline with DEADLINE_EXCEEDED", async () => {
    signals.length = 0;
    const c = dial("shared");
    const unary = codeOf(c.health.check({ service: "wait" }, { timeoutMs: 100 }));
    const stream = codeOf(
      (async () => {
        for await (const _ of c.health.watch({}, { timeoutMs: 100 })) {
          // the first message arrives; the call then runs into its deadline
        }
      })(),
    );
    expect(await within(5000, "both deadlines", Promise.all([unary, stream]))).toEqual([
      Code.DeadlineExceeded,
      Code.DeadlineExceeded,
    ]);
    await waitFor(
      "both handlers' signals to abort",
      () => signals.length === 2 && signals.every((s) => s.aborted),
    );
    c.pt.close();
  });

  it("fails calls with UNAVAILABLE when the connection is lost mid-call", async () => {
    signals.length = 0;
    const server = await serve("lost");
    const c = dial("lost");
    const unary = codeOf(c.health.check({ service: "wait" }));
    const stream = codeOf(
      (async () => {
        for await (const _ of c.health.watch({})) {
          // keeps reading until the connection goes
        }
      })(),
    );
    await waitFor("both calls to reach the server", () => signals.length === 2);
    await server.close(0); // GOAWAY, then the sockets are destroyed under the calls
    expect(await within(5000, "both failures", Promise.all([unary, stream]))).toEqual([
      Code.Unavailable,
      Code.Unavailable,
    ]);
    c.pt.close();
  });

  it("reconnects after the server restarts on the same socket path", async () => {
    const first = await serve("restart");
    const c = dial("restart");
    expect((await c.health.check({})).status).toBe(Status.SERVING);
    await first.close();
    const second = await serve("restart");
    try {
      expect((await c.health.check({})).status).toBe(Status.SERVING);
      expect(second.sessionCount).toBe(1);
    } finally {
      c.pt.close();
      await second.close(0);
    }
  });

  it("socket files: removed on close; a stale one is replaced; a live one or a plain file is not", async () => {
    const server = await serve("paths");
    // Live: another server on the same path fails to bind and leaves the first serving.
    await expect(serve("paths")).rejects.toMatchObject({ code: "EADDRINUSE" });
    const c = dial("paths");
    expect((await c.health.check({})).status).toBe(Status.SERVING);
    c.pt.close();
    await server.close(0);
    expect(existsSync(tmp.path("paths"))).toBe(false);

    // Stale: a socket file nobody accepts on (its listener was killed before it could close).
    const died = spawnSync(process.execPath, [
      "-e",
      `require("node:net").createServer().listen(${JSON.stringify(tmp.path("stale"))}, () => process.kill(process.pid, "SIGKILL"))`,
    ]);
    expect(died.signal).toBe("SIGKILL");
    expect(lstatSync(tmp.path("stale")).isSocket()).toBe(true);
    const replaced = await serve("stale");
    const s = dial("stale");
    expect((await s.health.check({})).status).toBe(Status.SERVING);
    s.pt.close();
    await replaced.close(0);

    writeFileSync(tmp.path("file"), "not a socket");
    await expect(serve("file")).rejects.toMatchObject({ code: "EADDRINUSE" });
    expect(readFileSync(tmp.path("file"), "utf8")).toBe("not a socket");
  });

  it("close() of the transport fails in-flight and later calls with UNAVAILABLE", async () => {
    signals.length = 0;
    const c = dial("shared");
    const inFlight = codeOf(c.health.check({ service: "wait" }));
    await waitFor("the call to reach the server", () => signals.length === 1);
    c.pt.close();
    expect(await within(5000, "the in-flight call", inFlight)).toBe(Code.Unavailable);
    expect(await codeOf(c.health.check({}))).toBe(Code.Unavailable);
    expect(await codeOf(c.health.watch({})[Symbol.asyncIterator]().next())).toBe(Code.Unavailable);
    await waitFor("the server-side call to be cancelled", () => signals[0]?.aborted === true);
  });

  it("round-trips over AutoMTLS (mutual TLS, ALPN h2)", async () => {
    const [serverId, clientId] = await Promise.all([createCertificate(), createCertificate()]);
    const server = await serve("tls", {
      tls: { certPem: serverId.certPem, keyPem: serverId.keyPem, peerCertPem: clientId.certPem },
    });
    const c = dial("tls", {
      tls: { certPem: clientId.certPem, keyPem: clientId.keyPem, peerCertPem: serverId.certPem },
    });
    try {
      expect((await c.health.check({})).status).toBe(Status.SERVING);
      let count = 0;
      for await (const msg of c.stdio.streamStdio({})) {
        expect(Buffer.from(msg.data).readUInt32BE(0)).toBe(count++);
      }
      expect(count).toBe(MESSAGES);
      // A client with a certificate the server does not trust gets nothing.
      const stranger = await createCertificate();
      const bad = dial("tls", {
        tls: { certPem: stranger.certPem, keyPem: stranger.keyPem, peerCertPem: serverId.certPem },
      });
      expect(await codeOf(bad.health.check({}))).toBe(Code.Unavailable);
      bad.pt.close();
    } finally {
      c.pt.close();
      await server.close(0);
    }
  });
});
