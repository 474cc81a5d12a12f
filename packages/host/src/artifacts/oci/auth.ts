import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { ErrorCode } from "@plugwire/contract";
import { deliveryError } from "../failure.js";
import { runCredentialHelper } from "./credential-helper.js";

/** Credentials for one registry: a username and password (basic auth, or the token endpoint's basic auth). */
export interface RegistryCredential {
  username: string;
  password: string;
}

/** Looks up the credential for a registry host[:port]; `undefined` means anonymous. */
export type CredentialStore = (
  registry: string,
  options?: { signal?: AbortSignal },
) => Promise<RegistryCredential | undefined>;

/** Credentials given in configuration, keyed by registry host[:port]. */
export function staticCredentials(map: Record<string, RegistryCredential>): CredentialStore {
  return async (registry) => map[registry];
}

/** Tries each store in order; the first that knows the registry wins. */
export function chainCredentials(...stores: CredentialStore[]): CredentialStore {
  return async (registry, options) => {
    for (const store of stores) {
      const found = await store(registry, options);
      if (found) return found;
    }
    return undefined;
  };
}

// Docker writes Hub credentials under its v1 index URL; everything else under host[:port], sometimes
// with a scheme and path.
function configKeyToRegistry(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//, "").split("/")[0] ?? "";
  return host === "index.docker.io" || host === "registry-1.docker.io" ? "docker.io" : host;
}

/** What the Docker config says about credentials: plain entries and the helpers to ask. */
interface DockerConfig {
  auths: Map<string, RegistryCredential>;
  /** Per-registry helpers (`credHelpers`), keyed like `auths`. */
  helpers: Map<string, string>;
  /** The default helper for every registry (`credsStore`). */
  store: string | undefined;
}

/**
 * Credentials from the Docker config file (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`),
 * looked up as docker does: the registry's `credHelpers` entry, else the `credsStore` helper (both run
 * as `docker-credential-<name>`, see {@link runCredentialHelper}), else the `auths` map with `auth`
 * (base64 `user:password`) or `username`/`password`. A helper that does not know the registry falls
 * through to `auths`. A missing file means no credentials; a malformed one is an error.
 */
export function dockerConfigCredentials(env: NodeJS.ProcessEnv = process.env): CredentialStore {
  const path = join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), ".docker"), "config.json");
  let cache: Promise<DockerConfig> | undefined;
  return async (registry, options) => {
    cache ??= loadDockerConfig(path);
    const config = await cache;
    const named = config.helpers.get(registry);
    const helper = named ?? config.store;
    if (helper) {
      const source = `${named ? "credHelpers" : "credsStore"} in ${path}`;
      const found = await runCredentialHelper(helper, registry, { env, signal: options?.signal, source });
      if (found) return found;
    }
    return config.auths.get(registry);
  };
}

async function loadDockerConfig(path: string): Promise<DockerConfig> {
  const out: DockerConfig = { auths: new Map(), helpers: new Map(), store: undefined };
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return out;
  }
  let parsed: {
    auths?: Record<string, Record<string, unknown>>;
    credHelpers?: unknown;
    credsStore?: unknown;
  };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (cause) {
    throw deliveryError(ErrorCode.ConfigInvalid, `Docker config ${path} is not valid JSON`, { cause });
  }
  for (const [key, entry] of Object.entries(parsed.auths ?? {})) {
    const decoded = typeof entry?.auth === "string" ? Buffer.from(entry.auth, "base64").toString("utf8") : "";
    const sep = decoded.indexOf(":");
    const username = sep > 0 ? decoded.slice(0, sep) : entry?.username;
    const password = sep > 0 ? decoded.slice(sep + 1) : entry?.password;
    if (typeof username === "string" && typeof password === "string")
      out.auths.set(configKeyToRegistry(key), { username, password });
  }
  if (parsed.credHelpers !== null && typeof parsed.credHelpers === "object") {
    for (const [key, helper] of Object.entries(parsed.credHelpers as Record<string, unknown>)) {
      if (typeof helper === "string" && helper !== "") out.helpers.set(configKeyToRegistry(key), helper);
    }
  }
  if (typeof parsed.credsStore === "string" && parsed.credsStore !== "") out.store = parsed.credsStore;
  return out;
}

/** One parsed `WWW-Authenticate` challenge (RFC 7235): scheme and auth-params. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header such as
 * `Bearer realm="https://auth/token",service="registry",scope="repository:a/b:pull"` (distribution's
 * token-auth spec). Returns the first challenge; quoted values may contain commas and escaped quotes.
 */
export function parseChallenge(header: string): AuthChallenge | undefined {
  const m = /^\s*([A-Za-z][A-Za-z0-9._~+/-]*)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/gy;
  const rest = m[2] ?? "";
  re.lastIndex = 0;
  for (let p = re.exec(rest); p; p = re.exec(rest)) {
    params[(p[1] ?? "").toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : (p[3] ?? "");
    if (re.lastIndex >= rest.length) break;
  }
  return { scheme: (m[1] ?? "").toLowerCase(), params };
}

/** The `Authorization` value for basic auth. */
export function basicAuthorization(cred: RegistryCredential): string {
  return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString("base64")}`;
}

/**
 * Requests a bearer token from a challenge's realm (distribution token-auth spec: `GET realm?service=…
 * &scope=…`, basic auth with the credential if there is one) and returns `token` or `access_token`.
 */
export async function fetchBearerToken(
  challenge: AuthChallenge,
  scope: string,
  credential: RegistryCredential | undefined,
  send: (url: string, init: RequestInit) => Promise<Response>,
): Promise<string> {
  const realm = challenge.params.realm;
  if (!realm)
    throw deliveryError(ErrorCode.FetchFailed, "bearer challenge without a realm", {
      details: { challenge },
    });
  const url = new URL(realm);
  if (challenge.params.service) url.searchParams.set("service", challenge.params.service);
  for (const s of (challenge.params.scope ?? scope).split(" ").filter(Boolean))
    url.searchParams.append("scope", s);
  const headers: Record<string, string> = { accept: "application/json" };
  if (credential) headers.authorization = basicAuthorization(credential);
  const res = await send(url.toString(), { headers });
  if (!res.ok) {
    await res.body?.cancel();
    throw deliveryError(
      ErrorCode.FetchFailed,
      `token endpoint ${url.origin}${url.pathname} answered HTTP ${res.status}`,
      {
        failure: res.status >= 500 ? "transient" : "permanent",
        details: { status: res.status },
      },
    );
  }
  const body = (await res.json()) as { token?: unknown; access_token?: unknown };
  const token = typeof body.token === "string" ? body.token : body.access_token;
  if (typeof token !== "string" || token === "")
    throw deliveryError(ErrorCode.FetchFailed, "token endpoint answered without a token");
  return token;
}
