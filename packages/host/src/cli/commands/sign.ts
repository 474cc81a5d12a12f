import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { signLayout } from "../../artifacts/artifact/package.js";
import { signRemote } from "../../artifacts/artifact/publish.js";
import { parseReference } from "../../artifacts/oci/reference.js";
import { type CliCommand, type CliContext, UsageError } from "../command.js";
import {
  cliClient,
  DEFAULT_LAYOUT,
  parseCommandArgs,
  REGISTRY_OPTIONS,
  REGISTRY_USAGE,
} from "./registry-options.js";

const usage = `usage: plugwire sign --key FILE [LAYOUT-DIR | REF]

Signs a plugin artifact with an ed25519 private key (plugwire keygen): the signature covers the
artifact's digest. A layout directory (default: ${DEFAULT_LAYOUT}) is signed in place and the signature
travels with plugwire push; a registry reference is signed remotely (stored under sha256-<hex>.sig).

options:
  --key FILE           private key (PKCS#8 PEM)
${REGISTRY_USAGE}
`;

async function run(ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(ctx.argv, REGISTRY_OPTIONS);
  const [keyPath] = values.key ?? [];
  if (!keyPath || (values.key?.length ?? 0) > 1) throw new UsageError("give exactly one --key FILE");
  if (positionals.length > 1) throw new UsageError("expected at most one layout directory or reference");
  const target = positionals[0] ?? DEFAULT_LAYOUT;
  const privateKey = await readFile(keyPath, "utf8");
  if (existsSync(join(target, "oci-layout"))) {
    const envelope = await signLayout(target, privateKey);
    ctx.stdout.write(`signed ${envelope.digest} with key ${envelope.keyId} in ${target}\n`);
    return 0;
  }
  const ref = parseReference(target.replace(/^oci:\/\//, ""));
  const envelope = await signRemote(cliClient(ctx, values, ref.registry), ref, privateKey, ctx.signal);
  ctx.stdout.write(`signed ${ref} (${envelope.digest}) with key ${envelope.keyId}\n`);
  return 0;
}

/** `plugwire sign`: ed25519 signature over an artifact digest. */
export const signCommand: CliCommand = {
  name: "sign",
  summary: "sign a plugin artifact (layout or registry)",
  usage,
  run,
};
