import { PlugwireError } from "@plugwire/contract";
import { readSignatures } from "../../artifacts/artifact/fetch.js";
import { summarizeArtifact } from "../../artifacts/artifact/format.js";
import { verifySignatures } from "../../artifacts/artifact/verify.js";
import type { ImageIndex, ImageManifest } from "../../artifacts/oci/media-types.js";
import { parseReference, withTarget } from "../../artifacts/oci/reference.js";
import { type CliCommand, type CliContext, UsageError } from "../command.js";
import {
  cliClient,
  parseCommandArgs,
  REGISTRY_OPTIONS,
  REGISTRY_USAGE,
  readKeys,
} from "./registry-options.js";

const usage = `usage: plugwire inspect REF [--key FILE]... [--json]

Shows a plugin artifact in a registry without downloading its layers: digest, annotations (name,
version, runner protocol), platforms with their layers, and signature status — verified with the given
public keys, or listed by key id when no key is given.

options:
  --key FILE           ed25519 public key (PEM) to verify signatures with (repeatable)
  --json               print JSON instead of text
${REGISTRY_USAGE}
`;

async function run(ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(ctx.argv, {
    ...REGISTRY_OPTIONS,
    json: { type: "boolean" },
  });
  if (positionals.length !== 1) throw new UsageError("expected exactly one reference");
  const ref = parseReference((positionals[0] as string).replace(/^oci:\/\//, ""));
  const client = cliClient(ctx, values, ref.registry);
  const top = await client.getManifest(ref, { signal: ctx.signal });
  const summary = summarizeArtifact(top.json, top.mediaType);
  const platforms: {
    platform: string;
    manifest?: string;
    layers: { digest: string; size: number; mediaType: string; entry?: string }[];
  }[] = [];
  const layersOf = (m: ImageManifest) =>
    m.layers.map((l) => ({
      digest: l.digest,
      size: l.size,
      mediaType: l.mediaType,
      ...(l.annotations?.["org.plugwire.plugin.entry"]
        ? { entry: l.annotations["org.plugwire.plugin.entry"] }
        : {}),
    }));
  if (summary.kind === "index") {
    for (const [i, entry] of (top.json as unknown as ImageIndex).manifests.entries()) {
      const child = await client.getManifest(withTarget(ref, entry.digest), { signal: ctx.signal });
      platforms.push({
        platform: summary.platforms[i] ?? "?",
        manifest: entry.digest,
        layers: layersOf(child.json as unknown as ImageManifest),
      });
    }
  } else {
    for (const [i, layer] of layersOf(top.json as unknown as ImageManifest).entries())
      platforms.push({ platform: summary.platforms[i] ?? "?", layers: [layer] });
  }
  const envelopes = await readSignatures(client, ref, top.digest, ctx.signal);
  const keys = await readKeys(values.key);
  let signature: string;
  if (envelopes.length === 0) signature = "unsigned";
  else if (keys.length === 0)
    signature = `signed by ${envelopes.map((e) => e.keyId).join(", ")} (not verified: no --key)`;
  else {
    try {
      const status = verifySignatures({ digest: top.digest, envelopes, keys });
      signature = status.status === "verified" ? `verified (key ${status.keyId})` : "unsigned";
    } catch (err) {
      if (!(err instanceof PlugwireError)) throw err;
      signature = `INVALID: ${err.message}`;
    }
  }
  const report = {
    reference: String(ref),
    digest: top.digest,
    mediaType: top.mediaType,
    annotations: summary.annotations,
    platforms,
    signature,
  };
  if (values.json) {
    ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const lines = [
      `reference  ${report.reference}`,
      `digest     ${report.digest}`,
      `mediaType  ${report.mediaType}`,
      `signature  ${signature}`,
      "annotations:",
    ];
    for (const [k, v] of Object.entries(summary.annotations)) lines.push(`  ${k}=${v}`);
    lines.push("platforms:");
    for (const p of platforms)
      for (const l of p.layers)
        lines.push(`  ${p.platform.padEnd(14)} ${l.digest} ${l.size} B ${l.entry ?? ""} (${l.mediaType})`);
    ctx.stdout.write(`${lines.join("\n")}\n`);
  }
  return signature.startsWith("INVALID") ? 1 : 0;
}

/** `plugwire inspect`: platforms, annotations and signature status of an artifact. */
export const inspectCommand: CliCommand = {
  name: "inspect",
  summary: "show a plugin artifact's platforms, annotations, signatures",
  usage,
  run,
};
