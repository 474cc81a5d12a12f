import { readFile } from "node:fs/promises";
import { type ParseArgsConfig, parseArgs } from "node:util";
import {
  type CredentialStore,
  chainCredentials,
  dockerConfigCredentials,
  staticCredentials,
} from "../../artifacts/oci/auth.js";
import {
  createRegistryClient,
  type RegistryClient,
  type TransferProgress,
} from "../../artifacts/oci/client.js";
import { type CliContext, UsageError } from "../command.js";

/** Options every registry-talking command accepts (`push`, `inspect`, `pull`, `sign <ref>`). */
export const REGISTRY_OPTIONS = {
  insecure: { type: "boolean" },
  timeout: { type: "string" },
  key: { type: "string", multiple: true },
} as const satisfies ParseArgsConfig["options"];

/** Usage lines for {@link REGISTRY_OPTIONS}. */
export const REGISTRY_USAGE = `  --insecure           allow plain http to a non-loopback registry
  --timeout MS         per-request timeout (idle timeout for transfers), default 30000
Credentials: PLUGWIRE_REGISTRY_USERNAME / PLUGWIRE_REGISTRY_PASSWORD, else the Docker config file
($DOCKER_CONFIG/config.json or ~/.docker/config.json).`;

/** `parseArgs` (strict, positionals allowed) that turns its errors into usage errors. */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: O; strict: true }>> {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Renders transfer progress on a TTY (one updating line per blob); silent in CI or when piped. */
export function progressReporter(ctx: CliContext): ((p: TransferProgress) => void) | undefined {
  const stream = ctx.stderr as NodeJS.WriteStream;
  if (!stream.isTTY || ctx.env.CI) return undefined;
  const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
  return (p) => {
    const done = p.bytes >= p.total;
    stream.write(
      `\r${p.direction} ${p.digest.slice(7, 19)} ${mib(p.bytes)}/${mib(p.total)} MiB${done ? "\n" : ""}`,
    );
  };
}

/** Credentials from the environment, then the Docker config file. */
export function cliCredentials(ctx: CliContext, registry?: string): CredentialStore {
  const user = ctx.env.PLUGWIRE_REGISTRY_USERNAME;
  const password = ctx.env.PLUGWIRE_REGISTRY_PASSWORD;
  const fromEnv: CredentialStore =
    user && password && registry
      ? staticCredentials({ [registry]: { username: user, password } })
      : async () => undefined;
  return chainCredentials(fromEnv, dockerConfigCredentials(ctx.env));
}

/** A registry client configured from the command line. */
export function cliClient(
  ctx: CliContext,
  values: { insecure?: boolean | undefined; timeout?: string | undefined },
  registry: string,
): RegistryClient {
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0))
    throw new UsageError(`--timeout must be a positive number of milliseconds, got ${values.timeout}`);
  const progress = progressReporter(ctx);
  return createRegistryClient({
    credentials: cliCredentials(ctx, registry),
    insecure: values.insecure ? [registry] : false,
    logger: ctx.logger,
    ...(timeoutMs ? { timeoutMs } : {}),
    ...(progress ? { onProgress: progress } : {}),
  });
}

/** Reads the `--key` public key files. */
export async function readKeys(paths: readonly string[] | undefined): Promise<string[]> {
  return Promise.all((paths ?? []).map((p) => readFile(p, "utf8")));
}

/** The default OCI layout directory `package` writes and `sign`/`push` read. */
export const DEFAULT_LAYOUT = "plugwire-artifact";
