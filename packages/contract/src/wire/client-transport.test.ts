// What the client transport puts on the wire, seen by an independent HTTP/2 server (node:http2):
// the request headers connect-es sends, and `:scheme` following the connection (RFC 9113 §8.3.1).
import { mkdtempSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, createClient } from "@connectrpc/connect";
import { afterAll, describe, expect, it } from "vitest";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { createPluginTransport } from "./client-transport.js";
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
  const transport = createPluginTransport({ address: { network: "unix", address: path }, tls });
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
