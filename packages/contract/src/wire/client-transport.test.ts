// What the client transport puts on the wire, seen by an independent HTTP/2 server (node:http2):
// the request headers connect-es sends, and `:scheme` following the connection (RFC 9113 §8.3.1).
import { mkdtempSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, createClient } from "@connectrpc/connect";
import { afterAll, describe, expect, it, vi } from "vitest";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { createPluginTransport, type PreparedConnection, prepareConnection } from "./client-transport.js";
import { createCertificate } from "./mtls.js";
import { tlsOptions } from "./mutual-tls.js";

const dir = mkdtempSync(join(tmpdir(), "pw-ct-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  expect(() => rmSync(dir)).toThrow();
});

/** Serves one request on `server`: records its headers, answers trailers-only UNIMPLEMENTED. */
async function requestSeenBy(
  server: http2.Http2Server,
  path: string,
  tls?: Parameters<typeof createPluginTransport>[0]["tls"],
  prepared?: PreparedConnection,
) {
  const seen = new Promise<http2.IncomingHttpHeaders>((resolve) => {
    server.on("stream", (stream, headers) => {
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", "grpc-status": "12" },
        { endStream: true },
      );
      resolve(headers);
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const transport = createPluginTransport({ address: { network: "unix", address: path }, tls, prepared });
  try {
    const err = await createClient(Health, transport.transport)
      .check({ service: "x" })
      .catch((e) => e);
    expect(err).toMatchObject({ code: Code.Unimplemented });
    return await seen;
  } finally {
    transport.close();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("client transport request headers", () => {
  it("sends connect-es' gRPC headers with :scheme http on plain connections", async () => {
    const headers = await requestSeenBy(http2.createServer(), join(dir, "plain"));
    expect(headers).toMatchObject({
      ":method": "POST",
      ":scheme": "http",
      ":authority": "localhost",
      ":path": "/grpc.health.v1.Health/Check",
      "content-type": "application/grpc+proto",
      te: "trailers",
    });
  });

  it("sends :scheme https over AutoMTLS", async () => {
    const [serverId, clientId] = await Promise.all([createCertificate(), createCertificate()]);
    const server = http2.createSecureServer({
      ...tlsOptions({ certPem: serverId.certPem, keyPem: serverId.keyPem, peerCertPem: clientId.certPem }),
      requestCert: true,
    });
    const headers = await requestSeenBy(server, join(dir, "tls"), {
      certPem: clientId.certPem,
      keyPem: clientId.keyPem,
      peerCertPem: serverId.certPem,
    });
    expect(headers[":scheme"]).toBe("https");
  });
});

/** A node:http2 server answering every Health.Check with SERVING a turn after the request ends. */
async function healthServer(path: string, settings: http2.Settings, refuseAll = false) {
  let streams = 0;
  const server = http2.createServer({ settings });
  server.on("stream", (stream) => {
    streams++;
    stream.on("error", () => {});
    if (refuseAll) {
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    stream.resume();
    stream.on("end", () =>
      setImmediate(() => {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(Buffer.from([0, 0, 0, 0, 2, 8, 1])); // HealthCheckResponse{status: SERVING}
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const transport = createPluginTransport({ address: { network: "unix", address: path } });
  return {
    client: createClient(Health, transport.transport),
    streams: () => streams,
    async close() {
      transport.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("refused streams (RFC 9113 §8.7)", () => {
  it("a unary call the server refused unprocessed is sent once more: a burst before its SETTINGS all succeeds", async () => {
    // nghttp2 refuses streams over its limit even before the client has seen that limit.
    const s = await healthServer(join(dir, "limited"), { maxConcurrentStreams: 2 });
    try {
      const results = await Promise.all(Array.from({ length: 20 }, () => s.client.check({})));
      // Without the retry 18 of these fail UNAVAILABLE (REFUSED_STREAM); refused streams never reach
      // the server's handler, so it sees each call once.
      expect(results.every((r) => r.status === 1)).toBe(true);
      expect(s.streams()).toBe(20);
    } finally {
      await s.close();
    }
  });

  it("only once: a server that refuses everything fails the call UNAVAILABLE after two streams", async () => {
    const s = await healthServer(join(dir, "refusing"), {}, true);
    try {
      const err = await s.client.check({}).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: Code.Unavailable });
      expect(s.streams()).toBe(2);
    } finally {
      await s.close();
    }
  });
});

describe("connect(): dial before the first call", () => {
  it("resolves once the connection is open; the server gets the preface without any call", async () => {
    const path = join(dir, "eager");
    const server = http2.createServer();
    const sessions: http2.ServerHttp2Session[] = [];
    // node:http2 emits `session` once it has read the client preface.
    const sawPreface = new Promise<void>((resolve) =>
      server.on("session", (session) => {
        sessions.push(session);
        resolve();
      }),
    );
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const transport = createPluginTransport({ address: { network: "unix", address: path } });
    try {
      await transport.connect();
      await sawPreface;
      // Open already: a second connect() is the same connection, not a new dial.
      await transport.connect();
      expect(sessions).toHaveLength(1);
    } finally {
      transport.close();
      for (const s of sessions) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("rejects UNAVAILABLE when nothing listens at the address", async () => {
    const transport = createPluginTransport({ address: { network: "unix", address: join(dir, "nobody") } });
    const err = await transport.connect().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: Code.Unavailable });
    expect(String((err as Error).message)).toContain(join(dir, "nobody"));
    transport.close();
    // Closed: no new dial.
    await expect(transport.connect()).rejects.toMatchObject({ code: Code.Unavailable });
  });
});

describe("prepareConnection(): built before the address is known", () => {
  it("carries the transport's first call once the address is given", async () => {
    const prepared = prepareConnection();
    const headers = await requestSeenBy(http2.createServer(), join(dir, "prepared"), undefined, prepared);
    expect(headers[":path"]).toBe("/grpc.health.v1.Health/Check");
    // Taken by the transport: discarding it now does nothing.
    prepared.discard();
  });

  it("is set aside for an AutoMTLS transport, which dials its own TLS connection", async () => {
    const [serverId, clientId] = await Promise.all([createCertificate(), createCertificate()]);
    const server = http2.createSecureServer({
      ...tlsOptions({ certPem: serverId.certPem, keyPem: serverId.keyPem, peerCertPem: clientId.certPem }),
      requestCert: true,
    });
    const tls = { certPem: clientId.certPem, keyPem: clientId.keyPem, peerCertPem: serverId.certPem };
    const headers = await requestSeenBy(server, join(dir, "prepared-tls"), tls, prepareConnection());
    expect(headers[":scheme"]).toBe("https");
  });

  it("fails connect() UNAVAILABLE when nothing listens, and can be discarded unused", async () => {
    const transport = createPluginTransport({
      address: { network: "unix", address: join(dir, "prepared-nobody") },
      prepared: prepareConnection(),
    });
    await expect(transport.connect()).rejects.toMatchObject({ code: Code.Unavailable });
    transport.close();
    const unused = prepareConnection();
    unused.discard();
    unused.discard();
    // Closing a transport that never dialled drops its prepared connection too.
    createPluginTransport({
      address: { network: "unix", address: join(dir, "x") },
      prepared: prepareConnection(),
    }).close();
  });
});

/** A node:http2 server that resets every stream with CANCEL when `reset()` is called. */
async function cancellingServer(path: string) {
  const streams: http2.ServerHttp2Stream[] = [];
  let arrived!: () => void;
  const firstStream = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const server = http2.createServer();
  server.on("stream", (stream) => {
    stream.on("error", () => {});
    streams.push(stream);
    arrived();
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const transport = createPluginTransport({ address: { network: "unix", address: path } });
  return {
    client: createClient(Health, transport.transport),
    firstStream,
    reset: () => {
      for (const s of streams) s.close(http2.constants.NGHTTP2_CANCEL);
    },
    async close() {
      transport.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("RST_STREAM CANCEL and the call's deadline", () => {
  // grpc-go servers reset a stream with CANCEL when its grpc-timeout runs out; on a loaded machine
  // that reset can be read before the client's own timer runs. The clock is faked (performance only:
  // timers stay real), so "the deadline has passed" needs no waiting.
  const calls = {
    unary: (c: ReturnType<typeof createClient<typeof Health>>, timeoutMs: number) =>
      c.check({}, { timeoutMs }),
    "server stream": async (c: ReturnType<typeof createClient<typeof Health>>, timeoutMs: number) => {
      for await (const _ of c.watch({}, { timeoutMs }));
    },
  };
  for (const [kind, call] of Object.entries(calls)) {
    it(`${kind}: before the deadline it is CANCELED; once the deadline passed, DEADLINE_EXCEEDED (as grpc-go)`, async () => {
      for (const [name, late, code] of [
        ["early", false, Code.Canceled],
        ["late", true, Code.DeadlineExceeded],
      ] as const) {
        const s = await cancellingServer(join(dir, `cancel-${kind.replace(" ", "-")}-${name}`));
        vi.useFakeTimers({ toFake: ["performance"] });
        try {
          const result = call(s.client, 60_000).catch((e: unknown) => e);
          await s.firstStream;
          if (late) vi.advanceTimersByTime(60_001);
          s.reset();
          expect(await result).toMatchObject({ code });
        } finally {
          vi.useRealTimers();
          await s.close();
        }
      }
    });
  }
});
