import { parseArgs } from "node:util";
import { CreatePluginError } from "../errors.js";
import { isTemplateName, TEMPLATE_NAMES, TEMPLATES, type TemplateName } from "../scaffold/templates.js";

/** What the command line asked for; prompts fill in the rest. */
export interface CliArgs {
  dir: string | undefined;
  template: TemplateName | undefined;
  name: string | undefined;
  interactive: boolean;
  overwrite: boolean;
  local: string | undefined;
  help: boolean;
}

export const USAGE = `usage: npm create plugin [directory] [-- options]
       create-plugin [directory] [options]

Scaffolds a plugwire plugin project that builds, tests and runs under the host right away.

options:
  -t, --template NAME   ${TEMPLATE_NAMES.join(" | ")} (default ${TEMPLATE_NAMES[0]})
  -n, --name NAME       npm package name (default: the directory's name)
      --no-interactive  never prompt (also the case when stdin is not a terminal)
      --overwrite       empty a non-empty directory first (keeps .git)
      --local DIR       depend on @plugwire tarballs in DIR (made with \`pnpm pack\`) instead of the registry
  -h, --help            this text

templates:
${TEMPLATES.map((t) => `  ${t.name.padEnd(11)} ${t.description}`).join("\n")}
`;

/** Parses argv (after the bin name). Throws `USAGE` / `UNKNOWN_TEMPLATE` for bad input. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (cause) {
    throw new CreatePluginError("USAGE", (cause as Error).message, { cause });
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    throw new CreatePluginError("USAGE", `expected at most one directory, got ${positionals.join(" ")}`);
  }
  const template = values.template;
  if (template !== undefined && !isTemplateName(template)) {
    throw new CreatePluginError(
      "UNKNOWN_TEMPLATE",
      `unknown template ${JSON.stringify(template)}; choose one of: ${TEMPLATE_NAMES.join(", ")}`,
    );
  }
  return {
    dir: positionals[0],
    template,
    name: values.name,
    interactive: !values["no-interactive"],
    overwrite: values.overwrite ?? false,
    local: values.local,
    help: values.help ?? false,
  };
}

function parse(argv: readonly string[]) {
  // `--no-interactive` is its own flag: parseArgs only learned negation (`allowNegative`) in Node 22.
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      template: { type: "string", short: "t" },
      name: { type: "string", short: "n" },
      "no-interactive": { type: "boolean" },
      overwrite: { type: "boolean" },
      local: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
