import { ErrorCode } from "@plugwire/contract";
import { deliveryError } from "../failure.js";
import type { RegistryCredential } from "./auth.js";

/** Options for {@link runCredentialHelper}. */
export interface CredentialHelperOptions {
  /** Environment for the helper (PATH finds it; cloud helpers read their own variables). */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal | undefined;
  /** Bound on one lookup (default 30 s: cloud helpers call their provider's API). */
  timeoutMs?: number;
  /** Where the helper was named, for error messages (e.g. `credHelpers in ~/.docker/config.json`). */
  source?: string;
}

/** What Docker passes a helper for Docker Hub; every other registry is named by host[:port]. */
export function helperServerUrl(registry: string): string {
  return registry === "docker.io" ? "https://index.docker.io/v1/" : registry;
}

/**
 * Asks a Docker credential helper for a registry's credential, as docker, crane and oras do
 * (docker-credential-helpers protocol): runs `docker-credential-<name> get` with the server URL on
 * stdin and reads `{"ServerURL", "Username", "Secret"}` from stdout. A helper that does not know the
 * registry ("credentials not found") means anonymous; a missing helper, a failing one, an answer that
 * is not that JSON, or an identity token (Username `<token>`: an OAuth2 refresh token, which needs a
 * flow we do not speak) are typed errors that name the helper.
 */
export async function runCredentialHelper(
  name: string,
  registry: string,
  options: CredentialHelperOptions = {},
): Promise<RegistryCredential | undefined> {
  const program = `docker-credential-${name}`;
  const from = options.source ? ` (named by ${options.source})` : "";
  const timeoutMs = options.timeoutMs ?? 30_000;
  const fail = (why: string, extra: { cause?: unknown; transient?: boolean } = {}) =>
    deliveryError(ErrorCode.FetchFailed, `credential helper ${program}${from} ${why}`, {
      cause: extra.cause,
      failure: extra.transient ? "transient" : "permanent",
      details: { helper: program, registry },
    });
  // Loaded on first use: importing execa costs a host ~90 ms and ~16 MiB at start-up.
  const { execa } = await import("execa");
  const result = await execa(program, ["get"], {
    input: helperServerUrl(registry),
    env: options.env,
    extendEnv: options.env === undefined,
    cancelSignal: options.signal,
    timeout: timeoutMs,
    reject: false,
    stripFinalNewline: true,
  });
  if (result.isCanceled)
    throw deliveryError(ErrorCode.Aborted, `credential lookup for ${registry} aborted`, {
      cause: result,
      failure: "transient",
    });
  if (result.timedOut) throw fail(`did not answer within ${timeoutMs} ms`, { transient: true });
  if ((result.cause as NodeJS.ErrnoException | undefined)?.code === "ENOENT")
    throw fail("is not installed (not found on PATH)", { cause: result.cause });
  if (result.exitCode !== 0) {
    // The helpers' own wording for "no entry" (credentials.ErrCredentialsNotFound).
    if (/credentials not found/i.test(`${result.stdout}\n${result.stderr}`)) return undefined;
    const said = (result.stderr || result.stdout).trim().slice(0, 500);
    throw fail(`failed for ${registry} (exit ${result.exitCode}${said ? `: ${said}` : ""})`, {
      cause: result,
      transient: true,
    });
  }
  let answer: { Username?: unknown; Secret?: unknown };
  try {
    answer = JSON.parse(result.stdout) as typeof answer;
  } catch (cause) {
    throw fail(`answered for ${registry} with something that is not JSON`, { cause });
  }
  const { Username: username, Secret: password } = answer;
  if (typeof username !== "string" || typeof password !== "string")
    throw fail(`answered for ${registry} without a Username and a Secret`);
  if (username === "<token>")
    throw fail(
      `answered for ${registry} with an identity token, which plugwire cannot use; give the registry a username and password instead`,
    );
  return { username, password };
}
