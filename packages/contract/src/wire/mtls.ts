import type { KeyObject, X509Certificate as NodeX509Certificate } from "node:crypto";
import { ErrorCode, PlugwireError } from "../errors/plugwire-error.js";
import { nodeCrypto } from "./mutual-tls.js";

/** One side's AutoMTLS identity: the same pair serves as server and client cert (go-plugin-wire.md §6). */
export interface TlsIdentity {
  /** The certificate, PEM (what `PLUGIN_CLIENT_CERT` carries). */
  certPem: string;
  /** The private key, SEC 1 `EC PRIVATE KEY` PEM as Go's `x509.MarshalECPrivateKey`. Never leaves the process. */
  keyPem: string;
  /** The certificate, DER (what handshake field 6 carries, base64). */
  certDer: Uint8Array;
}

/** Options for {@link createCertificate}. */
export interface CreateCertificateOptions {
  /** Clock, for tests. */
  now?: Date;
}

// go-plugin's generateCert: NotAfter = now + 262980 h (~30 years), NotBefore = now − 30 s for clock skew.
const VALIDITY_MS = 262_980 * 3600_000;
const SKEW_MS = 30_000;

// --- Minimal DER encoder: the certificate has one fixed shape, so a full ASN.1 library is not needed
// (@peculiar/x509 would also demand a global Reflect polyfill at import time).
const bytes = (...parts: Uint8Array[]) => Buffer.concat(parts);
function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  const body = bytes(...parts);
  let n = body.length;
  const len: number[] = [];
  if (n < 0x80) len.push(n);
  else {
    while (n > 0) {
      len.unshift(n & 0xff);
      n = Math.floor(n / 256);
    }
    len.unshift(0x80 | len.length);
  }
  return bytes(Buffer.from([tag, ...len]), body);
}
const seq = (...parts: Uint8Array[]) => tlv(0x30, ...parts);
const set = (...parts: Uint8Array[]) => tlv(0x31, ...parts);
const octets = (b: Uint8Array) => tlv(0x04, b);
const TRUE = tlv(0x01, Buffer.from([0xff]));
function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split(".").map(Number);
  const out = [40 * a + b];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift(0x80 | (v & 0x7f));
    out.push(...groups);
  }
  return tlv(0x06, Buffer.from(out));
}
/** A positive INTEGER, minimally encoded (DER): strip leading zeros, add one if the high bit is set. */
function uint(value: Uint8Array): Buffer {
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  const v = Buffer.from(value.subarray(i));
  return tlv(0x02, (v[0] ?? 0) & 0x80 ? bytes(Buffer.from([0]), v) : v);
}
/** X.509 Time: UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5), seconds precision. */
function time(d: Date): Buffer {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = d.getUTCFullYear();
  return year >= 1950 && year < 2050
    ? tlv(0x17, Buffer.from(digits.slice(2), "ascii"))
    : tlv(0x18, Buffer.from(digits, "ascii"));
}
const extension = (id: string, critical: boolean, value: Uint8Array) =>
  critical ? seq(oid(id), TRUE, octets(value)) : seq(oid(id), octets(value));

// Go's pkix.Name puts O before CN and uses PrintableString for printable text.
const NAME = seq(
  set(seq(oid("2.5.4.10"), tlv(0x13, Buffer.from("plugwire")))),
  set(seq(oid("2.5.4.3"), tlv(0x13, Buffer.from("localhost")))),
);
const ECDSA_WITH_SHA512 = seq(oid("1.2.840.10045.4.3.4"));
// digitalSignature(0) | keyEncipherment(2) | keyAgreement(4) | keyCertSign(5) = 0b10101100, 2 unused bits.
const KEY_USAGE = tlv(0x03, Buffer.from([0x02, 0xac]));

/** A P-521 key pair (Go's `ecdsa.GenerateKey(elliptic.P521(), rand.Reader)`). */
function generateP521(): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return new Promise((resolve, reject) =>
    nodeCrypto().generateKeyPair("ec", { namedCurve: "secp521r1" }, (err, publicKey, privateKey) =>
      err ? reject(err) : resolve({ publicKey, privateKey }),
    ),
  );
}

function signSha512(data: Uint8Array, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    nodeCrypto().sign("sha512", data, key, (err, signature) => (err ? reject(err) : resolve(signature))),
  );
}

/** The uncompressed EC point (Go's SubjectKeyId input) from a P-521 public key. */
function ecPoint(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: "jwk" });
  const coord = (v: string | undefined) => Buffer.from(v ?? "", "base64url");
  return bytes(Buffer.from([0x04]), coord(jwk.x), coord(jwk.y));
}

/**
 * A self-signed AutoMTLS certificate shaped like go-plugin's `generateCert` (go-plugin-wire.md §6):
 * ECDSA P-521 key, ecdsa-with-SHA512 signature, random positive 128-bit serial, O `plugwire` (Go writes
 * `HashiCorp`; no peer checks it) and CN `localhost`, valid from now−30 s for 262980 h, and Go's
 * extensions in Go's order: key usage (critical) digitalSignature|keyEncipherment|keyAgreement|
 * keyCertSign, extended key usage clientAuth+serverAuth, BasicConstraints CA=true (critical), subject
 * key id (SHA-1 of the public key, as Go adds for CAs), DNS SAN `localhost`.
 */
export async function createCertificate(options: CreateCertificateOptions = {}): Promise<TlsIdentity> {
  const now = options.now ?? new Date();
  const { publicKey, privateKey } = await generateP521();
  const spki = publicKey.export({ type: "spki", format: "der" });
  const extensions = seq(
    extension("2.5.29.15", true, KEY_USAGE),
    extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.2"), oid("1.3.6.1.5.5.7.3.1"))),
    extension("2.5.29.19", true, seq(TRUE)),
    extension(
      "2.5.29.14",
      false,
      octets(nodeCrypto().createHash("sha1").update(ecPoint(publicKey)).digest()),
    ),
    extension("2.5.29.17", false, seq(tlv(0x82, Buffer.from("localhost", "ascii")))),
  );
  const tbs = seq(
    tlv(0xa0, uint(Buffer.from([2]))), // version v3
    uint(nodeCrypto().randomBytes(16)),
    ECDSA_WITH_SHA512,
    NAME,
    seq(time(new Date(now.getTime() - SKEW_MS)), time(new Date(now.getTime() + VALIDITY_MS))),
    NAME,
    spki,
    tlv(0xa3, extensions),
  );
  // node:crypto signs ECDSA as a DER ECDSA-Sig-Value, which is what X.509 carries.
  const signature = await signSha512(tbs, privateKey);
  const certDer = new Uint8Array(seq(tbs, ECDSA_WITH_SHA512, tlv(0x03, Buffer.from([0]), signature)));
  const keyPem = privateKey.export({ type: "sec1", format: "pem" }).toString();
  return { certPem: derToPem(certDer), keyPem, certDer };
}

/**
 * PEM text for DER bytes: base64 in 64-character lines, as Go's `pem.Encode` writes it (trailing newline).
 */
export function derToPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/**
 * The DER bytes of the first PEM block with `label` (default `CERTIFICATE`). Throws
 * `PlugwireError(CertificateInvalid)` when there is none.
 */
export function pemToDer(pem: string, label = "CERTIFICATE"): Uint8Array {
  const begin = `-----BEGIN ${label}-----`;
  const start = pem.indexOf(begin);
  const end = start < 0 ? -1 : pem.indexOf(`-----END ${label}-----`, start + begin.length);
  const body = end < 0 ? "" : pem.slice(start + begin.length, end).replace(/\s+/g, "");
  if (!body || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
    throw new PlugwireError(ErrorCode.CertificateInvalid, `no PEM ${label} block found`, {
      details: { received: preview(pem) },
    });
  }
  return new Uint8Array(Buffer.from(body, "base64"));
}

/** Handshake field 6: unpadded standard base64 of the DER certificate (Go's `base64.RawStdEncoding`). */
export function encodeHandshakeCert(der: Uint8Array): string {
  return Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64").replace(/=+$/, "");
}

function preview(value: string, max = 60): string {
  return value.length <= max ? value : `${value.slice(0, max)}… (${value.length} chars)`;
}

/**
 * Decodes handshake field 6 (unpadded base64 DER, as go-plugin's `loadServerCert` reads it; padding is
 * tolerated) into DER and PEM. Throws `PlugwireError(CertificateInvalid)` naming `plugin` and showing
 * what was received when it is not exactly one X.509 certificate.
 */
export function decodeHandshakeCert(field: string, plugin?: string): { der: Uint8Array; pem: string } {
  const text = typeof field === "string" ? field.trim() : "";
  const fail = (why: string, cause?: unknown): never => {
    throw new PlugwireError(
      ErrorCode.CertificateInvalid,
      `handshake certificate (field 6) ${why}; received ${JSON.stringify(preview(text))}`,
      { plugin, cause, details: { received: preview(text), length: text.length } },
    );
  };
  // Buffer's decoder skips invalid characters silently, so check the alphabet first.
  if (!text) fail("is empty");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 === 1) fail("is not standard base64");
  const der = new Uint8Array(Buffer.from(text, "base64"));
  let cert: NodeX509Certificate | undefined;
  try {
    cert = new (nodeCrypto().X509Certificate)(der);
  } catch (err) {
    fail("is not an X.509 certificate", err);
  }
  // Go's x509.ParseCertificate rejects trailing bytes; OpenSSL would ignore them.
  if (cert?.raw.length !== der.length) fail("has trailing data after the certificate");
  return { der, pem: derToPem(der) };
}
