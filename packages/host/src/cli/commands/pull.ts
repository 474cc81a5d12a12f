import { parseReference } from "../../artifacts/oci/reference.js";
import { resolvePluginSource } from "../../artifacts/source/resolve.js";
import { type CliCommand, type CliContext, UsageError } from "../command.js";
import {
  cliClient,
  parseCommandArgs,
  REGISTRY_OPTIONS,
  REGISTRY_USAGE,
  readKeys,
} from "./registry-options.js";

const usage = `usage: plugwire pull REF [--root DIR] [--id ID] [--key FILE]... [--require-signature]

Downloads a plugin artifact for this host's platform, verifies it (sha256 always; ed25519 signatures
with the given keys — a signed artifact with no key fails closed), stages it under
ROOT/ID/versions/VERSION/ and points ROOT/ID/current at it. Prints the command to run.

options:
  --root DIR           staging root (default: plugins)
  --id ID              plugin id (default: the last segment of the repository name)
  --key FILE           ed25519 public key (PEM) allowed to sign (repeatable)
  --require-signature  reject unsigned artifacts
${REGISTRY_USAGE}
`;

async function run(ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(ctx.argv, {
    ...REGISTRY_OPTIONS,
    root: { type: "string" },
    id: { type: "string" },
    "require-signature": { type: "boolean" },
  });
  if (positionals.length !== 1) throw new UsageError("expected exactly one reference");
  const source = (positionals[0] as string).replace(/^oci:\/\//, "");
  const ref = parseReference(source);
  const resolved = await resolvePluginSource(`oci://${source}`, {
    id: values.id ?? ref.repository.split("/").pop() ?? ref.repository,
    stagingRoot: values.root ?? "plugins",
    keys: await readKeys(values.key),
    policy: { requireSignature: values["require-signature"] ?? false },
    client: cliClient(ctx, values, ref.registry),
    logger: ctx.logger,
    signal: ctx.signal,
    lastKnownGood: false,
  });
  const sig =
    resolved.signature?.status === "verified" ? `signed by ${resolved.signature.keyId}` : "unsigned";
  ctx.stdout.write(
    `${resolved.staged?.reused ? "already staged" : "staged"} ${resolved.version} (${resolved.digest}, ${sig})\n${[resolved.command, ...resolved.args].join(" ")}\n`,
  );
  return 0;
}

/** `plugwire pull`: download, verify and stage an artifact. */
export const pullCommand: CliCommand = {
  name: "pull",
  summary: "download, verify and stage a plugin artifact",
  usage,
  run,
};
