import { resolve } from "node:path";
import { CreatePluginError } from "../errors.js";
import { detectPackageManager } from "../package-manager.js";
import { nameFromDirectory } from "../scaffold/project-name.js";
import { occupiedEntries, scaffold } from "../scaffold/scaffold.js";
import { DEFAULT_TEMPLATE, templateInfo } from "../scaffold/templates.js";
import { parseCliArgs, USAGE } from "./args.js";
import { formatDone, nextSteps } from "./next-steps.js";
import { createReadlinePrompter, type Prompter } from "./prompts.js";

/** Process streams and environment for {@link main}; tests pass their own. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Replaces the readline prompts (tests). */
  prompter: Prompter;
  signal: AbortSignal;
}

const DEFAULT_DIR = "my-plugin";

/**
 * `create-plugin [dir] [--template T] [--name N] [--no-interactive] [--overwrite] [--local DIR]`.
 * Prompts for what the flags leave open only on a terminal; resolves with the exit code (0 ok,
 * 1 refused, 2 bad usage), printing `create-plugin: <CODE>: <why>` on failure.
 */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const stdin = io.stdin ?? process.stdin;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();
  let prompter: Prompter | undefined;
  try {
    const args = parseCliArgs(argv);
    if (args.help) {
      stdout.write(USAGE);
      return 0;
    }
    const interactive = args.interactive && (io.prompter !== undefined || stdin.isTTY === true);
    if (interactive) prompter = io.prompter ?? createReadlinePrompter(stdin, stdout, io.signal);
    const dirArg =
      args.dir ?? (prompter ? await prompter.text("Project directory", DEFAULT_DIR) : DEFAULT_DIR);
    const dir = resolve(cwd, dirArg);
    const template =
      args.template ?? (prompter ? await prompter.select("Template:", DEFAULT_TEMPLATE) : DEFAULT_TEMPLATE);
    const name =
      args.name ??
      (prompter ? await prompter.text("Package name", nameFromDirectory(dir)) : nameFromDirectory(dir));
    let overwrite = args.overwrite;
    if (!overwrite && prompter && (await occupiedEntries(dir)).length > 0) {
      overwrite = await prompter.confirm(`${dir} is not empty. Remove its contents (keeps .git)?`, false);
    }
    const result = await scaffold({ template, dir, name, overwrite, local: args.local, signal: io.signal });
    const steps = nextSteps({
      cwd,
      dir,
      pm: detectPackageManager(env.npm_config_user_agent),
      template: templateInfo(template),
    });
    stdout.write(formatDone({ name: result.name, template, dir: result.dir, steps }));
    return 0;
  } catch (err) {
    if (err instanceof CreatePluginError) {
      stderr.write(`create-plugin: ${err.code}: ${err.message}\n${err.code === "USAGE" ? `\n${USAGE}` : ""}`);
      return err.code === "USAGE" ? 2 : 1;
    }
    stderr.write(`create-plugin: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    prompter?.close();
  }
}
