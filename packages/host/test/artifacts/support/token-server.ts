import { randomBytes, sign } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createCertificate, type TlsIdentity } from "@plugwire/contract";

/** One request the token server answered. */
export interface TokenRequest {
  user: string | undefined;
  service: string | null;
  scopes: string[];
  granted: boolean;
}

/** A token server for distribution's `auth: token:` (the docker token-auth spec), in-process. */
export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  /** PEM of the certificate whose key signs tokens (the registry's `rootcertbundle`). */
  certPem: string;
  requests: TokenRequest[];
  close(): Promise<void>;
}

const b64url = (v: string | Uint8Array) => Buffer.from(v).toString("base64url");

/**
 * Starts a real token endpoint on loopback: checks basic credentials, then issues an ES512 JWT whose
 * `x5c` header carries a self-signed P-521 certificate (the registry verifies the chain against its
 * `rootcertbundle`, then the signature with the leaf key), granting the requested repository actions.
 */
export async function startTokenServer(users: Record<string, string>): Promise<TokenServer> {
  const identity: TlsIdentity = await createCertificate();
  const service = "plugwire-test-registry";
  const issuer = "plugwire-test-issuer";
  const requests: TokenRequest[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const auth = req.headers.authorization ?? "";
    const [user, pass] = auth.startsWith("Basic ")
      ? Buffer.from(auth.slice(6), "base64").toString().split(":")
      : [];
    const scopes = url.searchParams.getAll("scope");
    const granted = user !== undefined && users[user] === pass;
    requests.push({ user, service: url.searchParams.get("service"), scopes, granted });
    if (!granted) {
      res.writeHead(401, { "content-type": "application/json" }).end('{"details":"bad credentials"}');
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.map((s) => {
      const [type, name, actions] = s.split(":");
      return { type, name, actions: (actions ?? "").split(",").filter(Boolean) };
    });
    const header = { typ: "JWT", alg: "ES512", x5c: [Buffer.from(identity.certDer).toString("base64")] };
    const claims = {
      iss: issuer,
      sub: user,
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString("hex"),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = sign("sha512", Buffer.from(input), { key: identity.keyPem, dsaEncoding: "ieee-p1363" });
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ token: `${input}.${b64url(signature)}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPem: identity.certPem,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
