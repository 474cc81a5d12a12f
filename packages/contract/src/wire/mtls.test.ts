// AutoMTLS certificates (go-plugin-wire.md §6): shape, handshake field 6 encoding, and a real mutual TLS
// handshake over node:tls with the same options a go-plugin peer uses (server name localhost, ALPN h2).
import { createHash, X509Certificate } from "node:crypto";
import type { AddressInfo } from "node:net";
import * as tls from "node:tls";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, PlugwireError } from "../errors/plugwire-error.js";
import {
  createCertificate,
  decodeHandshakeCert,
  derToPem,
  encodeHandshakeCert,
  pemToDer,
  type TlsIdentity,
} from "./mtls.js";

// A certificate made by go-plugin's generateCert code (Go 1.2x, O=HashiCorp), for decoding real input.
const GO_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIICUDCCAbGgAwIBAgIRALsFSEriXYuyAO+SwfeSvH4wCgYIKoZIzj0EAwQwKDES
MBAGA1UEChMJSGFzaGlDb3JwMRIwEAYDVQQDEwlsb2NhbGhvc3QwIBcNMjYxMTI1
MDIyMzI0WhgPMjA1NjExMjQxNDIzNTRaMCgxEjAQBgNVBAoTCUhhc2hpQ29ycDES
MBAGA1UEAxMJbG9jYWxob3N0MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQAzrsq
c07ELS78poiRN2KsnBG4bkn8gUE+4Xo7kIGTxcx1swwXfyif5Bo9hE+MfLKwJxaM
h9GfQaRvBBgLa1KPdsgBNxfeYOspTMS/rBtE//s6o9T25SPwZbU8sJyxnN9DSjok
KG8QIlh+joUBIvBvM7GI0f2lMGeGhxvyoc2zDTaMzwyjdzB1MA4GA1UdDwEB/wQE
AwICrDAdBgNVHSUEFjAUBggrBgEFBQcDAgYIKwYBBQUHAwEwDwYDVR0TAQH/BAUw
AwEB/zAdBgNVHQ4EFgQUCRVP5CG7aVoS7of+51gtQth7xW4wFAYDVR0RBA0wC4IJ
bG9jYWxob3N0MAoGCCqGSM49BAMEA4GMADCBiAJCAd2mjoaHuCf+pkuaUiFVwPzz
J2kzIDNH+3+z2bi4vDTwLN1S5Ri6PEyP5n+FTpnDhj2YiFu5tgbB2vnj3IJ6ZyZU
AkIAhnX9+4Y02UHH7viDEe5P2/fm2y8Osj1VJE/MTkqXvkyxn6/p+ybVlHeazsUl
YeopPUEKND8fsx8wI1ogV45edtM=
-----END CERTIFICATE-----
`;

let a: TlsIdentity;
let b: TlsIdentity;
let c: TlsIdentity;

beforeAll(async () => {
  [a, b, c] = await Promise.all([createCertificate(), createCertificate(), createCertificate()]);
});

describe("createCertificate", () => {
  it("is shaped like go-plugin's generateCert", async () => {
    const now = new Date("2030-06-01T12:00:00.000Z");
    const id = await createCertificate({ now });
    const cert = new X509Certificate(id.certPem);
    expect(cert.subject.split("\n")).toEqual(["O=plugwire", "CN=localhost"]);
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.subjectAltName).toBe("DNS:localhost");
    expect(cert.ca).toBe(true);
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1"]); // extended: client, server
    expect(cert.publicKey.asymmetricKeyType).toBe("ec");
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe("secp521r1");
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(new Date(cert.validFrom).getTime()).toBe(now.getTime() - 30_000);
    expect(new Date(cert.validTo).getTime()).toBe(now.getTime() + 262_980 * 3600_000);
    expect(cert.checkHost("localhost")).toBe("localhost");
    expect(Buffer.from(cert.raw).equals(Buffer.from(id.certDer))).toBe(true);
    expect(id.keyPem).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
    expect(cert.checkPrivateKey((await import("node:crypto")).createPrivateKey(id.keyPem))).toBe(true);
  });

  it("has Go's extensions, criticality and signature algorithm (DER bytes)", () => {
    const der = Buffer.from(a.certDer);
    const has = (hex: string) => der.includes(Buffer.from(hex.replace(/ /g, ""), "hex"));
    expect(has("30 0e 06 03 55 1d 0f 01 01 ff 04 04 03 02 02 ac")).toBe(true); // keyUsage critical
    expect(has("30 0f 06 03 55 1d 13 01 01 ff 04 05 30 03 01 01 ff")).toBe(true); // CA:TRUE critical
    expect(has("06 08 2a 86 48 ce 3d 04 03 04")).toBe(true); // ecdsa-with-SHA512
    // The same extension bytes Go writes (GO_CERT_PEM), minus the key-dependent subject key id.
    const goDer = Buffer.from(pemToDer(GO_CERT_PEM));
    for (const hex of [
      "300e0603551d0f0101ff0404030202ac",
      "301d0603551d250416301406082b0601050507030206082b06010505070301",
    ]) {
      expect(goDer.includes(Buffer.from(hex.replace(/ /g, ""), "hex"))).toBe(true);
      expect(has(hex)).toBe(true);
    }
    // Subject key id = SHA-1 of the EC point, as Go computes it.
    const cert = new X509Certificate(a.certPem);
    const spki = cert.publicKey.export({ type: "spki", format: "der" });
    const ski = createHash("sha1")
      .update(spki.subarray(spki.length - 133))
      .digest();
    expect(der.includes(Buffer.concat([Buffer.from("0414", "hex"), ski]))).toBe(true);
  });

  it("uses a fresh positive serial each time", () => {
    const serials = [a, b, c].map((id) => new X509Certificate(id.certPem).serialNumber);
    expect(new Set(serials).size).toBe(3);
    // DER INTEGER after the version: tag 02, then a first content byte below 0x80 (positive).
    const der = Buffer.from(a.certDer);
    const at = der.indexOf(Buffer.from("a003020102", "hex")) + 5;
    expect(der[at]).toBe(0x02);
    expect((der[at + 2] ?? 0xff) & 0x80).toBe(0);
  });
});

describe("handshake field 6", () => {
  it("encodes unpadded standard base64 and decodes it back", () => {
    const field = encodeHandshakeCert(a.certDer);
    expect(field).not.toMatch(/[=\s]/);
    expect(field).toBe(Buffer.from(a.certDer).toString("base64").replace(/=+$/, ""));
    const { der, pem } = decodeHandshakeCert(field, "kv");
    expect(Buffer.from(der).equals(Buffer.from(a.certDer))).toBe(true);
    expect(pem).toBe(a.certPem);
  });

  it("accepts padded input and Go's certificates", () => {
    const goDer = pemToDer(GO_CERT_PEM);
    const padded = Buffer.from(goDer).toString("base64");
    expect(padded.endsWith("=")).toBe(true);
    expect(Buffer.from(decodeHandshakeCert(padded).der).equals(Buffer.from(goDer))).toBe(true);
    expect(decodeHandshakeCert(encodeHandshakeCert(goDer)).pem).toBe(GO_CERT_PEM);
  });

  it.each<[string, () => string]>([
    ["empty", () => ""],
    ["not base64", () => "not a certificate!"],
    ["base64 of junk", () => Buffer.from("x".repeat(80)).toString("base64")],
    ["url-safe alphabet", () => "-_-_"],
    ["trailing data", () => `${encodeHandshakeCert(a.certDer)}AA`],
  ])("rejects %s with CERTIFICATE_INVALID naming the plugin", (_name, input) => {
    let caught: unknown;
    try {
      decodeHandshakeCert(input(), "kv");
    } catch (err) {
      caught = err;
    }
    expect(PlugwireError.is(caught, ErrorCode.CertificateInvalid)).toBe(true);
    expect((caught as PlugwireError).plugin).toBe("kv");
    expect((caught as Error).message).toMatch(/^plugin kv: handshake certificate \(field 6\)/);
  });

  it("truncates what it shows of a long bad value", () => {
    const junk = "A".repeat(10_000);
    try {
      decodeHandshakeCert(junk, "kv");
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message.length).toBeLessThan(300);
      expect((err as PlugwireError).details.length).toBe(10_000);
    }
  });
});

describe("pem helpers", () => {
  it("round-trip DER and PEM with 64-column lines like Go's pem.Encode", () => {
    expect(derToPem(pemToDer(GO_CERT_PEM))).toBe(GO_CERT_PEM);
    expect(a.certPem.split("\n").every((l) => l.length <= 64)).toBe(true);
  });

  it("finds the block among other text and rejects text without one", () => {
    expect(Buffer.from(pemToDer(`junk\n${a.certPem}more`)).equals(Buffer.from(a.certDer))).toBe(true);
    expect(() => pemToDer("hello")).toThrow(PlugwireError);
    expect(() => pemToDer("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----")).toThrow(/no PEM/);
  });
});

// --- real mutual TLS --------------------------------------------------------------------------------

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanups.splice(0)) f();
});

interface Outcome {
  serverAuthorized?: boolean;
  serverPeer?: string;
  serverError?: Error;
  clientAuthorized?: boolean;
  clientAlpn?: string | false;
  clientError?: Error;
  received?: string;
}

/** Server identity `srv` trusting `srvTrusts`; client identity `cli` trusting `cliTrusts`. */
async function mutualTls(srv: TlsIdentity, srvTrusts: string, cli: TlsIdentity, cliTrusts: string) {
  const outcome: Outcome = {};
  const server = tls.createServer({
    cert: srv.certPem,
    key: srv.keyPem,
    ca: [srvTrusts],
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: "TLSv1.2",
    ALPNProtocols: ["h2"],
  });
  const serverSockets: tls.TLSSocket[] = [];
  server.on("secureConnection", (socket) => {
    serverSockets.push(socket);
    outcome.serverAuthorized = socket.authorized;
    outcome.serverPeer = socket.getPeerX509Certificate()?.fingerprint256;
    socket.end("ok");
  });
  server.on("tlsClientError", (err) => {
    outcome.serverError = err;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => {
    for (const s of serverSockets) s.destroy();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    const client = tls.connect({
      host: "127.0.0.1",
      port,
      servername: "localhost",
      cert: cli.certPem,
      key: cli.keyPem,
      ca: [cliTrusts],
      minVersion: "TLSv1.2",
      ALPNProtocols: ["h2"],
    });
    cleanups.push(() => client.destroy());
    let data = "";
    client.on("secureConnect", () => {
      outcome.clientAuthorized = client.authorized;
      outcome.clientAlpn = client.alpnProtocol ?? undefined;
    });
    client.on("data", (d: Buffer) => {
      data += d.toString();
    });
    client.on("error", (err) => {
      outcome.clientError = err;
    });
    client.on("close", () => {
      outcome.received = data;
      resolve();
    });
  });
  // The server may report its side of a failed handshake just after the client sees the socket close.
  if (outcome.serverAuthorized === undefined && !outcome.serverError)
    await new Promise((r) => setTimeout(r, 50));
  return outcome;
}

describe("mutual TLS with AutoMTLS certificates", () => {
  it("completes when each side trusts exactly the other's certificate", async () => {
    const o = await mutualTls(a, b.certPem, b, a.certPem);
    expect(o.clientError).toBeUndefined();
    expect(o.serverError).toBeUndefined();
    expect(o.clientAuthorized).toBe(true);
    expect(o.serverAuthorized).toBe(true);
    expect(o.clientAlpn).toBe("h2");
    expect(o.serverPeer).toBe(new X509Certificate(b.certPem).fingerprint256);
    expect(o.received).toBe("ok");
  });

  it("works with the roles reversed (broker callbacks use the same pair the other way)", async () => {
    const o = await mutualTls(b, a.certPem, a, b.certPem);
    expect(o.clientAuthorized && o.serverAuthorized).toBe(true);
  });

  it("server rejects a client presenting an unexpected certificate", async () => {
    const o = await mutualTls(a, b.certPem, c, a.certPem);
    expect(o.serverAuthorized).toBeUndefined();
    expect(o.received).toBe("");
    // Node's server destroys the socket on a failed client verification (TLS 1.3: after the client's
    // side completed), so the reason is not reported, only that the handshake never reached the app.
    expect(o.serverError).toBeDefined();
  });

  it("client rejects a server presenting an unexpected certificate", async () => {
    const o = await mutualTls(c, b.certPem, b, a.certPem);
    expect(o.clientAuthorized).toBeUndefined();
    expect(o.received).toBe("");
    expect((o.clientError as NodeJS.ErrnoException | undefined)?.code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
  });
});
