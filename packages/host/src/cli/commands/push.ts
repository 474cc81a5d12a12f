import { pushLayout } from "../../artifacts/artifact/publish.js";
import { parseReference } from "../../artifacts/oci/reference.js";
import { type CliCommand, type CliContext, UsageError } from "../command.js";
import {
  cliClient,
  DEFAULT_LAYOUT,
  parseCommandArgs,
  REGISTRY_OPTIONS,
  REGISTRY_USAGE,
} from "./registry-options.js";

const usage = `usage: plugwire push REF [--layout DIR]

Uploads a packaged (and optionally signed) artifact to an OCI registry: blobs, per-platform manifests,
the index under REF's tag (or by digest), and signatures under sha256-<hex>.sig. Prints the reference
pinned by digest.

options:
  --layout DIR         layout directory (default: ${DEFAULT_LAYOUT})
${REGISTRY_USAGE}
`;

async function run(ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(ctx.argv, {
    ...REGISTRY_OPTIONS,
    layout: { type: "string" },
  });
  if (positionals.length !== 1) throw new UsageError("expected exactly one reference");
  const ref = parseReference((positionals[0] as string).replace(/^oci:\/\//, ""));
  const result = await pushLayout(
    cliClient(ctx, values, ref.registry),
    values.layout ?? DEFAULT_LAYOUT,
    ref,
    ctx.signal,
  );
  ctx.stdout.write(
    `pushed ${result.pinned} (${result.signatures} signature${result.signatures === 1 ? "" : "s"})\n`,
  );
  return 0;
}

/** `plugwire push`: upload an artifact layout to a registry. */
export const pushCommand: CliCommand = {
  name: "push",
  summary: "push a plugin artifact to an OCI registry",
  usage,
  run,
};
