import { writeFile } from "node:fs/promises";
import { generateSigningKey } from "../../artifacts/artifact/sign.js";
import type { CliCommand, CliContext } from "../command.js";
import { parseCommandArgs } from "./registry-options.js";

const usage = `usage: plugwire keygen [--out PREFIX]

Creates an ed25519 signing key pair: PREFIX.key (PKCS#8 PEM, mode 0600, keep it secret) and PREFIX.pub
(SPKI PEM, give it to hosts). Existing files are never overwritten. Prints the key id.

options:
  --out PREFIX   file name prefix (default: plugwire-signing)
`;

async function run(ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs(ctx.argv, { out: { type: "string" } });
  const prefix = values.out ?? "plugwire-signing";
  const pair = generateSigningKey();
  await writeFile(`${prefix}.key`, pair.privateKeyPem, { flag: "wx", mode: 0o600 });
  await writeFile(`${prefix}.pub`, pair.publicKeyPem, { flag: "wx", mode: 0o644 });
  ctx.stdout.write(`key id ${pair.keyId}\nprivate key: ${prefix}.key\npublic key:  ${prefix}.pub\n`);
  return 0;
}

/** `plugwire keygen`: an ed25519 key pair for signing plugin artifacts. */
export const keygenCommand: CliCommand = {
  name: "keygen",
  summary: "create an ed25519 signing key pair",
  usage,
  run,
};
