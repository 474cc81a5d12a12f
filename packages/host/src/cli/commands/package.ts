import { type PackagePlatform, packageArtifact } from "../../artifacts/artifact/package.js";
import { type CliCommand, type CliContext, UsageError } from "../command.js";
import { DEFAULT_LAYOUT, parseCommandArgs } from "./registry-options.js";

const usage = `usage: plugwire package --name NAME --version VERSION [options] PLATFORM=FILE...

Builds a plugin artifact (docs/artifact-format.md) in an OCI image layout directory: one manifest per
platform, each with one layer (the file itself, or a gzip tarball with --file/--tarball), under an
index annotated with the name, version and runner protocol version.

  PLATFORM=FILE        os/arch=path, e.g. linux/amd64=./bin/plugin, or any=./plugin.cjs for a
                       platform-independent entry (with --runtime node)
options:
  --name NAME          plugin name (one path segment)
  --version VERSION    plugin version (one path segment)
  --protocol 1|2       runner protocol annotation (org.ccf.plugin.protocol.version)
  --runtime exec|node  how hosts run the entry (default exec; node = run with the host's Node)
  --file FILE          extra file shipped next to the entry (repeatable; makes the layer a tarball)
  --tarball            ship the entry as a gzip tarball even without --file
  --out DIR            layout directory (default: ${DEFAULT_LAYOUT})
`;

async function run(ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(ctx.argv, {
    name: { type: "string" },
    version: { type: "string" },
    protocol: { type: "string" },
    runtime: { type: "string" },
    file: { type: "string", multiple: true },
    tarball: { type: "boolean" },
    out: { type: "string" },
  });
  if (!values.name || !values.version) throw new UsageError("--name and --version are required");
  if (positionals.length === 0) throw new UsageError("give at least one PLATFORM=FILE");
  if (values.protocol !== undefined && values.protocol !== "1" && values.protocol !== "2")
    throw new UsageError(`--protocol must be 1 or 2, got ${values.protocol}`);
  const runtime = values.runtime ?? "exec";
  if (runtime !== "exec" && runtime !== "node")
    throw new UsageError(`--runtime must be exec or node, got ${runtime}`);
  const platforms: PackagePlatform[] = positionals.map((p) => {
    const eq = p.indexOf("=");
    if (eq <= 0 || eq === p.length - 1) throw new UsageError(`expected PLATFORM=FILE, got ${p}`);
    return {
      platform: p.slice(0, eq),
      entry: p.slice(eq + 1),
      runtime,
      ...(values.file ? { files: values.file } : {}),
      ...(values.tarball ? { tarball: true } : {}),
    };
  });
  const out = values.out ?? DEFAULT_LAYOUT;
  const packaged = await packageArtifact(out, {
    name: values.name,
    version: values.version,
    platforms,
    ...(values.protocol ? { protocolVersion: Number(values.protocol) as 1 | 2 } : {}),
  });
  ctx.stdout.write(
    `packaged ${values.name} ${values.version} (${platforms.map((p) => p.platform).join(", ")}) into ${out}\ndigest ${packaged.digest}\n`,
  );
  return 0;
}

/** `plugwire package`: binaries per os/arch → an OCI artifact layout. */
export const packageCommand: CliCommand = {
  name: "package",
  summary: "package plugin binaries as an OCI artifact",
  usage,
  run,
};
